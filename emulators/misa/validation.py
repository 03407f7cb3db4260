"""Checks of one ``InvoiceData`` item of the MISA emulator (refusals as item ``ErrorCode``)."""

from __future__ import annotations

import uuid
from collections import defaultdict
from datetime import date
from decimal import Decimal, InvalidOperation

from emulators.common import mst_valid, normalise_words, vat_close, vnd_in_words
from emulators.misa import model as m

TOTALS = (
    "TotalSaleAmount",
    "TotalDiscountAmount",
    "TotalAmountWithoutVAT",
    "TotalVATAmount",
    "TotalAmount",
)


class ItemReject(Exception):
    """One invoice of the request refused: ``{RefID, ErrorCode, Description}`` in the result."""

    def __init__(self, code: str, description: str):
        super().__init__(description)
        self.code = code
        self.description = description


def missing(field: str):
    raise ItemReject("MissingRequiredField", f"{field} là bắt buộc")


def number(value, field: str) -> Decimal | None:
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        raise ItemReject("InvalidNumber", f"{field} không phải là số")
    try:
        result = Decimal(str(value))
    except InvalidOperation:
        raise ItemReject("InvalidNumber", f"{field} không phải là số") from None
    if not result.is_finite():
        raise ItemReject("InvalidNumber", f"{field} không phải là số")
    return result


def money(value, field: str, *, need: bool = True) -> int | None:
    result = number(value, field)
    if result is None:
        if need:
            missing(field)
        return None
    if result != result.to_integral_value():
        raise ItemReject("InvalidNumber", f"{field} phải là số nguyên (AmountDecimalDigits 0)")
    return int(result)


def money_pair(data, key: str, where: str, *, need: bool, vnd: bool) -> int | None:
    """``<key>OC`` (original currency) and ``<key>`` (VND); equal when the invoice is in VND."""
    oc = money(data.get(key + "OC"), f"{where}{key}OC", need=False)
    base = money(data.get(key), f"{where}{key}", need=False)
    if oc is None and base is None:
        if need:
            missing(f"{where}{key}")
        return None
    if vnd and oc is not None and base is not None and oc != base:
        raise ItemReject("InvalidAmount", f"{where}{key}OC {oc} ≠ {key} {base} (VND)")
    return oc if oc is not None else base


def vat_rate(name, field: str) -> tuple[str, Decimal]:
    """("10%", Decimal(10)) from a VATRateName; KCT/KKKNT have no VAT; KHAC:x% is x %."""
    text = str(name or "").strip().upper().replace(" ", "")
    if not text:
        missing(field)
    if text in ("KCT", "KKKNT"):
        return text, Decimal(-1)
    if text in ("0%", "5%", "8%", "10%"):
        return text, Decimal(text[:-1])
    if text.startswith("KHAC:") and text.endswith("%"):
        pct = number(text[5:-1], field)
        if pct is not None and 0 <= pct <= 100:
            return text, pct
    raise ItemReject("InvalidVATRateName", f"{field} {name!r} không hợp lệ")


def check_ref_id(invoice) -> str:
    ref = str(invoice.get("RefID") or "").strip()
    if not ref:
        missing("RefID")
    try:
        uuid.UUID(ref)
    except ValueError:
        raise ItemReject("InvalidRefID", f"RefID {ref} không phải GUID") from None
    return ref


def check_template(invoice, company: m.Company, sign_type: int) -> m.Template:
    series = str(invoice.get("InvSeries") or "").strip()
    if not series:
        missing("InvSeries")
    template = company.templates.get(series)
    if template is None or template.inactive:
        raise ItemReject(
            "InvoiceTemplateNotExist",
            f"Ký hiệu {series} không tồn tại hoặc đã ngừng sử dụng với MST {company.tax_code}",
        )
    if template.cash_register != (sign_type == m.SIGN_CASH_REGISTER):
        raise ItemReject(
            "APINotSupportTypeInvoice",
            f"SignType {sign_type} không dùng được với ký hiệu {series}"
            " (SignType 5 chỉ cho hóa đơn khởi tạo từ máy tính tiền)",
        )
    summary = invoice.get("IsInvoiceSummary")
    if summary is not None and bool(summary) != template.is_send_summary:
        raise ItemReject(
            "InvalidIsInvoiceSummary",
            f"IsInvoiceSummary phải là {template.is_send_summary} theo ký hiệu {series}",
        )
    return template


def check_date(invoice, template: m.Template, last: date | None) -> date:
    raw = str(invoice.get("InvDate") or "").strip()
    if not raw:
        missing("InvDate")
    try:
        day = date.fromisoformat(raw[:10])
    except ValueError:
        raise ItemReject(
            "InvalidInvoiceDate", f"InvDate {raw} không đúng định dạng yyyy-MM-dd"
        ) from None
    if day.year % 100 != int(template.symbol[1:3]):
        raise ItemReject(
            "InvalidInvoiceDate", f"InvDate {day} không thuộc năm của ký hiệu {template.symbol}"
        )
    if last is not None and day < last:
        raise ItemReject(
            "InvalidInvoiceDate",
            f"Ngày hóa đơn {day} nhỏ hơn ngày hóa đơn trước của ký hiệu {template.inv_series} ({last})",
        )
    return day


