"""createInvoice checks of the SInvoice emulator (what is refused, and with which ``errorCode``)."""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime
from decimal import Decimal, InvalidOperation

from emulators.common import VN_TZ, mst_valid, vat_close
from emulators.sinvoice import model as m


class Reject(Exception):
    """A refusal: HTTP 200 ``{errorCode, description, result: null}``."""

    def __init__(self, code: str, description: str):
        super().__init__(description)
        self.code = code
        self.description = description


def required(data: dict, key: str, where: str):
    value = data.get(key)
    if value is None or (isinstance(value, str) and not value.strip()):
        raise Reject("REQUIRED_FIELD_MISSING", f"{where}.{key} là bắt buộc")
    return value


def number(value, field: str) -> Decimal | None:
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        raise Reject("INVALID_NUMBER", f"{field} không phải là số")
    try:
        result = Decimal(str(value))
    except InvalidOperation:
        raise Reject("INVALID_NUMBER", f"{field} không phải là số") from None
    if not result.is_finite():
        raise Reject("INVALID_NUMBER", f"{field} không phải là số")
    return result


def money(value, field: str, *, need: bool = True) -> int | None:
    """Whole đồng (VND has no minor unit)."""
    result = number(value, field)
    if result is None:
        if need:
            raise Reject("REQUIRED_FIELD_MISSING", f"{field} là bắt buộc")
        return None
    if result != result.to_integral_value():
        raise Reject("INVALID_NUMBER", f"{field} phải là số nguyên (VND)")
    return int(result)


def signed(value: int, positive_flag) -> int:
    """SInvoice sends magnitudes with a direction flag (``isIncreaseItem``, ``…Pos``): False = −."""
    return -abs(value) if positive_flag is False else value


def check_general(info: dict, supplier: m.Supplier) -> tuple[m.Template, str, str]:
    template_code = str(required(info, "templateCode", "generalInvoiceInfo")).strip()
    template = supplier.templates.get(template_code)
    if template is None:
        raise Reject(
            "TEMPLATE_NOT_FOUND",
            f"Mẫu hóa đơn {template_code} không tồn tại hoặc chưa được đăng ký cho MST {supplier.tax_code}",
        )
    series = str(required(info, "invoiceSeries", "generalInvoiceInfo")).strip()
    if series not in template.series:
        raise Reject(
            "INVOICE_SERIES_NOT_FOUND",
            f"Ký hiệu {series} không thuộc mẫu {template_code} của MST {supplier.tax_code}",
        )
    kind = info.get("invoiceType")
    if kind not in (None, "") and m.INVOICE_TYPES.get(str(kind)) != template.invoice_type:
        raise Reject("INVOICE_TYPE_INVALID", f"invoiceType {kind} không khớp mẫu {template_code}")
    adjustment = str(info.get("adjustmentType") or m.ORIGINAL)
    if adjustment not in (m.ORIGINAL, m.REPLACEMENT, m.ADJUSTMENT):
        raise Reject(
            "ADJUSTMENT_TYPE_NOT_SUPPORTED", f"adjustmentType {adjustment} không được hỗ trợ"
        )
    currency = str(info.get("currencyCode") or "VND").upper()
    if currency != "VND":
        rate = number(info.get("exchangeRate"), "exchangeRate")
        if rate is None or rate <= 0:
            raise Reject(
                "EXCHANGE_RATE_INVALID", "exchangeRate là bắt buộc khi currencyCode khác VND"
            )
    return template, series, adjustment


def check_date(info: dict, series: str, state: m.SeriesState, now: datetime) -> int:
    raw = info.get("invoiceIssuedDate")
    issued = int(now.timestamp() * 1000) if raw in (None, "") else money(raw, "invoiceIssuedDate")
    when = datetime.fromtimestamp(issued / 1000, VN_TZ)
    if when.year % 100 != int(series[1:3]):
        raise Reject(
            "INVOICE_ISSUED_DATE_INVALID",
            f"Ngày lập {when:%d/%m/%Y} không thuộc năm của ký hiệu {series}",
        )
    if issued < state.last_issued_ms:
        last = datetime.fromtimestamp(state.last_issued_ms / 1000, VN_TZ)
        raise Reject(
            "INVOICE_ISSUED_DATE_INVALID",
            f"Ngày lập hóa đơn không được nhỏ hơn ngày lập hóa đơn trước của ký hiệu {series} "
            f"({last:%d/%m/%Y %H:%M:%S})",
        )
    return issued


