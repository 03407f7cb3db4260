"""MISA meInvoice integration API emulator.

**Base URL** (ours: any host) + ``/api/integration``, as ``https://api.meinvoice.vn/api/integration``
(prod) and ``https://testapi.meinvoice.vn/api/integration`` (test). The demo serves it on
``http://127.0.0.1:8712/api/integration`` (``emulators.serve``).

**Demo company** (``MisaEmulator()`` defaults): ``appid`` ``demo-misa-appid``, ``taxcode``
``0107654326``, ``username`` ``demo@donhang.vn``, ``password`` ``demo-password``; series
(``InvSeries``) ``1C<yy>TAA`` (VAT invoice with CQT code) and ``1C<yy>MAA`` (cash register, for
``SignType`` 5), ``<yy>`` = the year of the emulator clock at start (``1C26TAA`` by default).

**Paths** (JSON bodies; every answer is HTTP 200 with ``{success, errorCode,
descriptionErrorCode, …}``; request keys are read case-insensitively, as ASP.NET binds them):

| Path | Body → answer |
|---|---|
| ``POST /auth/token`` | ``{appid, taxcode, username, password}`` → ``{Success, ErrorCode, DescriptionErrorCode, Errors, Data: "<token>"}`` (PascalCase: MISA's casing varies; ``token_answer_case="camel"`` changes it) |
| ``GET /invoice/templates?invoiceWithCode=&ticket=`` | → ``data: [{InvSeries, InvTemplateNo, Inactive, IsSendSummary, InvoiceWithCode, IsInvoiceCalculatingMachine, TemplateName}]`` |
| ``POST /invoice/unpublishview`` | one ``InvoiceData`` object (or ``{SignType, InvoiceData: [one]}``) → ``data: "<link>"``; the link (GET, no token) gives the draft PDF for 5 minutes of emulator time |
| ``POST /invoice`` | ``{SignType, InvoiceData: [≤30], PublishInvoiceData: null}`` → ``publishInvoiceResult: [{RefID, TransactionID, InvTemplateNo, InvSeries, InvNo, InvDate, ErrorCode, Description}]`` — a list or the same list as a JSON **string** (alternating, first a list; ``string_results=True/False`` fixes it) |
| ``POST /invoice/status?inputType=1|2&invoiceWithCode=&invoiceCalcu=`` | ``[TransactionID…]`` (1) or ``[RefID…]`` (2) → ``data: [{RefID, TransactionID, InvSeries, InvNo, InvDate, EInvoiceStatus, SendTaxStatus, InvoiceCode, Description, ReferenceType, OrgInvSeries, OrgInvNo, OrgInvDate, ReplacedBy, AdjustedBy, Total…}]`` (unknown ids are left out) |
| ``POST /invoice/download?downloadDataType=pdf|xml`` | ``[TransactionID…]`` → ``data: [{TransactionID, Data (base64), ErrorCode}]`` (``ErrorCode: "InvoiceNotFound"``, ``Data: null`` for unknown ids) |

**Auth**: ``Authorization: Bearer <token>``; tokens live 14 days of emulator time. A header
``CompanyTaxCode`` is optional and must name the token's company. Request-level refusals
(``success: false``): ``InvalidTokenCode`` (missing/unknown token), ``TokenExpiredCode``,
``InvalidAppID``, ``InvalidTaxCode`` and ``InvalidUserNameOrPassword`` (login),
``UnsupportedSignType`` (only 2 HSM sync and 5 cash register are served), ``InvalidSignType``,
``InvoiceDataOverLimit`` (> 30), ``MissingRequiredField``, ``InvalidData``, ``InvalidInputType``.

**Item refusals** (``success: true``, the item's ``ErrorCode``; nothing is issued for it):
``InvalidRefID`` (RefID must be a GUID), ``InvoiceDuplicated`` (same RefID twice in one request),
``DuplicateInvoiceRefID`` (RefID already issued: query ``/invoice/status?inputType=2``),
``InvoiceTemplateNotExist`` (unknown or inactive ``InvSeries``), ``APINotSupportTypeInvoice``
(SignType 5 with a non-cash-register series or 2 with a cash-register one),
``InvalidIsInvoiceSummary`` (≠ the template's ``IsSendSummary``), ``InvalidInvoiceDate``
(not yyyy-MM-dd, not in the series' year, or earlier than the series' last ``InvDate``),
``MissingRequiredField``, ``InvalidNumber`` (money must be whole đồng), ``BuyerTaxCodeRequired``
(``BuyerLegalName`` — a registered unit — without ``BuyerTaxCode``), ``InvalidBuyerTaxCode``
(MST check digit / 10-3 branch form / 12-digit personal ID), ``InvalidBuyerIDNumber`` (12
digits), ``InvoiceDetailOverLimit`` (> 400 lines), ``InvalidItemType``, ``InvalidVATRateName``
(10%, 8%, 5%, 0%, KCT, KKKNT, KHAC:x%), ``InvalidAmount`` (``AmountOC`` not Quantity × UnitPrice
within max(1, Quantity/2) đồng; ``AmountWithoutVAT`` ≠ Amount − DiscountAmount; an ``…OC`` ≠ its
VND twin on a VND invoice), ``InvalidVATAmount`` (a line's VAT ≠ AmountWithoutVAT × rate rounded
half-up, more than 1 đồng off), ``InvalidTaxRateInfo`` (a row ≠ the sums of its lines, a rate
without row, a repeated rate), ``InvalidTotalAmount`` (totals ≠ sums of rows, TotalSaleAmount −
TotalDiscountAmount ≠ TotalAmountWithoutVAT, a negative total outside adjustments),
``InvalidTotalAmountInWords`` (≠ the emulator's words of TotalAmount; only spacing and a final
full stop may differ), ``InvalidReferenceType``, ``InvalidOrgInvoiceType``,
``OrgInvoiceNotExist``, ``InvalidOrgInvDate``, ``OrgInvoiceHasBeenReplaced``,
``HasAdjustmentInvoice`` (the original already has an adjustment: no second adjustment, no
replacement), ``LicenseInfo_OutOfInvoice`` (``quota`` used up). Every name not in the reference
(all but InvoiceDuplicated, DuplicateInvoiceRefID, TokenExpiredCode, InvalidTokenCode,
InvalidAppID, InvoiceTemplateNotExist, InvalidInvoiceDate, LicenseInfo_OutOfInvoice,
APINotSupportTypeInvoice, HasAdjustmentInvoice, InvoiceNumberNotCotinuous) is the emulator's [U].

**Behaviour**:

* Numbers are sequential per ``InvSeries`` (``InvNo`` 8 digits, zero-padded [U]);
  ``TransactionID`` = 11 characters (the buyer's look-up code). Each item is checked alone: the
  valid ones of a request are issued, in order.
* Tax authority: an issued invoice has ``SendTaxStatus`` 0; ``tax_delay`` seconds (30) of
  emulator time later, at a ``tick``, it becomes 2 with ``InvoiceCode`` (34 characters, "00" +
  32 hex [U]; K-series: 2 without code) — or 3 with a ``Description`` when a rejection was
  planned (control ``{action: "tax_reject_next", n}``). ``advance {order_code: TransactionID or
  RefID, to_status?}`` decides one at once (2 by default; 1 send error, 3 rejected).
* Replacement / adjustment: ``ReferenceType`` 1 / 2 with ``OrgInvoiceType`` 1 (Decree 123; 3 =
  old regime, not looked up), ``OrgInvTemplateNo`` "1", ``OrgInvSeries`` "C26TAA" (the full
  "1C26TAA" is also accepted), ``OrgInvNo`` (compared as a number), ``OrgInvDate`` (= the
  original's ``InvDate``). The new invoice has ``EInvoiceStatus`` 3 / 5; the original becomes 7
  replaced / 8 adjusted at once. Adjustment amounts may be negative (decreases) [U]; ItemType 3
  (commercial discount) lines always count negative; ItemType 4 (note) lines are not summed.
* Totals: each of TotalSaleAmount, TotalDiscountAmount, TotalAmountWithoutVAT, TotalVATAmount,
  TotalAmount is required twice (``X`` and ``XOC``); lines need one of the pair (equal if both).
  Commercial-discount lines (ItemType 3) lower TotalAmountWithoutVAT, so they belong in
  TotalDiscountAmount for TotalSaleAmount − TotalDiscountAmount = TotalAmountWithoutVAT to hold.
* Not enforced: ``SortOrder``, future ``InvDate`` (the client's clock may run ahead of ours),
  ``PaymentMethodName`` values. ``InvoiceNote`` is kept but not required.
* Control (``/_emulator/``, ``emulators.control``): ``state``, ``tick`` (clock; due tax
  decisions), ``advance`` (above), ``faults`` (5xx, 429, ``lose_answer_next`` = invoices made,
  answer replaced by 504; in-process timeouts via ``FaultyTransport``), ``{action:
  "publish_error_next", n, code?}`` (the next n items answer ``code``, default
  ``InvoiceNumberNotCotinuous``, without being issued) and ``tax_reject_next``.
  ``fail-delivery`` / ``cod-transferred`` answer ``{ok: false}``.
"""

