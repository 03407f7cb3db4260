"""The contract every e-invoice adapter passes against its emulator (DESIGN.md section 5): issue,
idempotent retry after a timeout or a lost answer (exactly one invoice at the provider), unknown
ids, 5xx/timeouts, refusals with the provider's message, replacement, adjustment, the tax
authority's code, the PDF."""

import copy
import subprocess
import tempfile
import uuid
from dataclasses import replace

import pytest
from django.utils import timezone

from donhang.core.integrations import PermanentError, RetryableError
from donhang.invoicing import services
from donhang.invoicing.models import Invoice
from donhang.invoicing.ports import (
    IssuedInvoice,
    OriginalRef,
    ProviderStatus,
    RateRow,
    TaxStatus,
)
from emulators.misa import model as misa_model
from emulators.sinvoice import model as sinvoice_model

pytestmark = pytest.mark.django_db

CREATE_PATH = {"sinvoice": "createInvoice", "misa": "/api/integration/invoice"}


def draft_invoice(order, template) -> Invoice:
    """The order's invoice saved as a draft (nothing sent): its request is what we send."""
    invoice, _started = services.invoice_issue(order=order, template=template, hold=True)
    return invoice


def request_for(order, template, *, reference=None):
    invoice = draft_invoice(order, template)
    request = services.build_request(invoice, issued_at=timezone.now())
    if reference:
        request.reference = reference
    return services.adapter_for(template.account), request


def invoices_at(emulator, reference: str) -> list:
    if hasattr(emulator, "by_ref"):
        return [inv for inv in emulator.invoices if inv.ref_id == reference]
    return [inv for inv in emulator.all_invoices() if inv.transaction_uuid == reference]


def code_given(emulator) -> None:
    """MISA's tax authority decides after a delay (emulator time); S-Invoice codes at issue."""
    if hasattr(emulator, "tax_delay"):
        emulator.tick(emulator.tax_delay + 1)


def pdf_text(content: bytes) -> str:
    with tempfile.NamedTemporaryFile(suffix=".pdf") as f:
        f.write(content)
        f.flush()
        return subprocess.run(
            ["pdftotext", f.name, "-"], capture_output=True, text=True, check=True
        ).stdout


def test_issue_answers_a_number_then_the_tax_authority_code(provider, make_order):
    template, emulator = provider
    adapter, request = request_for(make_order(), template)

    issued = adapter.issue(request)

    assert issued.number and issued.display_number == "1"
    assert issued.reference == request.reference
    code_given(emulator)
    now = adapter.status(issued)
    assert now.status == ProviderStatus.ISSUED
    assert now.tax_status == TaxStatus.CODED
    assert len(now.tax_authority_code) == 34
    assert len(invoices_at(emulator, request.reference)) == 1


def test_every_provider_status_maps_to_exactly_one_of_ours(provider):
    template, _emulator = provider
    adapter = services.adapter_for(template.account)
    if template.account.provider == "misa":
        statuses = [
            misa_model.ORIGINAL,
            misa_model.CANCELLED,
            misa_model.REPLACEMENT,
            misa_model.ADJUSTMENT,
            misa_model.REPLACED,
            misa_model.ADJUSTED,
        ]
        tax = [
            misa_model.TAX_PENDING,
            misa_model.TAX_SEND_ERROR,
            misa_model.TAX_ACCEPTED,
            misa_model.TAX_REJECTED,
        ]
    else:
        statuses = ["ISSUED", "REPLACED", "ADJUSTED"]
        tax = []
    assert all(isinstance(adapter.map_status(str(s)), ProviderStatus) for s in statuses)
    assert all(isinstance(adapter.map_tax_status(str(s)), TaxStatus) for s in tax)
    with pytest.raises(PermanentError):
        adapter.map_status("no-such-status")


def test_issue_is_idempotent_by_our_reference(provider, make_order):
    template, emulator = provider
    adapter, request = request_for(make_order(), template)

    first = adapter.issue(request)
    again = adapter.issue(request)

    assert again.number == first.number
    assert adapter.find_by_reference(request.reference).number == first.number
    assert adapter.find_by_reference(str(uuid.uuid4())) is None
    assert len(invoices_at(emulator, request.reference)) == 1


