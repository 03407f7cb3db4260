"""MISA meInvoice adapter: our invoice ↔ InvoiceData, status by our RefID, the PDF, templates.

Invoices are signed on MISA's HSM and answered at once (SignType 2). MISA's `InvSeries` joins
the template digit and the series ("1C26TAA"). A replacement carries `ReferenceType` 1 and an
adjustment 2, with the original's `OrgInvoiceType` 1 (Decree 123), `OrgInvTemplateNo`,
`OrgInvSeries`, `OrgInvNo`, `OrgInvDate` and the reason in `InvoiceNote`; a decrease is written
with negative quantities and amounts (increases positive, as the rules on adjustments say).
"""

from __future__ import annotations

import base64
import contextlib
import time
from datetime import datetime
from decimal import Decimal

from django.utils import timezone

from donhang.invoicing.ports import (
    Capabilities,
    InvoiceFile,
    InvoiceRequest,
    IssuedInvoice,
    PermanentError,
    ProviderStatus,
    RetryableError,
    TaxStatus,
    TemplateInfo,
    rate_rows,
)
from donhang.invoicing.providers.misa.client import HOSTS, Duplicate, MisaClient, as_list, get

# Templates' IsSendSummary per account: (when asked, {template + series: flag}).
_SUMMARY_FLAGS: dict[str, tuple[float, dict[str, bool]]] = {}
SUMMARY_FLAGS_SECONDS = 600
SIGN_HSM = 2  # signed on MISA's HSM, answered at once
REFERENCE_TYPES = {"replacement": 1, "adjustment": 2}
# A sales invoice (direct method) has no VAT; MISA still wants a rate name: KCT [U].
RATE_NAMES = {"10": "10%", "8": "8%", "5": "5%", "0": "0%", "exempt": "KCT", "": "KCT"}
# EInvoiceStatus: 1 original, 2 cancelled, 3 replacement, 5 adjustment, 7 replaced, 8 adjusted.
STATUSES = {
    "1": ProviderStatus.ISSUED,
    "3": ProviderStatus.ISSUED,
    "5": ProviderStatus.ISSUED,
    "2": ProviderStatus.CANCELLED,
    "7": ProviderStatus.REPLACED,
    "8": ProviderStatus.ADJUSTED,
}
# SendTaxStatus: 0 pending, 1 send error, 2 accepted (coded), 3 rejected.
TAX_STATUSES = {
    "0": TaxStatus.PENDING,
    "1": TaxStatus.NOT_SENT,
    "2": TaxStatus.CODED,
    "3": TaxStatus.REJECTED,
}


def _number(value: Decimal):
    value = Decimal(str(value))
    if value == value.to_integral_value():
        return int(value)
    return float(value)


def _local_date(moment: datetime) -> str:
    return timezone.localtime(moment).date().isoformat()


