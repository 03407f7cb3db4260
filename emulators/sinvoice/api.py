"""HTTP handlers of the SInvoice emulator (mixed into ``SInvoiceEmulator``)."""

from __future__ import annotations

import base64
import binascii
import functools
import json

from emulators.common import json_response, vnd_in_words
from emulators.sinvoice import model as m
from emulators.sinvoice import validation as v
from emulators.sinvoice.validation import Reject

API = "/services/einvoiceapplication/api/InvoiceAPI/"
CREATE_PREFIX = API + "InvoiceWS/createInvoice/"


def result_error(code: str, description: str):
    return json_response({"errorCode": code, "description": description, "result": None})


def oauth_error(error: str, description: str, status: int = 401):
    """Token problems answer as the OAuth2 server in front of SInvoice does [U]."""
    return json_response({"error": error, "error_description": description}, status)


def read_body(request) -> dict:
    """JSON body, or form fields (``application/x-www-form-urlencoded``); query args fill gaps."""
    data: dict = {}
    if request.mimetype == "application/json" or request.get_data()[:1] in (b"{", b"["):
        raw = request.get_data()
        if raw.strip():
            data = json.loads(raw)  # ValueError → 400 in the wrapper
            if not isinstance(data, dict):
                raise ValueError("body is not a JSON object")
    else:
        data = dict(request.form.items())
    for key, value in request.args.items():
        data.setdefault(key, value)
    return data


def endpoint(auth: bool = True):
    """Wrap a handler ``(self, request, data, username)``: auth, body, lock, refusals."""

    def decorator(fn):
        @functools.wraps(fn)
        def wrapper(self, request):
            with self.lock:
                username = None
                if auth:
                    username, problem = self.authenticate(request)
                    if problem is not None:
                        return problem
                try:
                    data = read_body(request)
                except ValueError as exc:
                    return json_response(
                        {"code": 400, "message": "JSON_PARSE_ERROR", "data": str(exc)}, 400
                    )
                try:
                    return fn(self, request, data, username)
                except Reject as rej:
                    return result_error(rej.code, rej.description)

        return wrapper

    return decorator