@pytest.mark.parametrize("fault", ["timeout_after", "lost_answer"])
def test_a_lost_answer_then_retry_gives_exactly_one_invoice(provider, make_order, fault):
    template, emulator = provider
    adapter, request = request_for(make_order(), template)
    adapter.templates()  # log in before the fault
    path = CREATE_PATH[template.account.provider]
    if fault == "timeout_after":
        emulator.faults.timeout_next(1, after=True, paths=[path])
    else:
        emulator.faults.lose_answer_next(1, paths=[path])

    with pytest.raises(RetryableError):
        adapter.issue(request)
    # The retry looks it up by our reference first (the rule of the issuing service) …
    found = adapter.find_by_reference(request.reference)
    assert found is not None and found.number
    # … and a blind resend under the same reference answers the same invoice.
    assert adapter.issue(request).number == found.number
    assert len(invoices_at(emulator, request.reference)) == 1


@pytest.mark.parametrize("fault", ["http_500", "rate_limit", "timeout_before"])
def test_server_errors_and_timeouts_are_retryable(provider, make_order, fault):
    template, emulator = provider
    adapter, request = request_for(make_order(), template)
    adapter.templates()
    path = CREATE_PATH[template.account.provider]
    {
        "http_500": lambda: emulator.faults.fail_next(1, 500, paths=[path]),
        "rate_limit": lambda: emulator.faults.rate_limit_next(1, paths=[path]),
        "timeout_before": lambda: emulator.faults.timeout_next(1, paths=[path]),
    }[fault]()

    with pytest.raises(RetryableError):
        adapter.issue(request)
    assert adapter.find_by_reference(request.reference) is None
    assert adapter.issue(request).number


def test_unknown_ids_raise_permanent_errors(provider):
    template, _emulator = provider
    adapter = services.adapter_for(template.account)
    unknown = IssuedInvoice(
        reference=str(uuid.uuid4()),
        number="99999",
        series=template.series,
        template_code=template.template_code,
        transaction_id="NOSUCHTRANS",
    )

    with pytest.raises(PermanentError):
        adapter.status(unknown)
    with pytest.raises(PermanentError):
        adapter.download_pdf(unknown)


def _refused(adapter, request):
    with pytest.raises(PermanentError) as err:
        adapter.issue(request)
    assert err.value.message and err.value.code
    return err.value


def test_rate_rows_that_are_not_the_sum_of_lines_are_refused(provider, make_order):
    template, emulator = provider
    adapter, request = request_for(make_order(), template)
    row = request.rate_rows[0]
    request.rate_rows[0] = RateRow(rate=row.rate, net=row.net + 1000, vat=row.vat, gross=row.gross)

    error = _refused(adapter, request)

    assert error.code in ("INVALID_TAX_BREAKDOWN", "InvalidTaxRateInfo")
    assert invoices_at(emulator, request.reference) == []


def test_a_wrong_template_or_series_is_refused_with_the_providers_message(provider, make_order):
    template, emulator = provider
    adapter, request = request_for(make_order(), template)
    wrong_series = replace(request, series=f"C{request.series[1:3]}TZZ")
    wrong_template = replace(
        request,
        reference=str(uuid.uuid4()),
        template_code="1/009" if template.account.provider == "sinvoice" else "2",
    )

    for bad in (wrong_series, wrong_template):
        error = _refused(adapter, bad)
        assert error.code in (
            "INVOICE_SERIES_NOT_FOUND",
            "TEMPLATE_NOT_FOUND",
            "InvoiceTemplateNotExist",
        )
        assert "TZZ" in error.message or bad.template_code in error.message
    assert not invoices_at(emulator, request.reference)


def test_a_company_buyer_without_tax_code_is_refused(provider, make_order):
    template, _emulator = provider
    adapter, request = request_for(make_order(), template)
    request.buyer = copy.copy(request.buyer)
    request.buyer.tax_code = ""

    error = _refused(adapter, request)

    assert error.code in ("BUYER_TAX_CODE_REQUIRED", "BuyerTaxCodeRequired")