def check_buyer(buyer: dict) -> dict:
    if not isinstance(buyer, dict):
        raise Reject("REQUIRED_FIELD_MISSING", "buyerInfo là bắt buộc")
    name = str(buyer.get("buyerName") or "").strip()
    legal = str(buyer.get("buyerLegalName") or "").strip()
    if not name and not legal:
        raise Reject("REQUIRED_FIELD_MISSING", "buyerName hoặc buyerLegalName là bắt buộc")
    tax_code = str(buyer.get("buyerTaxCode") or "").strip()
    # buyerLegalName is the name of a registered unit (company); such a buyer needs its tax code.
    if legal and not tax_code:
        raise Reject(
            "BUYER_TAX_CODE_REQUIRED", "Người mua là đơn vị (buyerLegalName) phải có buyerTaxCode"
        )
    foreign = str(buyer.get("buyerCountryCode") or "VN").upper() != "VN"
    if tax_code and not foreign and not mst_valid(tax_code, personal_id=True):
        raise Reject("INVALID_BUYER_TAX_CODE", f"Mã số thuế người mua {tax_code} không hợp lệ")
    phone = str(buyer.get("buyerPhoneNumber") or "")
    if phone and not all(part.isdigit() for part in phone.split(";")):
        raise Reject(
            "INVALID_BUYER_PHONE", "buyerPhoneNumber chỉ gồm chữ số (nhiều số cách nhau bởi ;)"
        )
    return {**buyer, "buyerTaxCode": tax_code}


def _line_amounts(item: dict, where: str, selection: int) -> tuple[int, int, int]:
    """(pre-tax amount, VAT, taxPercentage) of a summed line, each line's own rules checked."""
    before = money(item.get("itemTotalAmountWithoutTax"), f"{where}.itemTotalAmountWithoutTax")
    after = money(
        item.get("itemTotalAmountAfterDiscount"),
        f"{where}.itemTotalAmountAfterDiscount",
        need=False,
    )
    base = after if after is not None else before
    raw_pct = item.get("taxPercentage")
    pct = number(raw_pct, f"{where}.taxPercentage")
    if pct is None:
        raise Reject("REQUIRED_FIELD_MISSING", f"{where}.taxPercentage là bắt buộc")
    if pct != pct.to_integral_value() or int(pct) not in m.TAX_PERCENTAGES:
        raise Reject("INVALID_TAX_PERCENTAGE", f"{where}.taxPercentage {raw_pct} không hợp lệ")
    pct_int = int(pct)
    vat = money(item.get("taxAmount"), f"{where}.taxAmount", need=pct_int >= 0) or 0
    if pct_int < 0 and vat:
        raise Reject("INVALID_TAX_AMOUNT", f"{where}: dòng không chịu thuế không có tiền thuế")
    if pct_int >= 0 and not vat_close(base, vat, pct_int):
        raise Reject(
            "INVALID_TAX_AMOUNT",
            f"{where}: tiền thuế {vat} khác thành tiền {base} × {pct_int}% (làm tròn)",
        )
    with_tax = money(
        item.get("itemTotalAmountWithTax"), f"{where}.itemTotalAmountWithTax", need=False
    )
    if with_tax is not None and abs(with_tax) != abs(base) + abs(vat):
        raise Reject(
            "INVALID_ITEM_AMOUNT", f"{where}: itemTotalAmountWithTax ≠ thành tiền + tiền thuế"
        )
    quantity = number(item.get("quantity"), f"{where}.quantity")
    price = number(item.get("unitPrice"), f"{where}.unitPrice")
    if selection in (1, 5) and (quantity is None or price is None):
        raise Reject("REQUIRED_FIELD_MISSING", f"{where}: quantity và unitPrice là bắt buộc")
    if quantity is not None and price is not None:
        gross = abs(quantity * price)
        discount_pct = number(item.get("discount"), f"{where}.discount") or Decimal(0)
        discount_amount = number(item.get("itemDiscount"), f"{where}.itemDiscount") or Decimal(0)
        readings = (gross, gross * (1 - discount_pct / 100), gross - abs(discount_amount))
        tolerance = max(Decimal(1), abs(quantity) / 2)  # unit prices rounded to the đồng
        if not any(abs(abs(before) - r) <= tolerance for r in readings):
            raise Reject(
                "INVALID_ITEM_AMOUNT",
                f"{where}: itemTotalAmountWithoutTax {before} ≠ quantity × unitPrice",
            )
    return base, vat, pct_int


def check_items(items, info_only: bool) -> tuple[list[dict], dict]:
    """Printable lines and per-rate sums {pct: [pre-tax, VAT]} (signed)."""
    if not isinstance(items, list) or (not items and not info_only):
        raise Reject("REQUIRED_FIELD_MISSING", "itemInfo phải có ít nhất một dòng")
    lines: list[dict] = []
    sums: dict[int, list[int]] = defaultdict(lambda: [0, 0])
    for i, item in enumerate(items, 1):
        where = f"itemInfo[{i}]"
        if not isinstance(item, dict):
            raise Reject("REQUIRED_FIELD_MISSING", f"{where} không hợp lệ")
        selection = int(number(item.get("selection"), f"{where}.selection") or 1)
        if selection not in (1, 2, 3, 4, 5):
            raise Reject("INVALID_NUMBER", f"{where}.selection {selection} không hợp lệ")
        name = str(required(item, "itemName", where))
        if selection == 2:  # a note line: printed, never summed
            lines.append({"no": "", "name": name, "amount": 0, "vat": 0, "rate": ""})
            continue
        base, vat, pct = _line_amounts(item, where, selection)
        flag = False if selection == 3 else item.get("isIncreaseItem")
        base, vat = signed(base, flag), signed(vat, flag)
        sums[pct][0] += base
        sums[pct][1] += vat
        lines.append(
            {
                "no": item.get("lineNumber") or i,
                "name": name,
                "unit": item.get("unitName"),
                "quantity": item.get("quantity"),
                "price": number(item.get("unitPrice"), where),
                "amount": base,
                "rate": m.TAX_PERCENTAGES[pct],
                "vat": vat,
            }
        )
    return lines, dict(sums)