def check_buyer(invoice) -> dict:
    keys = (
        "BuyerLegalName",
        "BuyerTaxCode",
        "BuyerAddress",
        "BuyerCode",
        "BuyerFullName",
        "BuyerPhoneNumber",
        "BuyerEmail",
        "BuyerIDNumber",
        "BuyerPassport",
    )
    buyer = {k: (str(invoice.get(k)).strip() if invoice.get(k) is not None else None) for k in keys}
    if not buyer["BuyerLegalName"] and not buyer["BuyerFullName"]:
        missing("BuyerLegalName hoặc BuyerFullName")
    if buyer["BuyerLegalName"] and not buyer["BuyerTaxCode"]:
        raise ItemReject(
            "BuyerTaxCodeRequired", "Người mua là đơn vị (BuyerLegalName) phải có BuyerTaxCode"
        )
    if buyer["BuyerTaxCode"] and not mst_valid(buyer["BuyerTaxCode"], personal_id=True):
        raise ItemReject(
            "InvalidBuyerTaxCode", f"Mã số thuế người mua {buyer['BuyerTaxCode']} không hợp lệ"
        )
    id_number = buyer["BuyerIDNumber"]
    if id_number and not (len(id_number) == 12 and id_number.isdigit()):
        raise ItemReject("InvalidBuyerIDNumber", "BuyerIDNumber là số định danh cá nhân 12 chữ số")
    return buyer


def check_lines(details, vnd: bool) -> tuple[list[dict], dict]:
    if not isinstance(details, list) or not details:
        missing("OriginalInvoiceDetail")
    if len(details) > m.MAX_LINES:
        raise ItemReject("InvoiceDetailOverLimit", f"Tối đa {m.MAX_LINES} dòng hàng hóa")
    lines: list[dict] = []
    sums: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for i, item in enumerate(details, 1):
        where = f"OriginalInvoiceDetail[{i}]."
        if not isinstance(item, dict):
            raise ItemReject("MissingRequiredField", f"{where} không hợp lệ")
        kind = int(number(item.get("ItemType"), where + "ItemType") or 1)
        if kind not in (1, 2, 3, 4):
            raise ItemReject("InvalidItemType", f"{where}ItemType {kind} không hợp lệ")
        name = str(item.get("ItemName") or "").strip()
        if not name:
            missing(where + "ItemName")
        if kind == 4:  # note line
            lines.append({"no": "", "name": name, "amount": 0, "vat": 0, "rate": ""})
            continue
        quantity = number(item.get("Quantity"), where + "Quantity")
        price = number(item.get("UnitPrice"), where + "UnitPrice")
        if kind == 1 and (quantity is None or price is None):
            missing(where + "Quantity/UnitPrice")
        amount = money_pair(item, "Amount", where, need=kind == 1, vnd=vnd)
        discount = money_pair(item, "DiscountAmount", where, need=False, vnd=vnd) or 0
        pre_tax = money_pair(item, "AmountWithoutVAT", where, need=True, vnd=vnd)
        if quantity is not None and price is not None and amount is not None:
            tolerance = max(Decimal(1), abs(quantity) / 2)  # unit prices rounded to the đồng
            if abs(abs(quantity * price) - abs(amount)) > tolerance:
                raise ItemReject(
                    "InvalidAmount", f"{where}AmountOC {amount} ≠ Quantity × UnitPrice"
                )
        if amount is not None and pre_tax != amount - discount:
            raise ItemReject(
                "InvalidAmount", f"{where}AmountWithoutVAT {pre_tax} ≠ Amount − DiscountAmount"
            )
        rate_name, pct = vat_rate(item.get("VATRateName"), where + "VATRateName")
        vat = money_pair(item, "VATAmount", where, need=pct >= 0, vnd=vnd) or 0
        if pct < 0 and vat:
            raise ItemReject("InvalidVATAmount", f"{where}: {rate_name} không có tiền thuế")
        if pct >= 0 and not vat_close(pre_tax, vat, pct):
            raise ItemReject(
                "InvalidVATAmount",
                f"{where}VATAmount {vat} khác AmountWithoutVAT {pre_tax} × {rate_name} (làm tròn)",
            )
        if kind == 3:  # commercial discount: reduces the invoice
            pre_tax, vat = -abs(pre_tax), -abs(vat)
        sums[rate_name][0] += pre_tax
        sums[rate_name][1] += vat
        lines.append(
            {
                "no": item.get("LineNumber") or i,
                "name": name,
                "unit": item.get("UnitName"),
                "quantity": quantity,
                "price": price,
                "amount": pre_tax,
                "rate": rate_name,
                "vat": vat,
            }
        )
    return lines, dict(sums)


