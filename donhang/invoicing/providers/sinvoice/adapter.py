"""Viettel S-Invoice adapter: our invoice ↔ createInvoice JSON, lookups by our transaction id
(`transactionUuid`, which S-Invoice also de-duplicates on for three days), the PDF, templates.

Replacement and adjustment follow the provider's fields: `adjustmentType` "3" replaces and "5"
adjusts (money, `adjustmentInvoiceType` "1"), with the original's `originalInvoiceId` (its
invoiceNo), `originalInvoiceIssueDate`, `originalTemplateCode` and the agreement document in
`additionalReferenceDesc`/`Date`. Amounts are never negative: a decrease is a positive amount
with `isIncreaseItem` false (and `taxableAmountPos`/`taxAmountPos` false on its rate row).
"""

from __future__ import annotations

import base64
from datetime import UTC, datetime
from decimal import Decimal

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
from donhang.invoicing.providers.sinvoice.client import HOSTS, NotFound, SInvoiceClient

INVOICE_TYPES = {"vat": "1", "sales": "2"}
PURPOSES = {"original": "1", "replacement": "3", "adjustment": "5"}
LINE_KINDS = {"goods": 1, "note": 2, "fee": 5}
# Our rate → taxPercentage ("not subject to VAT" is −2). A sales invoice (direct method) has no
# VAT; S-Invoice still wants a rate on each line and a row: KCT (−2) [U].
TAX_PERCENT = {"10": 10, "8": 8, "5": 5, "0": 0, "exempt": -2, "": -2}
# The invoice's own state in lookups. (The lookup's `status` is its payment state, as Odoo
# reads it: "Chưa thanh toán" / "Đã thanh toán"; it says nothing of the invoice itself.)
STATUSES = {
    "issued": ProviderStatus.ISSUED,
    "replaced": ProviderStatus.REPLACED,
    "adjusted": ProviderStatus.ADJUSTED,
    "cancelled": ProviderStatus.CANCELLED,
    "canceled": ProviderStatus.CANCELLED,
    "deleted": ProviderStatus.CANCELLED,
}
TAX_STATUSES = {
    "": TaxStatus.PENDING,
    "pending": TaxStatus.PENDING,
    "0": TaxStatus.PENDING,
    "sent": TaxStatus.PENDING,
    "coded": TaxStatus.CODED,
    "accepted": TaxStatus.CODED,
    "1": TaxStatus.CODED,
    "2": TaxStatus.CODED,
    "rejected": TaxStatus.REJECTED,
    "3": TaxStatus.REJECTED,
    "error": TaxStatus.NOT_SENT,
    "4": TaxStatus.NOT_SENT,
}


def epoch_ms(moment: datetime) -> int:
    """S-Invoice's dates: whole seconds since the epoch, written in milliseconds."""
    return int(moment.timestamp()) * 1000


def from_epoch_ms(value) -> datetime | None:
    try:
        return datetime.fromtimestamp(int(value) / 1000, tz=UTC)
    except (TypeError, ValueError):
        return None


def _number(value):
    """A Decimal as JSON: an int when whole, else a float with its digits."""
    value = Decimal(str(value))
    if value == value.to_integral_value():
        return int(value)
    return float(value)


def _digits(phone: str) -> str:
    return "".join(c for c in (phone or "") if c.isdigit())