class MisaAdapter:
    provider = "misa"
    # MISA refuses a second adjustment of an invoice, and a replacement of an adjusted one
    # (HasAdjustmentInvoice).
    capabilities = Capabilities(
        find_by_reference=True,
        tax_code=True,
        download_pdf=True,
        templates=True,
        cancel=False,
        multiple_adjustments=False,
    )

    def __init__(
        self,
        *,
        environment: str,
        base_url: str,
        credentials: dict,
        options: dict,
        seller_tax_code: str,
        on_token=None,
        **_,
    ):
        self.options = options
        self._cache_key = f"{base_url}|{environment}|{seller_tax_code}"
        self.client = MisaClient(
            base_url=base_url or HOSTS.get(environment, HOSTS["production"]),
            app_id=credentials.get("app_id", ""),
            tax_code=seller_tax_code,
            username=credentials.get("username", ""),
            password=credentials.get("password", ""),
            token=credentials.get("token", ""),
            token_expires_at=float(credentials.get("token_expires_at") or 0),
            on_token=on_token,
        )

    # --- statuses ---------------------------------------------------------------------------

    def map_status(self, provider_status: str) -> ProviderStatus:
        try:
            return STATUSES[str(provider_status).strip()]
        except KeyError:
            raise PermanentError(
                f"unknown MISA invoice status {provider_status!r}", code="unknown_status"
            ) from None

    def map_tax_status(self, provider_status: str) -> TaxStatus:
        try:
            return TAX_STATUSES[str(provider_status).strip()]
        except KeyError:
            raise PermanentError(
                f"unknown MISA tax status {provider_status!r}", code="unknown_status"
            ) from None

    # --- issuing ---------------------------------------------------------------------------

    def _with_code(self, series: str) -> str:
        return "true" if series.startswith("C") else "false"

    def _send_summary(self, request: InvoiceRequest) -> bool:
        """`IsInvoiceSummary` must be the template's `IsSendSummary`: asked of MISA at most
        every few minutes per account (the account's option when MISA does not say)."""
        key = request.template_code + request.series
        cached = _SUMMARY_FLAGS.get(self._cache_key)
        if cached is None or time.monotonic() - cached[0] > SUMMARY_FLAGS_SECONDS:
            with contextlib.suppress(RetryableError, PermanentError):
                self.templates(with_code=self._with_code(request.series))
            cached = _SUMMARY_FLAGS.get(self._cache_key)
        flags = cached[1] if cached else {}
        return flags.get(key, bool(self.options.get("send_summary", False)))

    def invoice_data(self, request: InvoiceRequest) -> dict:
        adjusting = request.purpose == "adjustment"
        details = []
        for line in request.lines:
            sign = -1 if adjusting and line.is_increase is False else 1
            quantity = abs(line.quantity) * sign
            row = {
                "ItemType": 4 if line.kind == "note" else 1,
                "SortOrder": None if line.kind == "note" else line.number,
                "LineNumber": line.number,
                "ItemCode": line.code,
                "ItemName": line.name,
                "UnitName": line.unit,
                "Quantity": _number(quantity),
                "UnitPrice": _number(abs(line.unit_price)),
                "AmountOC": abs(line.amount) * sign,
                "Amount": abs(line.amount) * sign,
                "DiscountRate": 0,
                "DiscountAmountOC": abs(line.discount) * sign,
                "DiscountAmount": abs(line.discount) * sign,
                "AmountWithoutVATOC": abs(line.net) * sign,
                "AmountWithoutVAT": abs(line.net) * sign,
            }
            if line.kind != "note":
                row.update(
                    {
                        "VATRateName": RATE_NAMES[line.vat_rate],
                        "VATAmountOC": abs(line.vat) * sign,
                        "VATAmount": abs(line.vat) * sign,
                    }
                )
            if adjusting:
                row["IsIncreaseItem"] = bool(line.is_increase)
            details.append(row)
        buyer = request.buyer
        data = {
            "RefID": request.reference,
            "InvSeries": request.template_code + request.series,
            "InvDate": _local_date(request.issued_at),
            "CurrencyCode": request.currency,
            "ExchangeRate": 1,
            "PaymentMethodName": request.payment_method,
            "IsInvoiceSummary": self._send_summary(request),
            "IsInvoiceCalculatingMachine": False,
            "IsSendEmail": request.send_email,
            "ReceiverEmail": buyer.email if request.send_email else "",
            "BuyerLegalName": buyer.legal_name if buyer.is_company else "",
            "BuyerTaxCode": buyer.tax_code,
            "BuyerAddress": buyer.address,
            "BuyerCode": buyer.code,
            "BuyerFullName": buyer.name,
            "BuyerPhoneNumber": "".join(c for c in buyer.phone if c.isdigit()),
            "BuyerEmail": buyer.email,
            "TotalSaleAmountOC": request.total_amount,
            "TotalSaleAmount": request.total_amount,
            "TotalDiscountAmountOC": request.total_discount,
            "TotalDiscountAmount": request.total_discount,
            "TotalAmountWithoutVATOC": request.total_net,
            "TotalAmountWithoutVAT": request.total_net,
            "TotalVATAmountOC": request.total_vat,
            "TotalVATAmount": request.total_vat,
            "TotalAmountOC": request.total,
            "TotalAmount": request.total,
            "TotalAmountInWords": request.amount_in_words,
            "OriginalInvoiceDetail": details,
            "TaxRateInfo": [
                {
                    "VATRateName": RATE_NAMES[row.rate],
                    "AmountWithoutVATOC": row.net,
                    "VATAmountOC": row.vat,
                }
                for row in rate_rows(request)
            ],
            "OptionUserDefined": {
                "MainCurrency": "VND",
                "AmountDecimalDigits": "0",
                "AmountOCDecimalDigits": "0",
                "QuantityDecimalDigits": "0",
                "UnitPriceDecimalDigits": "4",
                "UnitPriceOCDecimalDigits": "4",
            },
        }
        if request.original is not None:
            original = request.original
            data.update(
                {
                    "ReferenceType": REFERENCE_TYPES[request.purpose],
                    "OrgInvoiceType": 1,
                    "OrgInvTemplateNo": original.template_code,
                    "OrgInvSeries": original.series,
                    "OrgInvNo": original.number,
                    "OrgInvDate": _local_date(original.issued_at),
                    "InvoiceNote": request.reason,
                }
            )
        return data

    def payload(self, request: InvoiceRequest) -> dict:
        return {
            "SignType": SIGN_HSM,
            "InvoiceData": [self.invoice_data(request)],
            "PublishInvoiceData": None,
        }

    def issue(self, request: InvoiceRequest) -> IssuedInvoice:
        try:
            body = self.client.call("POST", "/invoice", json=self.payload(request))
        except Duplicate:
            return self._found_after_duplicate(request.reference)
        results = as_list(get(body, "publishInvoiceResult")) or as_list(get(body, "data"))
        result = next((r for r in results if get(r, "RefID") == request.reference), None)
        if result is None and len(results) == 1:
            result = results[0]
        if result is None:
            raise RetryableError("MISA answered without this invoice's result", code="no_result")
        code = str(get(result, "ErrorCode") or "")
        if code:
            if code in ("InvoiceDuplicated", "DuplicateInvoiceRefID"):
                return self._found_after_duplicate(request.reference)
            message = str(get(result, "Description") or get(result, "ErrorMessage") or code)
            if code in ("InvoiceNumberNotCotinuous", "InvoiceNumberNotContinuous"):
                raise RetryableError(message, code=code, details=result)
            raise PermanentError(message, code=code, details=result)
        return IssuedInvoice(
            reference=request.reference,
            number=str(get(result, "InvNo") or ""),
            series=request.series,
            template_code=request.template_code,
            transaction_id=str(get(result, "TransactionID") or ""),
            tax_authority_code=str(get(result, "InvoiceCode") or ""),
            tax_status=TaxStatus.CODED if get(result, "InvoiceCode") else TaxStatus.PENDING,
            issued_at=request.issued_at,
            raw=result,
        )

    def _found_after_duplicate(self, reference: str) -> IssuedInvoice:
        found = self.find_by_reference(reference)
        if found is None:
            raise RetryableError(
                "MISA says the invoice exists but does not find it yet", code="duplicate_unseen"
            )
        return found

    # --- lookups ---------------------------------------------------------------------------

    def _status_rows(self, ids: list[str], *, by: str, with_code: str = "true") -> list[dict]:
        body = self.client.call(
            "POST",
            "/invoice/status",
            params={
                "invoiceWithCode": with_code,
                "invoiceCalcu": "false",
                "inputType": 2 if by == "ref" else 1,
            },
            json=ids,
        )
        return as_list(get(body, "data"))

    def _from_row(self, reference: str, row: dict) -> IssuedInvoice:
        code = str(get(row, "InvoiceCode") or "")
        tax = get(row, "SendTaxStatus")
        status = get(row, "EInvoiceStatus")
        series = str(get(row, "InvSeries") or "")
        template = ""
        if len(series) == 7 and series[0].isdigit():
            template, series = series[0], series[1:]
        issued = get(row, "InvDate")
        issued_at = None
        if issued:
            try:
                issued_at = datetime.fromisoformat(str(issued)[:19])
            except ValueError:
                issued_at = None
        return IssuedInvoice(
            reference=str(get(row, "RefID") or reference),
            number=str(get(row, "InvNo") or ""),
            series=series,
            template_code=template,
            transaction_id=str(get(row, "TransactionID") or ""),
            tax_authority_code=code,
            tax_status=self.map_tax_status(tax)
            if tax not in (None, "")
            else (TaxStatus.CODED if code else TaxStatus.PENDING),
            status=self.map_status(status) if status not in (None, "") else ProviderStatus.ISSUED,
            issued_at=timezone.make_aware(issued_at)
            if issued_at and timezone.is_naive(issued_at)
            else issued_at,
            tax_message=str(
                get(row, "Description")
                or get(row, "TaxErrorMessage")
                or get(row, "ErrorMessage")
                or ""
            ),
            raw=row,
        )

    def find_by_reference(self, reference: str) -> IssuedInvoice | None:
        # The status call filters by "with code" or not: an invoice of either kind is found.
        for with_code in ("true", "false"):
            rows = self._status_rows([reference], by="ref", with_code=with_code)
            row = next((r for r in rows if str(get(r, "RefID") or reference) == reference), None)
            if row is not None and (get(row, "TransactionID") or get(row, "InvNo")):
                return self._from_row(reference, row)
        return None

    def status(self, invoice: IssuedInvoice) -> IssuedInvoice:
        with_code = self._with_code(invoice.series) if invoice.series else "true"
        if invoice.transaction_id:
            rows = self._status_rows(
                [invoice.transaction_id], by="transaction", with_code=with_code
            )
        else:
            rows = self._status_rows([invoice.reference], by="ref", with_code=with_code)
        if not rows:
            raise PermanentError(
                f"MISA has no invoice {invoice.number or invoice.reference}", code="not_found"
            )
        found = self._from_row(invoice.reference, rows[0])
        found.series = found.series or invoice.series
        found.template_code = found.template_code or invoice.template_code
        return found

    def download_pdf(self, invoice: IssuedInvoice) -> InvoiceFile:
        if not invoice.transaction_id:
            raise PermanentError("MISA needs the invoice's TransactionID", code="not_found")
        body = self.client.call(
            "POST",
            "/invoice/download",
            params={
                "invoiceWithCode": self._with_code(invoice.series) if invoice.series else "true",
                "invoiceCalcu": "false",
                "downloadDataType": "pdf",
            },
            json=[invoice.transaction_id],
        )
        rows = as_list(get(body, "data"))
        row = next(
            (r for r in rows if get(r, "TransactionID") in (None, invoice.transaction_id)), None
        )
        if row is None:
            raise PermanentError(f"MISA has no invoice {invoice.transaction_id}", code="not_found")
        data = get(row, "Data")
        if not data:
            code = str(get(row, "ErrorCode") or "")
            if code:
                raise PermanentError(str(get(row, "Description") or code), code=code)
            raise RetryableError("MISA has no PDF for this invoice yet", code="not_ready")
        try:
            content = base64.b64decode(data)
        except ValueError as exc:
            raise RetryableError("MISA sent a PDF that is not base64", code="bad_file") from exc
        return InvoiceFile(
            content=content, content_type="application/pdf", filename=f"{invoice.number}.pdf"
        )

    def templates(self, *, with_code: str | None = None) -> list[TemplateInfo]:
        out = []
        for flag in (with_code,) if with_code else ("true", "false"):
            body = self.client.call(
                "GET",
                "/invoice/templates",
                params={"invoiceWithCode": flag, "ticket": "false"},
            )
            for row in as_list(get(body, "data")):
                series = str(get(row, "InvSeries") or "")
                template = str(get(row, "InvTemplateNo") or (series[:1] if series else ""))
                if len(series) == 7 and series[0].isdigit():
                    series = series[1:]
                out.append(
                    TemplateInfo(
                        template_code=template,
                        series=series,
                        active=not get(row, "Inactive", False),
                        send_summary=bool(get(row, "IsSendSummary", False)),
                    )
                )
        _SUMMARY_FLAGS[self._cache_key] = (
            time.monotonic(),
            {t.template_code + t.series: t.send_summary for t in out},
        )
        return out