def check_rate_rows(rows, sums: dict) -> list[dict]:
    if not isinstance(rows, list) or not rows:
        if sums:
            missing("TaxRateInfo")
        return []
    seen: dict[str, tuple[int, int]] = {}
    for i, row in enumerate(rows, 1):
        where = f"TaxRateInfo[{i}]."
        name, _ = vat_rate(row.get("VATRateName"), where + "VATRateName")
        if name in seen:
            raise ItemReject("InvalidTaxRateInfo", f"{where}: thuế suất {name} bị lặp")
        seen[name] = (
            money(row.get("AmountWithoutVATOC"), where + "AmountWithoutVATOC"),
            money(row.get("VATAmountOC"), where + "VATAmountOC", need=False) or 0,
        )
    for name in set(seen) | set(sums):
        want = tuple(sums.get(name, (0, 0)))
        if seen.get(name, (0, 0)) != want:
            raise ItemReject(
                "InvalidTaxRateInfo",
                f"TaxRateInfo {name}: {seen.get(name)} ≠ tổng các dòng {want}",
            )
    return [{"rate": name, "net": net, "vat": vat} for name, (net, vat) in sorted(seen.items())]


def check_totals(invoice, rows: list[dict], vnd: bool, *, adjustment: bool) -> tuple[int, int, str]:
    for key in TOTALS:  # the reference: totals are required, each also as …OC
        for name in (key, key + "OC"):
            if invoice.get(name) in (None, ""):
                missing(name)
    values = {key: money_pair(invoice, key, "", need=True, vnd=vnd) for key in TOTALS}
    net = sum(r["net"] for r in rows)
    vat = sum(r["vat"] for r in rows)
    for key, want in (
        ("TotalAmountWithoutVAT", net),
        ("TotalVATAmount", vat),
        ("TotalAmount", net + vat),
    ):
        if values[key] != want:
            raise ItemReject(
                "InvalidTotalAmount", f"{key} {values[key]} ≠ tổng theo thuế suất {want}"
            )
    if values["TotalSaleAmount"] - values["TotalDiscountAmount"] != net:
        raise ItemReject(
            "InvalidTotalAmount", "TotalSaleAmount − TotalDiscountAmount ≠ TotalAmountWithoutVAT"
        )
    if not adjustment and net + vat < 0:
        raise ItemReject("InvalidTotalAmount", "TotalAmount không được âm")
    words = invoice.get("TotalAmountInWords")
    if not str(words or "").strip():
        missing("TotalAmountInWords")
    expected = vnd_in_words(net + vat)
    if normalise_words(words) != expected:
        raise ItemReject(
            "InvalidTotalAmountInWords",
            f"TotalAmountInWords {words!r} không khớp số tiền (mong đợi {expected!r})",
        )
    return net, vat, expected


def check_reference(invoice, company: m.Company, invoices: list[m.Invoice]):
    """(ReferenceType, original or None) of a replacement (1) / adjustment (2)."""
    raw = invoice.get("ReferenceType")
    if raw in (None, "", 0, "0"):
        return None, None
    kind = int(number(raw, "ReferenceType"))
    if kind not in (m.REFERENCE_REPLACE, m.REFERENCE_ADJUST):
        raise ItemReject(
            "InvalidReferenceType", f"ReferenceType {raw} không hợp lệ (1 thay thế, 2 điều chỉnh)"
        )
    for key in ("OrgInvoiceType", "OrgInvTemplateNo", "OrgInvSeries", "OrgInvNo", "OrgInvDate"):
        if invoice.get(key) in (None, ""):
            missing(key)
    org_type = int(number(invoice.get("OrgInvoiceType"), "OrgInvoiceType"))
    if org_type == 3:  # an invoice of the old regime: not kept here, nothing to look up
        return kind, None
    if org_type != 1:
        raise ItemReject("InvalidOrgInvoiceType", "OrgInvoiceType là 1 (NĐ 123) hoặc 3 (cũ)")
    template_no = str(invoice.get("OrgInvTemplateNo")).strip()
    symbol = str(invoice.get("OrgInvSeries")).strip()
    if len(symbol) == 7 and symbol.startswith(template_no):
        symbol = symbol[1:]
    org_no = number(invoice.get("OrgInvNo"), "OrgInvNo")
    original = next(
        (
            inv
            for inv in invoices
            if inv.template.template_no == template_no
            and inv.template.symbol == symbol
            and inv.number == org_no
        ),
        None,
    )
    if original is None:
        raise ItemReject(
            "OrgInvoiceNotExist",
            f"Không tìm thấy hóa đơn gốc mẫu {template_no} ký hiệu {symbol} số {invoice.get('OrgInvNo')}",
        )
    org_date = str(invoice.get("OrgInvDate")).strip()[:10]
    if org_date != original.inv_date.isoformat():
        raise ItemReject(
            "InvalidOrgInvDate", f"OrgInvDate {org_date} khác ngày hóa đơn gốc {original.inv_date}"
        )
    if original.status == m.REPLACED:
        raise ItemReject(
            "OrgInvoiceHasBeenReplaced", f"Hóa đơn gốc đã bị thay thế bởi {original.replaced_by}"
        )
    if original.adjusted_by:
        raise ItemReject(
            "HasAdjustmentInvoice",
            f"Hóa đơn gốc đã có hóa đơn điều chỉnh ({', '.join(original.adjusted_by)})",
        )
    return kind, original
