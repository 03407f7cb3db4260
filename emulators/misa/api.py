"""HTTP handlers of the MISA meInvoice emulator (mixed into ``MisaEmulator``)."""

from __future__ import annotations

import functools
import json
from datetime import timedelta

from werkzeug.wrappers import Response

from emulators.common import json_response
from emulators.misa import model as m
from emulators.misa import validation as v
from emulators.misa.validation import ItemReject

BASE = "/api/integration"
PREVIEW_PREFIX = BASE + "/invoice/preview/"


class Refuse(Exception):
    """A refusal of the whole request: ``{success: false, errorCode, descriptionErrorCode}``."""

    def __init__(self, code: str, description: str):
        super().__init__(description)
        self.code = code
        self.description = description


def envelope(success: bool, code=None, description=None, **extra) -> Response:
    return json_response(
        {"success": success, "errorCode": code, "descriptionErrorCode": description, **extra}
    )


def flag(request, name: str) -> bool | None:
    value = request.args.get(name)
    if value is None or value == "":
        return None
    return value.strip().lower() in ("true", "1")


def endpoint(auth: bool = True, payload: str = "data"):
    """Wrap a handler ``(self, request, body, company)``: Bearer token, JSON, lock, refusals."""

    def decorator(fn):
        @functools.wraps(fn)
        def wrapper(self, request):
            with self.lock:
                try:
                    company = self.company_for(request) if auth else None
                    raw = request.get_data()
                    try:
                        body = m.ci(json.loads(raw)) if raw.strip() else None
                    except ValueError:
                        raise Refuse(
                            "InvalidData", "Dữ liệu gửi lên không phải JSON hợp lệ"
                        ) from None
                    return fn(self, request, body, company)
                except Refuse as ref:
                    return envelope(False, ref.code, ref.description, **{payload: None})

        return wrapper

    return decorator


