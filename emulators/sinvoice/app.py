"""Viettel SInvoice e-invoice API emulator.

**Base URL** (ours: any host): the paths are those of ``https://api-vinvoice.viettel.vn``, so a
client configured with ``<host>/services/einvoiceapplication/api/`` as API base and
``<host>/auth/login`` as login URL talks to it as to production. The demo serves it on
``http://127.0.0.1:8711`` (``emulators.serve``).

**Demo account** (``SInvoiceEmulator()`` defaults): username ``0107654326``, password
``demo-password``, supplier tax code ``0107654326`` ("Cửa hàng Demo donhang"), template ``1/001``
(VAT invoice, ``invoiceType`` "1") with series ``C<yy>TAA`` and ``C<yy>TAB`` for the year of the
emulator clock at start (``C26TAA`` with the default clock of 5 Jan 2026). ``add_account`` adds
more (a K-series for invoices without CQT code, branches ``…-001``).

**Paths** (POST; "form" = ``application/x-www-form-urlencoded`` or the same fields in the query
string, as Odoo sends them):

| Path | Body → answer |
|---|---|
| ``/auth/login`` | JSON ``{username, password}`` → ``{access_token, token_type, refresh_token, expires_in, scope, iat, invoice_cluster, type, jti}`` |
| ``…/api/InvoiceAPI/InvoiceWS/createInvoice/{supplierTaxCode}`` | JSON invoice → ``{errorCode: null, description: null, result: {supplierTaxCode, invoiceNo, transactionID, reservationCode, codeOfTax}}`` |
| ``…/InvoiceWS/searchInvoiceByTransactionUuid`` | form ``supplierTaxCode, transactionUuid`` → ``{errorCode: null, result: [{invoiceNo, status, issueDate, reservationCode, codeOfTax, transactionID, templateCode, invoiceSeri, adjustmentType, state, replacedBy, adjustedBy, paymentStatus, total…}]}`` |
| ``…/InvoiceUtilsWS/getInvoiceRepresentationFile`` | JSON ``{supplierTaxCode, templateCode, invoiceNo, fileType: PDF|ZIP}`` → ``{errorCode: null, fileName, fileToBytes}`` (base64; PDF made with reportlab; ZIP = zip in zip with XML + XSL) |
| ``…/InvoiceUtilsWS/getAllInvoiceTemplates`` | JSON ``{taxCode, invoiceType: "all"|"1"}`` → ``{errorCode: null, template: [{templateCode, invoiceSeri, invoiceType, templateName}]}`` |
| ``…/InvoiceWS/updatePaymentStatus`` / ``cancelPaymentStatus`` | form ``supplierTaxCode, invoiceNo, strIssueDate[, templateCode]`` |

**Auth**: token as cookie ``access_token=`` or ``Authorization: Bearer``; legacy HTTP Basic with
the account's username/password also works. Tokens live ``token_ttl`` seconds of emulator time
(300: Odoo's note says 5 minutes [U]). Problems answer as an OAuth2 server (Spring) would [U]:
no credentials → HTTP 401 ``{error: "unauthorized", error_description}``; unknown token → 401
``{error: "invalid_token"}``; expired → 401 ``{error: "invalid_token", error_description: "Access
token expired: …"}``; wrong password at login → HTTP 400 ``{error: "invalid_grant"}``.

**Refusals** (HTTP 200 ``{errorCode, description, result: null}``; the reference knows no error
list beyond ``NOT_FOUND_DATA``, so every other code is this emulator's own name [U]):
``INVALID_SUPPLIER_TAX_CODE`` (path/body tax code not of this account), ``INVALID_SELLER_TAX_CODE``,
``TEMPLATE_NOT_FOUND``, ``INVOICE_SERIES_NOT_FOUND``, ``INVOICE_TYPE_INVALID``,
``TRANSACTION_UUID_INVALID`` (not 10–36 chars), ``REQUIRED_FIELD_MISSING``, ``INVALID_NUMBER``
(money must be whole đồng), ``INVOICE_ISSUED_DATE_INVALID`` (earlier than the last invoice of
the series, or not in the series' year), ``INVALID_PAYMENT_METHOD`` (TM, CK, TM/CK, DTCN, KHAC),
``BUYER_TAX_CODE_REQUIRED`` (``buyerLegalName`` — a registered unit — without ``buyerTaxCode``),
``INVALID_BUYER_TAX_CODE`` (MST check digit, 10-3 branch form or 12-digit personal ID; skipped
when ``buyerCountryCode`` is not VN), ``INVALID_BUYER_PHONE`` (digits, ``;`` between numbers),
``INVALID_TAX_PERCENTAGE`` (0, 5, 8, 10; −1 KKKNT, −2 KCT), ``INVALID_TAX_AMOUNT`` (a line's
``taxAmount`` ≠ pre-tax × rate rounded half-up, more than 1 đồng off), ``INVALID_ITEM_AMOUNT``
(``itemTotalAmountWithTax`` ≠ pre-tax + VAT; ``itemTotalAmountWithoutTax`` not quantity ×
unitPrice, with or without the line discount, within max(1, quantity/2) đồng for unit prices
rounded to the đồng), ``INVALID_TAX_BREAKDOWN`` (a ``taxBreakdowns`` row ≠ the sums of its lines,
a rate without row, a repeated rate), ``INVALID_TOTAL_AMOUNT`` (``summarizeInfo`` ≠ sums of the
rows; negative total on a non-adjustment), ``ADJUSTMENT_TYPE_NOT_SUPPORTED`` (only 1, 3, 5),
``ORIGINAL_INVOICE_NOT_FOUND``, ``ORIGINAL_INVOICE_ISSUE_DATE_INVALID``,
``ORIGINAL_INVOICE_STATUS_INVALID`` (the original was already replaced), ``NOT_FOUND_DATA``
(look-ups, files, payment flag already so), ``EXCHANGE_RATE_INVALID``. Malformed JSON: HTTP 400
``{code: 400, message: "JSON_PARSE_ERROR", data}``.

**Behaviour**:

* Pre-tax amount of a line = ``itemTotalAmountAfterDiscount`` when sent, else
  ``itemTotalAmountWithoutTax``. Directions: ``isIncreaseItem: false`` (and every selection-3
  discount line) counts negative, ``taxableAmountPos``/``taxAmountPos``/``isTotal…Pos: false``
  likewise; negative numbers are also accepted as such. Selection 2 (note) lines are not summed.
  ``validation`` is ignored: the checks always run. ``totalAmountWithTaxInWords`` is
  regenerated (the invoice and PDF carry the emulator's words).
* ``transactionUuid``: a create repeating one used by the same supplier within 3 days (emulator
  clock) answers the invoice made then, whatever the body; later it makes a new invoice. The
  search finds every invoice of that uuid (oldest first).
* Numbers are sequential per (supplier, template, series): ``invoiceNo`` = series + number,
  unpadded (``C26TAA1``) [U]. ``invoiceIssuedDate`` (epoch ms, default now) may equal but never
  precede the last one of its series; future dates are not refused.
* The CQT code (``codeOfTax``, 34 characters: "00" + 32 hex [U]) is given at issue for C-series;
  K-series have none. ``reservationCode`` = 10 characters.
* Replacement (``adjustmentType`` "3") / adjustment ("5") need ``originalInvoiceId``
  (invoiceNo), ``originalTemplateCode``, ``originalInvoiceIssueDate`` (same day as the original)
  and, for "5", ``adjustmentInvoiceType`` "1" money / "2" information (an information
  adjustment may have no lines). The original's ``state`` becomes ``REPLACED`` (``replacedBy``)
  or ``ADJUSTED`` (``adjustedBy`` lists every adjustment: SInvoice allows several). A replaced
  invoice can be neither replaced nor adjusted again. ``cancelTransactionInvoice`` is not served
  (removed by the vendor from 1 Jun 2025).
* Control (``/_emulator/``, ``emulators.control``): ``state``, ``tick`` (moves the clock: tokens
  expire, the 3-day window passes), ``faults`` (5xx, 429, ``lose_answer_next`` = invoice made,
  answer replaced by 504; in-process timeouts via ``FaultyTransport``) and ``{action:
  "empty_file_next", n}`` (the next n file answers have ``fileToBytes: null``, as SInvoice
  sometimes does right after issue). ``advance``/``fail-delivery``/``cod-transferred`` answer
  ``{ok: false}``: SInvoice codes at issue and has no deliveries.
"""