from __future__ import annotations

import threading
from datetime import timedelta
from random import Random

from emulators.common import Clock, Faults, JsonApp, WebhookDispatcher
from emulators.control import add_control_routes
from emulators.misa import model as m
from emulators.misa.api import MisaApi

ALNUM = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
TOKEN_TTL = 14 * 86400


class MisaEmulator(MisaApi):
    """In-memory MISA meInvoice. ``wsgi_app`` serves the API; the methods below drive it."""

    def __init__(
        self,
        *,
        appid: str = "demo-misa-appid",
        tax_code: str = "0107654326",
        username: str = "demo@donhang.vn",
        password: str = "demo-password",
        company_name: str = "Cửa hàng Demo donhang",
        company_address: str = "12 Hàng Bài, Phường Hoàn Kiếm, Thành phố Hà Nội",
        series: list[str] | None = None,
        clock: Clock | None = None,
        seed: int = 0,
        tax_delay: float = 30,
        string_results: bool | str = "alternate",
        token_answer_case: str = "pascal",
        quota: int = 1_000_000,
    ):
        self.clock = clock or Clock()
        self.faults = Faults(seed)
        self.rng = Random(seed)
        self.lock = threading.RLock()
        self.tax_delay = tax_delay
        self.string_results = string_results
        self.token_answer_case = token_answer_case
        self.companies: dict[str, m.Company] = {}
        self.tokens: dict[str, tuple[str, object]] = {}
        self.invoices: list[m.Invoice] = []
        self.by_ref: dict[str, dict[str, m.Invoice]] = {}
        self.by_transaction: dict[str, dict[str, m.Invoice]] = {}
        self.numbers: dict[tuple[str, str], int] = {}
        self.last_date: dict[tuple[str, str], object] = {}
        self.previews: dict[str, tuple] = {}
        self.publish_errors: list[str] = []
        self.tax_rejections = 0
        self._answers = 0
        self.webhooks = WebhookDispatcher(None)  # MISA sends none; the control API expects one
        self.app = JsonApp(self.faults)
        self.wsgi_app = self.app
        self.register_routes(self.app)
        add_control_routes(self.app, self)
        if appid:
            yy = self.clock.now().year % 100
            self.add_company(
                appid,
                tax_code,
                username,
                password,
                name=company_name,
                address=company_address,
                series=series or [f"1C{yy}TAA", f"1C{yy}MAA"],
                quota=quota,
            )

    # ------------------------------------------------------------------ accounts

    def add_company(self, appid, tax_code, username, password, *, name, address="", series,
                    quota=1_000_000, send_summary=()) -> m.Company:  # fmt: skip
        """A company with its app id, login and ``InvSeries`` (``send_summary``: series whose
        template has ``IsSendSummary``)."""
        with self.lock:
            company = m.Company(
                tax_code,
                name,
                address,
                appid,
                username,
                password,
                {s: m.Template(s, is_send_summary=s in send_summary) for s in series},
                quota,
            )
            self.companies[tax_code] = company
            return company

    def issue_token(self, tax_code: str) -> str:
        token = f"{self.rng.getrandbits(384):096x}"
        self.tokens[token] = (tax_code, self.clock.now() + timedelta(seconds=TOKEN_TTL))
        return token

    # ------------------------------------------------------------------ invoices

    def company_invoices(self, company: m.Company) -> list[m.Invoice]:
        return list(self.by_transaction.get(company.tax_code, {}).values())

    def new_transaction_id(self) -> str:
        while True:
            code = "".join(self.rng.choice(ALNUM) for _ in range(11))
            if all(code not in by_id for by_id in self.by_transaction.values()):
                return code

    def _invoice(self, company, ref, checked, number, status) -> m.Invoice:
        template = checked["template"]
        return m.Invoice(
            tax_code=company.tax_code,
            ref_id=ref,
            transaction_id="",
            template=template,
            number=number,
            inv_date=checked["inv_date"],
            created=self.clock.now(),
            status=status,
            reference_type=checked["reference"],
            original=checked["original"],
            buyer=checked["buyer"],
            lines=checked["lines"],
            rows=checked["rows"],
            net=checked["net"],
            vat=checked["vat"],
            total=checked["net"] + checked["vat"],
            words=checked["words"],
            data=checked["data"],
            tax_due=self.clock.now() + timedelta(seconds=self.tax_delay),
        )

    def draft_invoice(self, company, checked) -> m.Invoice:
        return self._invoice(company, "", checked, 0, m.ORIGINAL)

    def issue(self, company: m.Company, ref: str, checked: dict) -> m.Invoice:
        template = checked["template"]
        key = (company.tax_code, template.inv_series)
        number = self.numbers.get(key, 0) + 1
        reference = checked["reference"]
        status = {None: m.ORIGINAL, m.REFERENCE_REPLACE: m.REPLACEMENT}.get(reference, m.ADJUSTMENT)
        invoice = self._invoice(company, ref, checked, number, status)
        invoice.transaction_id = self.new_transaction_id()
        self.numbers[key] = number
        self.last_date[key] = invoice.inv_date
        company.issued += 1
        self.invoices.append(invoice)
        self.by_ref.setdefault(company.tax_code, {})[ref] = invoice
        self.by_transaction.setdefault(company.tax_code, {})[invoice.transaction_id] = invoice
        original = checked["original"]
        if original is not None:
            if reference == m.REFERENCE_REPLACE:
                original.status, original.replaced_by = m.REPLACED, invoice.transaction_id
            else:
                original.status = m.ADJUSTED
                original.adjusted_by.append(invoice.transaction_id)
        return invoice

    def invoice(self, key: str) -> m.Invoice:
        """An invoice by TransactionID or RefID (tests, control)."""
        for inv in self.invoices:
            if key in (inv.transaction_id, inv.ref_id):
                return inv
        raise KeyError(f"unknown invoice {key!r}")

    def decide_tax(self, invoice: m.Invoice, status: int = m.TAX_ACCEPTED, message=None) -> None:
        invoice.send_tax_status = status
        invoice.tax_due = None
        if status == m.TAX_ACCEPTED:
            coded = invoice.template.with_code
            invoice.invoice_code = ("00" + f"{self.rng.getrandbits(128):032X}") if coded else None
            invoice.tax_message = None
        elif status == m.TAX_REJECTED:
            invoice.tax_message = message or "CQT từ chối cấp mã: thông tin người mua không hợp lệ"
        else:
            invoice.tax_message = message or "Lỗi gửi dữ liệu đến cơ quan thuế"

    # ------------------------------------------------------------------ control API

    def tick(self, seconds: float) -> int:
        """Advance the clock; the tax authority decides every invoice that is due."""
        with self.lock:
            now = self.clock.advance(seconds)
            decided = 0
            for invoice in self.invoices:
                if invoice.tax_due is not None and invoice.tax_due <= now:
                    if self.tax_rejections > 0:
                        self.tax_rejections -= 1
                        self.decide_tax(invoice, m.TAX_REJECTED)
                    else:
                        self.decide_tax(invoice)
                    decided += 1
            return decided

    def pump(self, flush: bool = False) -> int:
        return 0

    def advance(self, code, to_status=None, reason_code=None) -> dict:
        with self.lock:
            invoice = self.invoice(str(code))
            status = m.TAX_ACCEPTED if to_status in (None, "") else int(to_status)
            if status not in (m.TAX_SEND_ERROR, m.TAX_ACCEPTED, m.TAX_REJECTED):
                raise ValueError(f"SendTaxStatus {status} is not a decision (1, 2 or 3)")
            if invoice.send_tax_status == m.TAX_ACCEPTED:
                raise ValueError(f"invoice {code} already has its tax decision")
            self.decide_tax(invoice, status, reason_code)
            return invoice.status_result()

    def fail_next_delivery(self, code, reason_code=None) -> None:
        raise ValueError("an e-invoice emulator has no deliveries")

    def mark_cod_transferred(self, code) -> None:
        raise ValueError("an e-invoice emulator has no COD")

    def control_fault(self, action: str, data: dict) -> None:
        with self.lock:
            n = int(data.get("n", 1))
            if action == "publish_error_next":
                self.publish_errors += [str(data.get("code") or "InvoiceNumberNotCotinuous")] * n
            elif action == "tax_reject_next":
                self.tax_rejections += n
            else:
                raise ValueError(f"unknown action {action!r}")

    def state(self) -> dict:
        with self.lock:
            return {
                "provider": "misa",
                "now": self.clock.now().isoformat(),
                "companies": {c.tax_code: sorted(c.templates) for c in self.companies.values()},
                "invoices": [inv.status_result() for inv in self.invoices],
                "faults": self.faults.to_dict(),
            }