def check_breakdowns(rows, sums: dict) -> list[dict]:
    if not sums and not rows:
        return []
    if not isinstance(rows, list) or not rows:
        raise Reject("INVALID_TAX_BREAKDOWN", "taxBreakdowns phải có một dòng cho mỗi thuế suất")
    seen: dict[int, tuple[int, int]] = {}
    for i, row in enumerate(rows, 1):
        where = f"taxBreakdowns[{i}]"
        pct = number(required(row, "taxPercentage", where), f"{where}.taxPercentage")
        if pct != pct.to_integral_value() or int(pct) not in m.TAX_PERCENTAGES:
            raise Reject("INVALID_TAX_PERCENTAGE", f"{where}.taxPercentage {pct} không hợp lệ")
        if int(pct) in seen:
            raise Reject("INVALID_TAX_BREAKDOWN", f"{where}: thuế suất {pct} bị lặp")
        taxable = signed(
            money(row.get("taxableAmount"), f"{where}.taxableAmount"), row.get("taxableAmountPos")
        )
        tax = signed(
            money(row.get("taxAmount"), f"{where}.taxAmount", need=False) or 0,
            row.get("taxAmountPos"),
        )
        seen[int(pct)] = (taxable, tax)
    for pct in set(seen) | set(sums):
        want = tuple(sums.get(pct, (0, 0)))
        if seen.get(pct, (0, 0)) != want:
            raise Reject(
                "INVALID_TAX_BREAKDOWN",
                f"Thuế suất {m.TAX_PERCENTAGES[pct]}: taxBreakdowns {seen.get(pct)} ≠ tổng các dòng {want}",
            )
    return [
        {"rate": m.TAX_PERCENTAGES[pct], "net": net, "vat": vat}
        for pct, (net, vat) in sorted(seen.items())
    ]


def check_summary(summary, net: int, vat: int) -> None:
    if not summary:
        return
    if not isinstance(summary, dict):
        raise Reject("INVALID_TOTAL_AMOUNT", "summarizeInfo không hợp lệ")
    for key, flag, want in (
        ("totalAmountWithoutTax", "isTotalAmtWithoutTaxPos", net),
        ("totalTaxAmount", "isTotalTaxAmountPos", vat),
        ("totalAmountWithTax", "isTotalAmountPos", net + vat),
    ):
        given = money(summary.get(key), f"summarizeInfo.{key}", need=False)
        if given is not None and signed(given, summary.get(flag)) != want:
            raise Reject(
                "INVALID_TOTAL_AMOUNT", f"summarizeInfo.{key} {given} ≠ tổng theo thuế suất {want}"
            )


def check_original(info: dict, adjustment: str, invoices_of_supplier: dict) -> m.Invoice:
    for key in ("originalInvoiceId", "originalTemplateCode", "originalInvoiceIssueDate"):
        required(info, key, "generalInvoiceInfo")
    kind = str(info.get("adjustmentInvoiceType") or "")
    if adjustment == m.ADJUSTMENT and kind not in ("1", "2"):
        raise Reject(
            "REQUIRED_FIELD_MISSING", "adjustmentInvoiceType (1 tiền, 2 thông tin) là bắt buộc"
        )
    original = invoices_of_supplier.get(str(info["originalInvoiceId"]).strip())
    if original is None or original.template_code != str(info["originalTemplateCode"]).strip():
        raise Reject(
            "ORIGINAL_INVOICE_NOT_FOUND",
            f"Không tìm thấy hóa đơn gốc {info['originalInvoiceId']} mẫu {info['originalTemplateCode']}",
        )
    day = datetime.fromtimestamp(
        money(info["originalInvoiceIssueDate"], "originalInvoiceIssueDate") / 1000, VN_TZ
    )
    if day.date() != original.issue_date().date():
        raise Reject(
            "ORIGINAL_INVOICE_ISSUE_DATE_INVALID",
            f"Ngày lập hóa đơn gốc {day:%d/%m/%Y} khác {original.issue_date():%d/%m/%Y}",
        )
    if original.state == "REPLACED":
        raise Reject(
            "ORIGINAL_INVOICE_STATUS_INVALID",
            f"Hóa đơn {original.invoice_no} đã bị thay thế bởi {original.replaced_by}",
        )
    return original