from __future__ import annotations

import threading
from datetime import timedelta
from random import Random

from emulators.common import Clock, Faults, JsonApp, WebhookDispatcher
from emulators.control import add_control_routes
from emulators.sinvoice import model as m
from emulators.sinvoice.api import SInvoiceApi

ALNUM = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"


class SInvoiceEmulator(SInvoiceApi):
    """In-memory Viettel SInvoice. ``wsgi_app`` serves the API; the methods below drive it."""

    def __init__(
        self,
        *,
        username: str = "0107654326",
        password: str = "demo-password",
        tax_code: str = "0107654326",
        seller_name: str = "Cửa hàng Demo donhang",
        seller_address: str = "12 Hàng Bài, Phường Hoàn Kiếm, Thành phố Hà Nội",
        templates: dict[str, list[str]] | None = None,
        clock: Clock | None = None,
        seed: int = 0,
        token_ttl: int = 300,
    ):
        self.clock = clock or Clock()
        self.faults = Faults(seed)
        self.rng = Random(seed)
        self.lock = threading.RLock()
        self.token_ttl = token_ttl
        self.accounts: dict[str, dict] = {}
        self.suppliers: dict[str, m.Supplier] = {}
        self.tokens: dict[str, tuple[str, object]] = {}
        self.invoices: dict[str, dict[str, m.Invoice]] = {}  # tax code → invoiceNo → invoice
        self.series: dict[tuple[str, str, str], m.SeriesState] = {}
        self.empty_files = 0
        self.webhooks = WebhookDispatcher(None)  # SInvoice sends none; the control API expects one
        self.app = JsonApp(self.faults)
        self.wsgi_app = self.app
        self.register_routes(self.app)
        add_control_routes(self.app, self)
        if username:
            yy = self.clock.now().year % 100
            self.add_account(
                username,
                password,
                tax_code,
                name=seller_name,
                address=seller_address,
                templates=templates or {"1/001": [f"C{yy}TAA", f"C{yy}TAB"]},
            )

    # ------------------------------------------------------------------ accounts

    def add_account(self, username, password, tax_code, *, name, address="", templates):
        """An account (or one more tax code of an existing account) with ``templates``:
        ``{templateCode: [series, …]}``; the invoice type is the template code's first digit."""
        with self.lock:
            account = self.accounts.setdefault(username, {"password": password, "tax_codes": []})
            account["tax_codes"].append(tax_code)
            self.suppliers[tax_code] = m.Supplier(
                tax_code,
                name,
                address,
                {
                    code: m.Template(code, code.split("/")[0], list(series))
                    for code, series in templates.items()
                },
            )

    def random_token(self) -> str:
        return f"{self.rng.getrandbits(256):064x}"

    def issue_token(self, username: str) -> tuple[str, int]:
        token = "eyJ" + self.random_token()
        self.tokens[token] = (username, self.clock.now() + timedelta(seconds=self.token_ttl))
        return token, self.token_ttl

    # ------------------------------------------------------------------ invoices

    def series_state(self, tax_code: str, template: str, series: str) -> m.SeriesState:
        return self.series.setdefault((tax_code, template, series), m.SeriesState())

    def recent_by_uuid(self, tax_code: str, uuid: str) -> m.Invoice | None:
        horizon = self.clock.now() - timedelta(seconds=m.IDEMPOTENCY_SECONDS)
        matches = [
            inv
            for inv in self.invoices.get(tax_code, {}).values()
            if inv.transaction_uuid == uuid and inv.created >= horizon
        ]
        return matches[-1] if matches else None

    def find_invoice(self, tax_code: str, invoice_no: str | None) -> m.Invoice | None:
        return self.invoices.get(tax_code, {}).get(invoice_no or "")

    def issue(self, *, supplier, uuid, template, series, state, issued_ms, adjustment,
              adjustment_invoice_type, original, payment_status, buyer, lines, rows, net, vat,
              words, data) -> m.Invoice:  # fmt: skip
        coded = series.startswith("C")
        invoice = m.Invoice(
            supplier=supplier.tax_code,
            transaction_uuid=uuid,
            transaction_id=str(self.rng.randrange(10**14, 10**15)),
            template_code=template.code,
            series=series,
            number=state.next_number,
            issued_ms=issued_ms,
            created=self.clock.now(),
            reservation_code="".join(self.rng.choice(ALNUM) for _ in range(10)),
            code_of_tax=("00" + f"{self.rng.getrandbits(128):032X}") if coded else None,
            adjustment_type=adjustment,
            adjustment_invoice_type=adjustment_invoice_type,
            original_no=original.invoice_no if original else None,
            payment_status=payment_status,
            buyer=buyer,
            lines=lines,
            rows=rows,
            net=net,
            vat=vat,
            total=net + vat,
            words=words,
            data=data,
        )
        state.next_number += 1
        state.last_issued_ms = issued_ms
        self.invoices.setdefault(supplier.tax_code, {})[invoice.invoice_no] = invoice
        if original is not None:
            if adjustment == m.REPLACEMENT:
                original.state, original.replaced_by = "REPLACED", invoice.invoice_no
            else:
                original.state = "ADJUSTED" if original.state == "ISSUED" else original.state
                original.adjusted_by.append(invoice.invoice_no)
        return invoice

    def all_invoices(self) -> list[m.Invoice]:
        return [inv for by_no in self.invoices.values() for inv in by_no.values()]

    def invoice(self, key: str) -> m.Invoice:
        """An invoice by invoiceNo, transactionUuid or transactionID (tests, control)."""
        for inv in self.all_invoices():
            if key in (inv.invoice_no, inv.transaction_uuid, inv.transaction_id):
                return inv
        raise KeyError(f"unknown invoice {key!r}")

    # ------------------------------------------------------------------ control API

    def tick(self, seconds: float) -> int:
        with self.lock:
            self.clock.advance(seconds)
            return 0

    def pump(self, flush: bool = False) -> int:
        return 0

    def advance(self, code, to_status=None, reason_code=None) -> dict:
        raise ValueError("SInvoice gives the CQT code at issue: nothing to advance")

    def fail_next_delivery(self, code, reason_code=None) -> None:
        raise ValueError("an e-invoice emulator has no deliveries")

    def mark_cod_transferred(self, code) -> None:
        raise ValueError("an e-invoice emulator has no COD")

    def control_fault(self, action: str, data: dict) -> None:
        if action != "empty_file_next":
            raise ValueError(f"unknown action {action!r}")
        with self.lock:
            self.empty_files += int(data.get("n", 1))

    def state(self) -> dict:
        with self.lock:
            return {
                "provider": "sinvoice",
                "now": self.clock.now().isoformat(),
                "accounts": {u: a["tax_codes"] for u, a in self.accounts.items()},
                "invoices": [inv.search_result() for inv in self.all_invoices()],
                "faults": self.faults.to_dict(),
            }