def test_a_wrong_buyer_tax_code_is_refused(provider, make_order):
    template, _emulator = provider
    adapter, request = request_for(make_order(), template)
    request.buyer = copy.copy(request.buyer)
    request.buyer.tax_code = "0100109107"  # check digit wrong

    error = _refused(adapter, request)

    assert error.code in ("INVALID_BUYER_TAX_CODE", "InvalidBuyerTaxCode")


def _original_ref(issued, request) -> OriginalRef:
    return OriginalRef(
        template_code=request.template_code,
        series=request.series,
        number=issued.number,
        issued_at=request.issued_at,
        transaction_id=issued.transaction_id,
    )


def test_replacement_refers_to_the_original_which_becomes_replaced(provider, make_order):
    template, emulator = provider
    adapter, request = request_for(make_order(), template)
    issued = adapter.issue(request)
    replacement = replace(
        request,
        reference=str(uuid.uuid4()),
        purpose="replacement",
        original=_original_ref(issued, request),
        reason="Sai mã số thuế người mua",
    )

    new = adapter.issue(replacement)

    assert new.number and new.number != issued.number
    assert adapter.find_by_reference(request.reference).status == ProviderStatus.REPLACED
    at_provider = invoices_at(emulator, replacement.reference)[0]
    if template.account.provider == "misa":
        assert at_provider.original.ref_id == request.reference
    else:
        assert at_provider.original_no == issued.number
        assert at_provider.adjustment_type == sinvoice_model.REPLACEMENT


def test_adjustment_decreasing_one_line_refers_to_the_original(provider, make_order):
    template, emulator = provider
    order = make_order()
    invoice = draft_invoice(order, template)
    request = services.build_request(invoice, issued_at=timezone.now())
    adapter = services.adapter_for(template.account)
    issued = adapter.issue(request)
    line = invoice.lines.get(position=1)  # the shirts at 8 %: 2 × 165,000
    changes = services.adjustment_lines(
        invoice, [services.AdjustmentInput(line_id=line.pk, quantity=1)]
    )
    lowered = changes[0]
    adjustment = replace(
        request,
        reference=str(uuid.uuid4()),
        purpose="adjustment",
        original=_original_ref(issued, request),
        reason="Khách trả lại 1 áo",
        lines=[
            replace(
                request.lines[0],
                number=1,
                quantity=lowered.quantity,
                unit_price=lowered.unit_price,
                amount=lowered.amount,
                discount=0,
                net=lowered.net,
                vat=lowered.vat,
                gross=lowered.gross,
                is_increase=False,
            )
        ],
        rate_rows=[RateRow(rate="8", net=lowered.net, vat=lowered.vat, gross=lowered.gross)],
        total_amount=lowered.amount,
        total_discount=0,
        total_net=lowered.net,
        total_vat=lowered.vat,
        total=lowered.gross,
        amount_in_words="Một trăm sáu mươi lăm nghìn đồng",
    )
    assert lowered.gross == -165_000

    new = adapter.issue(adjustment)

    assert new.number
    assert adapter.find_by_reference(request.reference).status == ProviderStatus.ADJUSTED
    at_provider = invoices_at(emulator, adjustment.reference)[0]
    assert at_provider.net + at_provider.vat == -165_000


def test_the_pdf_has_the_buyer_with_diacritics(provider, make_order):
    template, emulator = provider
    adapter, request = request_for(make_order(), template)
    issued = adapter.issue(request)
    code_given(emulator)

    file = adapter.download_pdf(adapter.status(issued))

    assert file.content.startswith(b"%PDF")
    text = pdf_text(file.content)
    assert "Công ty TNHH Thương mại Ánh Dương" in text


def test_templates_list_the_registered_series(provider):
    template, _emulator = provider
    found = services.adapter_for(template.account).templates()
    assert (template.template_code, template.series) in {(t.template_code, t.series) for t in found}


def test_an_expired_token_is_renewed(provider, make_order):
    template, emulator = provider
    adapter, request = request_for(make_order(), template)
    adapter.templates()  # logged in
    emulator.tick(15 * 86400)  # past both providers' token lifetimes

    assert adapter.issue(request).number