class MisaApi:
    def register_routes(self, app) -> None:
        app.add(BASE + "/auth/token", self.h_token)
        app.add(BASE + "/invoice/templates", self.h_templates, ("GET",))
        app.add(BASE + "/invoice/unpublishview", self.h_preview)
        app.add(BASE + "/invoice", self.h_publish)
        app.add(BASE + "/invoice/status", self.h_status)
        app.add(BASE + "/invoice/download", self.h_download)
        app.add_prefix(PREVIEW_PREFIX, self.h_preview_file, ("GET",))

    # ------------------------------------------------------------------ auth

    def company_for(self, request) -> m.Company:
        header = request.headers.get("Authorization", "")
        token = header[7:].strip() if header.lower().startswith("bearer ") else ""
        entry = self.tokens.get(token)
        if entry is None:
            raise Refuse("InvalidTokenCode", "Token không hợp lệ")
        tax_code, expires = entry
        if expires <= self.clock.now():
            raise Refuse("TokenExpiredCode", "Token đã hết hạn, hãy lấy token mới")
        claimed = request.headers.get("CompanyTaxCode")
        if claimed and claimed.strip() != tax_code:
            raise Refuse("InvalidTokenCode", f"Token không thuộc MST {claimed}")
        return self.companies[tax_code]

    def h_token(self, request):
        with self.lock:
            try:
                body = m.ci(json.loads(request.get_data() or b"{}"))
            except ValueError:
                body = m.CI({})
            body = body if isinstance(body, dict) else m.CI({})
            code, description, token = None, None, None
            company = self.companies.get(str(body.get("taxcode") or "").strip())
            if not any(c.appid == body.get("appid") for c in self.companies.values()):
                code, description = "InvalidAppID", "AppID không hợp lệ"
            elif company is None or company.appid != body.get("appid"):
                code, description = "InvalidTaxCode", "Mã số thuế không đúng với AppID"
            elif company.username != body.get("username") or company.password != body.get(
                "password"
            ):
                code, description = "InvalidUserNameOrPassword", "Sai tên đăng nhập hoặc mật khẩu"
            else:
                token = self.issue_token(company.tax_code)
            # Key casing differs between MISA answers; this one is PascalCase (configurable).
            answer = {
                "success": code is None,
                "errorCode": code,
                "descriptionErrorCode": description,
                "errors": [description] if description else [],
                "data": token,
            }
            if self.token_answer_case == "pascal":
                answer = {k[0].upper() + k[1:]: val for k, val in answer.items()}
            return json_response(answer)

    # ------------------------------------------------------------------ templates

    @endpoint()
    def h_templates(self, request, body, company):
        with_code = flag(request, "invoiceWithCode")
        if flag(request, "ticket"):
            return envelope(True, data=[])  # no stamps/tickets templates registered
        templates = [
            t.as_dict()
            for t in company.templates.values()
            if with_code is None or t.with_code == with_code
        ]
        return envelope(True, data=templates)

    # ------------------------------------------------------------------ publish

    def _items(self, body) -> tuple[int, list]:
        if not isinstance(body, dict):
            raise Refuse("InvalidData", "Thiếu SignType/InvoiceData")
        sign = body.get("SignType")
        if sign in (None, ""):
            raise Refuse("MissingRequiredField", "SignType là bắt buộc")
        try:
            sign = int(sign)
        except (TypeError, ValueError):
            raise Refuse("InvalidSignType", f"SignType {sign!r} không hợp lệ") from None
        if sign not in (m.SIGN_HSM_SYNC, m.SIGN_CASH_REGISTER):
            raise Refuse(
                "UnsupportedSignType",
                f"SignType {sign}: emulator nhận 2 (HSM đồng bộ) và 5 (máy tính tiền)",
            )
        items = body.get("InvoiceData")
        if not isinstance(items, list) or not items:
            raise Refuse("MissingRequiredField", "InvoiceData là bắt buộc")
        if len(items) > m.MAX_INVOICES_PER_REQUEST:
            raise Refuse("InvoiceDataOverLimit", f"Tối đa {m.MAX_INVOICES_PER_REQUEST} hóa đơn/lần")
        return sign, items

    @endpoint(payload="publishInvoiceResult")
    def h_publish(self, request, body, company):
        sign, items = self._items(body)
        results, seen = [], set()
        for item in items:
            ref = str(item.get("RefID") or "") if isinstance(item, dict) else ""
            try:
                if not isinstance(item, dict):
                    raise ItemReject("InvalidData", "InvoiceData phải là đối tượng")
                ref = v.check_ref_id(item)
                if ref in seen:
                    raise ItemReject("InvoiceDuplicated", f"RefID {ref} lặp trong cùng yêu cầu")
                seen.add(ref)
                if ref in self.by_ref.get(company.tax_code, {}):
                    raise ItemReject(
                        "DuplicateInvoiceRefID",
                        f"RefID {ref} đã được phát hành; tra cứu trạng thái",
                    )
                if self.publish_errors:
                    code = self.publish_errors.pop(0)
                    raise ItemReject(code, "Lỗi do emulator chèn vào (thử lại sau)")
                if company.issued >= company.quota:
                    raise ItemReject("LicenseInfo_OutOfInvoice", "Đã hết số lượng hóa đơn đã mua")
                checked = self.check_invoice(item, company, sign)
                results.append(self.issue(company, ref, checked).publish_result())
            except ItemReject as rej:
                results.append(
                    {
                        "RefID": ref or None,
                        "TransactionID": None,
                        "InvSeries": item.get("InvSeries") if isinstance(item, dict) else None,
                        "InvNo": None,
                        "ErrorCode": rej.code,
                        "Description": rej.description,
                    }
                )
        return envelope(True, publishInvoiceResult=self.maybe_string(results))

    def check_invoice(self, item, company: m.Company, sign: int, *, draft: bool = False) -> dict:
        template = v.check_template(item, company, sign)
        last = None if draft else self.last_date.get((company.tax_code, template.inv_series))
        inv_date = v.check_date(item, template, last)
        vnd = str(item.get("CurrencyCode") or "VND").upper() == "VND"
        buyer = v.check_buyer(item)
        reference, original = v.check_reference(item, company, self.company_invoices(company))
        lines, sums = v.check_lines(item.get("OriginalInvoiceDetail"), vnd)
        rows = v.check_rate_rows(item.get("TaxRateInfo"), sums)
        net, vat, words = v.check_totals(
            item, rows, vnd, adjustment=reference == m.REFERENCE_ADJUST
        )
        return {
            "template": template,
            "inv_date": inv_date,
            "buyer": buyer,
            "reference": reference,
            "original": original,
            "lines": lines,
            "rows": rows,
            "net": net,
            "vat": vat,
            "words": words,
            "data": item,
        }

    def maybe_string(self, results: list):
        """``publishInvoiceResult`` is sometimes a JSON string: alternate (or as configured)."""
        mode = self.string_results
        if mode == "alternate":
            self._answers += 1
            as_string = self._answers % 2 == 0
        else:
            as_string = bool(mode)
        return json.dumps(results, ensure_ascii=False) if as_string else results

    # ------------------------------------------------------------------ preview

    @endpoint()
    def h_preview(self, request, body, company):
        if isinstance(body, dict) and isinstance(body.get("InvoiceData"), list):
            sign = int(body.get("SignType") or m.SIGN_HSM_SYNC)
            body = body["InvoiceData"][0] if body["InvoiceData"] else None
        else:
            sign = m.SIGN_HSM_SYNC
        if not isinstance(body, dict):
            raise Refuse("MissingRequiredField", "Thiếu dữ liệu hóa đơn")
        try:
            checked = self.check_invoice(body, company, sign, draft=True)
        except ItemReject as rej:
            raise Refuse(rej.code, rej.description) from None
        token = f"{self.rng.getrandbits(128):032x}"
        draft = self.draft_invoice(company, checked)
        self.previews[token] = (company.tax_code, draft, self.clock.now() + timedelta(minutes=5))
        return envelope(True, data=request.host_url.rstrip("/") + PREVIEW_PREFIX + token)

    def h_preview_file(self, request):
        with self.lock:
            entry = self.previews.get(request.path[len(PREVIEW_PREFIX) :])
            if entry is None or entry[2] <= self.clock.now():
                return Response("Liên kết xem trước không tồn tại hoặc đã hết hạn", 404)
            company = self.companies[entry[0]]
            return Response(m.pdf_bytes(entry[1], company, draft=True), mimetype="application/pdf")

    # ------------------------------------------------------------------ status and files

    def _ids(self, body) -> list[str]:
        if not isinstance(body, list) or not all(isinstance(x, str) for x in body):
            raise Refuse("InvalidData", "Body là danh sách mã (chuỗi)")
        return body

    def _matches(self, request, invoice: m.Invoice) -> bool:
        with_code, calc = flag(request, "invoiceWithCode"), flag(request, "invoiceCalcu")
        return (with_code is None or invoice.template.with_code == with_code) and (
            calc is None or invoice.template.cash_register == calc
        )

    @endpoint()
    def h_status(self, request, body, company):
        kind = request.args.get("inputType", "1")
        if kind not in ("1", "2"):
            raise Refuse("InvalidInputType", "inputType là 1 (TransactionID) hoặc 2 (RefID)")
        ids = self._ids(body)
        index = self.by_transaction if kind == "1" else self.by_ref
        found = [index.get(company.tax_code, {}).get(key) for key in ids]
        return envelope(
            True,
            data=[inv.status_result() for inv in found if inv and self._matches(request, inv)],
        )

    @endpoint()
    def h_download(self, request, body, company):
        kind = request.args.get("downloadDataType", "pdf").lower()
        if kind not in ("pdf", "xml"):
            raise Refuse("InvalidData", "downloadDataType là pdf hoặc xml")
        out = []
        for key in self._ids(body):
            inv = self.by_transaction.get(company.tax_code, {}).get(key)
            if inv is None or not self._matches(request, inv):
                out.append({"TransactionID": key, "Data": None, "ErrorCode": "InvoiceNotFound"})
                continue
            raw = m.pdf_bytes(inv, company) if kind == "pdf" else m.xml_bytes(inv, company)
            out.append({"TransactionID": key, "Data": m.b64(raw), "ErrorCode": None})
        return envelope(True, data=out)