class SInvoiceApi:
    def register_routes(self, app) -> None:
        app.add("/auth/login", self.h_login)
        app.add_prefix(CREATE_PREFIX, self.h_create)
        app.add(API + "InvoiceWS/searchInvoiceByTransactionUuid", self.h_search)
        app.add(API + "InvoiceUtilsWS/getInvoiceRepresentationFile", self.h_file)
        app.add(API + "InvoiceUtilsWS/getAllInvoiceTemplates", self.h_templates)
        app.add(API + "InvoiceWS/updatePaymentStatus", self.h_paid)
        app.add(API + "InvoiceWS/cancelPaymentStatus", self.h_unpaid)

    # ------------------------------------------------------------------ auth

    def authenticate(self, request):
        """(username, None) or (None, error response). Cookie, Bearer, or legacy Basic."""
        header = request.headers.get("Authorization", "")
        token = request.cookies.get("access_token")
        if header.lower().startswith("bearer "):
            token = header[7:].strip()
        elif header.lower().startswith("basic "):
            try:
                user, _, password = base64.b64decode(header[6:]).decode().partition(":")
            except (binascii.Error, UnicodeDecodeError):
                user, password = "", ""
            account = self.accounts.get(user)
            if account is None or account["password"] != password:
                return None, oauth_error("unauthorized", "Bad credentials")
            return user, None
        if not token:
            return None, oauth_error(
                "unauthorized", "Full authentication is required to access this resource"
            )
        entry = self.tokens.get(token)
        if entry is None:
            return None, oauth_error("invalid_token", "Cannot convert access token to JSON")
        username, expires = entry
        if expires <= self.clock.now():
            return None, oauth_error("invalid_token", f"Access token expired: {token}")
        return username, None

    @endpoint(auth=False)
    def h_login(self, request, data, username):
        account = self.accounts.get(str(data.get("username") or ""))
        if account is None or account["password"] != data.get("password"):
            return oauth_error("invalid_grant", "Bad credentials", 400)
        token, ttl = self.issue_token(str(data["username"]))
        return json_response(
            {
                "access_token": token,
                "token_type": "bearer",
                "refresh_token": self.random_token(),
                "expires_in": ttl,
                "scope": "openid",
                "iat": self.clock.timestamp(),
                "invoice_cluster": "cluster3",
                "type": 1,
                "jti": self.random_token()[:36],
            }
        )

    def own_supplier(self, username: str, tax_code) -> m.Supplier:
        tax_code = str(tax_code or "").strip()
        if tax_code not in self.accounts[username]["tax_codes"]:
            raise Reject(
                "INVALID_SUPPLIER_TAX_CODE",
                f"Tài khoản không có quyền với mã số thuế {tax_code or '(trống)'}",
            )
        return self.suppliers[tax_code]

    # ------------------------------------------------------------------ create

    @endpoint()
    def h_create(self, request, data, username):
        supplier = self.own_supplier(username, request.path[len(CREATE_PREFIX) :].strip("/"))
        info = data.get("generalInvoiceInfo")
        if not isinstance(info, dict):
            raise Reject("REQUIRED_FIELD_MISSING", "generalInvoiceInfo là bắt buộc")
        uuid = str(info.get("transactionUuid") or "").strip()
        if not 10 <= len(uuid) <= 36:
            raise Reject("TRANSACTION_UUID_INVALID", "transactionUuid phải dài 10–36 ký tự")
        existing = self.recent_by_uuid(supplier.tax_code, uuid)
        if existing is not None:  # the same transaction within 3 days: the invoice made then
            return self.ok_result(existing.create_result())
        seller = data.get("sellerInfo") or {}
        seller_tax = str(seller.get("sellerTaxCode") or "").strip()
        if seller_tax and seller_tax != supplier.tax_code:
            raise Reject(
                "INVALID_SELLER_TAX_CODE",
                f"sellerTaxCode {seller_tax} khác MST {supplier.tax_code}",
            )
        template, series, adjustment = v.check_general(info, supplier)
        state = self.series_state(supplier.tax_code, template.code, series)
        issued_ms = v.check_date(info, series, state, self.clock.now())
        for payment in data.get("payments") or []:
            name = str((payment or {}).get("paymentMethodName") or "")
            if name not in m.PAYMENT_METHODS:
                raise Reject("INVALID_PAYMENT_METHOD", f"paymentMethodName {name!r} không hợp lệ")
        buyer = v.check_buyer(data.get("buyerInfo"))
        original = None
        if adjustment != m.ORIGINAL:
            original = v.check_original(info, adjustment, self.invoices.get(supplier.tax_code, {}))
        info_only = adjustment == m.ADJUSTMENT and str(info.get("adjustmentInvoiceType")) == "2"
        lines, sums = v.check_items(data.get("itemInfo"), info_only)
        rows = v.check_breakdowns(data.get("taxBreakdowns"), sums)
        net = sum(r["net"] for r in rows)
        vat = sum(r["vat"] for r in rows)
        v.check_summary(data.get("summarizeInfo"), net, vat)
        if adjustment != m.ADJUSTMENT and net + vat < 0:
            raise Reject("INVALID_TOTAL_AMOUNT", "Tổng tiền thanh toán không được âm")
        invoice = self.issue(
            supplier=supplier,
            uuid=uuid,
            template=template,
            series=series,
            state=state,
            issued_ms=issued_ms,
            adjustment=adjustment,
            adjustment_invoice_type=str(info.get("adjustmentInvoiceType") or ""),
            original=original,
            payment_status=bool(info.get("paymentStatus")),
            buyer=buyer,
            lines=lines,
            rows=rows,
            net=net,
            vat=vat,
            words=vnd_in_words(net + vat),  # regenerated, whatever was sent
            data=data,
        )
        return self.ok_result(invoice.create_result())

    def ok_result(self, result: dict):
        return json_response({"errorCode": None, "description": None, "result": result})

    # ------------------------------------------------------------------ look-ups and files

    @endpoint()
    def h_search(self, request, data, username):
        supplier = self.own_supplier(username, data.get("supplierTaxCode"))
        uuid = str(data.get("transactionUuid") or "").strip()
        found = [
            inv.search_result()
            for inv in self.invoices.get(supplier.tax_code, {}).values()
            if inv.transaction_uuid == uuid
        ]
        if not found:
            # No ``result`` key at all: Odoo tells "not created" from "result" being absent.
            return json_response(
                {"errorCode": "NOT_FOUND_DATA", "description": "Không tìm thấy hóa đơn"}
            )
        return json_response({"errorCode": None, "description": None, "result": found})

    def _find(self, supplier: m.Supplier, data: dict) -> m.Invoice:
        invoice = self.invoices.get(supplier.tax_code, {}).get(
            str(data.get("invoiceNo") or "").strip()
        )
        template = str(data.get("templateCode") or "").strip()
        if invoice is None or (template and invoice.template_code != template):
            raise Reject("NOT_FOUND_DATA", f"Không tìm thấy hóa đơn {data.get('invoiceNo')}")
        return invoice

    @endpoint()
    def h_file(self, request, data, username):
        supplier = self.own_supplier(username, data.get("supplierTaxCode"))
        invoice = self._find(supplier, data)
        kind = str(data.get("fileType") or "PDF").upper()
        if kind not in ("PDF", "ZIP"):
            raise Reject("INVALID_FILE_TYPE", f"fileType {kind} không hợp lệ (PDF, ZIP)")
        name = f"{invoice.invoice_no}.{kind.lower()}"
        if self.empty_files > 0:  # "not ready yet": clients retry
            self.empty_files -= 1
            return json_response(
                {"errorCode": None, "description": None, "fileName": name, "fileToBytes": None}
            )
        original = self.find_invoice(supplier.tax_code, invoice.original_no)
        raw = (
            m.pdf_bytes(invoice, supplier, original)
            if kind == "PDF"
            else m.zip_bytes(invoice, supplier)
        )
        return json_response(
            {"errorCode": None, "description": None, "fileName": name, "fileToBytes": m.b64(raw)}
        )

    @endpoint()
    def h_templates(self, request, data, username):
        supplier = self.own_supplier(username, data.get("taxCode") or data.get("supplierTaxCode"))
        wanted = str(data.get("invoiceType") or "all")
        kind = None if wanted.lower() == "all" else m.INVOICE_TYPES.get(wanted, wanted)
        templates = [
            {
                "templateCode": t.code,
                "invoiceSeri": series,
                "invoiceType": t.invoice_type,
                "templateName": m.TEMPLATE_NAMES.get(t.invoice_type, ""),
            }
            for t in supplier.templates.values()
            if kind is None or t.invoice_type == kind
            for series in t.series
        ]
        return json_response({"errorCode": None, "description": None, "template": templates})

    def _set_paid(self, data, username, paid: bool):
        supplier = self.own_supplier(username, data.get("supplierTaxCode"))
        invoice = self._find(supplier, data)
        if invoice.payment_status == paid:  # nothing to change: SInvoice answers NOT_FOUND_DATA
            raise Reject("NOT_FOUND_DATA", "Không có hóa đơn cần cập nhật trạng thái thanh toán")
        invoice.payment_status = paid
        return json_response({"errorCode": None, "description": None, "result": True})

    @endpoint()
    def h_paid(self, request, data, username):
        return self._set_paid(data, username, True)

    @endpoint()
    def h_unpaid(self, request, data, username):
        return self._set_paid(data, username, False)