class SInvoiceAdapter:
    provider = "sinvoice"
    capabilities = Capabilities(
        find_by_reference=True, tax_code=True, download_pdf=True, templates=True, cancel=False
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
        self.seller_tax_code = seller_tax_code
        self.options = options
        self.client = SInvoiceClient(
            host=base_url or HOSTS.get(environment, HOSTS["production"]),
            username=credentials.get("username", ""),
            password=credentials.get("password", ""),
            token=credentials.get("token", ""),
            token_expires_at=float(credentials.get("token_expires_at") or 0),
            basic_auth=options.get("auth") == "basic",
            on_token=on_token,
        )

    # --- statuses ---------------------------------------------------------------------------

    def map_status(self, provider_status: str) -> ProviderStatus:
        try:
            return STATUSES[str(provider_status).strip().lower()]
        except KeyError:
            raise PermanentError(
                f"unknown S-Invoice invoice status {provider_status!r}", code="unknown_status"
            ) from None

    def map_tax_status(self, provider_status: str) -> TaxStatus:
        try:
            return TAX_STATUSES[str(provider_status or "").strip().lower()]
        except KeyError:
            raise PermanentError(
                f"unknown S-Invoice tax status {provider_status!r}", code="unknown_status"
            ) from None

    # --- issuing ---------------------------------------------------------------------------

    def payload(self, request: InvoiceRequest) -> dict:
        adjusting = request.purpose == "adjustment"
        general = {
            "transactionUuid": request.reference,
            "invoiceType": INVOICE_TYPES[request.invoice_kind],
            "templateCode": request.template_code,
            "invoiceSeries": request.series,
            "invoiceIssuedDate": epoch_ms(request.issued_at),
            "currencyCode": request.currency,
            "exchangeRate": 1,
            "adjustmentType": PURPOSES[request.purpose],
            "paymentStatus": request.paid,
            "cusGetInvoiceRight": True,
            "validation": 1,
        }
        if request.original is not None:
            original = request.original
            general.update(
                {
                    "adjustmentInvoiceType": "1" if adjusting else "",
                    "originalInvoiceId": original.number,
                    "originalInvoiceIssueDate": epoch_ms(original.issued_at),
                    "originalTemplateCode": original.template_code,
                    "additionalReferenceDesc": request.agreement or request.reason,
                    "additionalReferenceDate": epoch_ms(
                        datetime.combine(request.agreement_date, datetime.min.time(), tzinfo=UTC)
                    )
                    if request.agreement_date
                    else epoch_ms(request.issued_at),
                }
            )
        buyer = request.buyer
        buyer_info = {
            "buyerName": buyer.name,
            "buyerLegalName": buyer.legal_name if buyer.is_company else "",
            "buyerTaxCode": buyer.tax_code,
            "buyerAddressLine": buyer.address,
            "buyerPhoneNumber": _digits(buyer.phone),
            "buyerEmail": buyer.email,
            "buyerCountryCode": "VN",
            "buyerCode": buyer.code,
            "buyerNotGetInvoice": 0,
        }
        seller = request.seller
        seller_info = {
            "sellerLegalName": seller.name,
            "sellerTaxCode": seller.tax_code,
            "sellerAddressLine": seller.address,
            "sellerPhoneNumber": _digits(seller.phone),
            "sellerEmail": seller.email,
            "sellerBankName": seller.bank_name,
            "sellerBankAccount": seller.bank_account,
            "sellerCountryCode": "VN",
        }
        items = []
        for line in request.lines:
            item = {
                "lineNumber": line.number,
                "selection": LINE_KINDS.get(line.kind, 1),
                "itemCode": line.code,
                "itemName": line.name[:300],
                "unitName": line.unit,
                "quantity": _number(line.quantity),
                "unitPrice": _number(line.unit_price),
                "itemTotalAmountWithoutTax": abs(line.amount),
                "discount": 0,
                "itemDiscount": abs(line.discount),
                "itemTotalAmountAfterDiscount": abs(line.net),
                "taxAmount": abs(line.vat),
                "itemTotalAmountWithTax": abs(line.gross),
            }
            item["taxPercentage"] = TAX_PERCENT[line.vat_rate]
            if adjusting:
                item["isIncreaseItem"] = bool(line.is_increase)
                item["adjustmentTaxAmount"] = abs(line.vat)
            items.append(item)
        breakdowns = [
            {
                "taxPercentage": TAX_PERCENT[row.rate],
                "taxableAmount": abs(row.net),
                "taxAmount": abs(row.vat),
                "taxableAmountPos": row.net >= 0,
                "taxAmountPos": row.vat >= 0,
            }
            for row in rate_rows(request)
        ]
        summary = {
            "sumOfTotalLineAmountWithoutTax": abs(request.total_amount),
            "totalAmountWithoutTax": abs(request.total_net),
            "totalTaxAmount": abs(request.total_vat),
            "totalAmountWithTax": abs(request.total),
            "totalAmountWithTaxInWords": request.amount_in_words,
            "discountAmount": abs(request.total_discount),
            "isTotalAmountPos": request.total >= 0,
            "isTotalTaxAmountPos": request.total_vat >= 0,
            "isTotalAmtWithoutTaxPos": request.total_net >= 0,
            "isDiscountAmtPos": True,
        }
        return {
            "generalInvoiceInfo": general,
            "buyerInfo": buyer_info,
            "sellerInfo": seller_info,
            "payments": [{"paymentMethodName": request.payment_method}],
            "itemInfo": items,
            "taxBreakdowns": breakdowns,
            "summarizeInfo": summary,
        }

    def issue(self, request: InvoiceRequest) -> IssuedInvoice:
        body = self.client.call(
            f"InvoiceAPI/InvoiceWS/createInvoice/{self.seller_tax_code}",
            json=self.payload(request),
        )
        result = body.get("result") or {}
        if not result.get("invoiceNo"):
            # Accepted without a number: ask by our id rather than guess.
            found = self.find_by_reference(request.reference)
            if found is None:
                raise RetryableError(
                    "S-Invoice accepted the invoice but gave no number yet", code="no_number"
                )
            return found
        return IssuedInvoice(
            reference=request.reference,
            number=str(result["invoiceNo"]),
            series=request.series,
            template_code=request.template_code,
            transaction_id=str(result.get("transactionID") or ""),
            reservation_code=str(result.get("reservationCode") or ""),
            tax_authority_code=str(result.get("codeOfTax") or ""),
            tax_status=TaxStatus.CODED if result.get("codeOfTax") else TaxStatus.PENDING,
            issued_at=request.issued_at,
            raw=result,
        )

    # --- lookups ---------------------------------------------------------------------------

    def _lookup(self, reference: str) -> dict | None:
        try:
            body = self.client.call(
                "InvoiceAPI/InvoiceWS/searchInvoiceByTransactionUuid",
                data={"supplierTaxCode": self.seller_tax_code, "transactionUuid": reference},
            )
        except NotFound:
            return None
        result = body.get("result")
        if isinstance(result, list):
            return result[0] if result else None
        return result or None

    def _from_lookup(self, reference: str, row: dict) -> IssuedInvoice:
        code = str(row.get("codeOfTax") or row.get("taxAuthorityCode") or "")
        tax_status = row.get("taxStatus")
        return IssuedInvoice(
            reference=reference,
            number=str(row.get("invoiceNo") or ""),
            series=str(row.get("invoiceSeries") or ""),
            template_code=str(row.get("templateCode") or ""),
            transaction_id=str(row.get("transactionID") or row.get("transactionId") or ""),
            reservation_code=str(row.get("reservationCode") or ""),
            tax_authority_code=code,
            tax_status=TaxStatus.CODED
            if code
            else (self.map_tax_status(tax_status) if tax_status is not None else TaxStatus.PENDING),
            status=self.map_status(row["state"])
            if row.get("state") not in (None, "")
            else ProviderStatus.ISSUED,
            issued_at=from_epoch_ms(row.get("issueDate")),
            tax_message=str(row.get("taxMessage") or ""),
            raw=row,
        )

    def find_by_reference(self, reference: str) -> IssuedInvoice | None:
        row = self._lookup(reference)
        if row is None or not row.get("invoiceNo"):
            return None
        return self._from_lookup(reference, row)

    def status(self, invoice: IssuedInvoice) -> IssuedInvoice:
        row = self._lookup(invoice.reference)
        if row is None:
            raise PermanentError(
                f"S-Invoice has no invoice {invoice.number or invoice.reference}",
                code="not_found",
            )
        found = self._from_lookup(invoice.reference, row)
        found.series = found.series or invoice.series
        found.template_code = found.template_code or invoice.template_code
        return found

    def download_pdf(self, invoice: IssuedInvoice) -> InvoiceFile:
        try:
            body = self.client.call(
                "InvoiceAPI/InvoiceUtilsWS/getInvoiceRepresentationFile",
                json={
                    "supplierTaxCode": self.seller_tax_code,
                    "templateCode": invoice.template_code,
                    "invoiceNo": invoice.number,
                    "fileType": "PDF",
                },
            )
        except NotFound as exc:
            raise PermanentError(exc.message, code="not_found", details=exc.details) from exc
        data = body.get("fileToBytes") or (body.get("result") or {}).get("fileToBytes")
        if not data:
            raise RetryableError("S-Invoice has no PDF for this invoice yet", code="not_ready")
        try:
            content = base64.b64decode(data)
        except ValueError as exc:
            raise RetryableError(
                "S-Invoice sent a PDF that is not base64", code="bad_file"
            ) from exc
        return InvoiceFile(
            content=content,
            content_type="application/pdf",
            filename=str(body.get("fileName") or f"{invoice.number}.pdf"),
        )

    def templates(self) -> list[TemplateInfo]:
        body = self.client.call(
            "InvoiceAPI/InvoiceUtilsWS/getAllInvoiceTemplates",
            json={"taxCode": self.seller_tax_code, "invoiceType": "all"},
        )
        rows = body.get("template") or body.get("templates") or body.get("result") or []
        out = []
        for row in rows if isinstance(rows, list) else []:
            out.append(
                TemplateInfo(
                    template_code=str(row.get("templateCode") or ""),
                    series=str(row.get("invoiceSeri") or row.get("invoiceSeries") or ""),
                    active=not row.get("inactive", False),
                )
            )
        return out
