"""Issuing an order's e-invoice end to end against the emulators: preview, issue, the tax
authority's code, the stored PDF, the email; retries that never make a second invoice; what is
refused before any call."""

import subprocess
import tempfile
from datetime import date, timedelta

import pytest
from django.core import mail
from django.utils import timezone

from donhang.core.errors import ValidationFailed
from donhang.core.models import IntegrationCall
from donhang.invoicing import services, tasks
from donhang.invoicing.models import Invoice
from donhang.invoicing.pdf import document_from_draft, render_invoice_pdf
from donhang.orders import services as orders
from donhang.orders.models import Order
from emulators.misa import model as misa_model
from emulators.sinvoice import model as sinvoice_model

pytestmark = pytest.mark.django_db


def pdf_text(content: bytes) -> str:
    with tempfile.NamedTemporaryFile(suffix=".pdf") as f:
        f.write(content)
        f.flush()
        return subprocess.run(
            ["pdftotext", f.name, "-"], capture_output=True, text=True, check=True
        ).stdout


def follow_up(emulator) -> None:
    """What the scheduler does every few minutes, once the provider has decided (MISA's tax
    authority answers after a delay of its own clock)."""
    if hasattr(emulator, "tax_delay"):
        emulator.tick(emulator.tax_delay + 1)
    Invoice.objects.update(code_checked_at=None)
    tasks.follow_up_invoices_task.enqueue()


def test_end_to_end_preview_issue_code_pdf_email(provider, make_order, committed):
    template, emulator = provider
    order = make_order()  # 2 shirts at 8 %, a phone case at 10 %, 30,000 shipping at 8 %

    # The preview shows both rate groups and the amount in words
    draft = services.invoice_preview(order=order, template=template)
    rows = {r["rate"]: r for r in draft.rate_rows}
    assert set(rows) == {"8", "10"}
    assert rows["8"]["gross"] == 2 * 165_000 + 30_000 and rows["10"]["gross"] == 99_000
    assert draft.total == order.total == 459_000
    assert draft.amount_in_words == "Bốn trăm năm mươi chín nghìn đồng"
    assert all(ln.net + ln.vat == ln.gross for ln in draft.lines)
    preview = pdf_text(render_invoice_pdf(document_from_draft(draft), preview=True))
    assert "Thuế suất 8%" in preview and "Thuế suất 10%" in preview
    assert "Bốn trăm năm mươi chín nghìn đồng" in preview
    assert "BẢN XEM TRƯỚC" in preview
    assert "Công ty TNHH Thương mại Ánh Dương" in preview

    with committed():
        invoice, started = services.invoice_issue(order=order, template=template)
    assert started
    follow_up(emulator)

    invoice.refresh_from_db()
    assert invoice.state == "issued" and invoice.number == "1"
    assert len(invoice.tax_authority_code) == 34 and invoice.tax_status == "coded"
    assert invoice.vat_breakdown == draft.rate_rows
    assert invoice.pdf and invoice.pdf_fetched_at
    with invoice.pdf.open("rb") as handle:
        stored = pdf_text(handle.read())
    assert "Công ty TNHH Thương mại Ánh Dương" in stored
    assert "Trần Thị Bích Ngọc" in stored
    order.refresh_from_db()
    assert order.money_locked_at is not None
    assert [m.to for m in mail.outbox] == [["ketoan@anhduong.example"]]
    assert mail.outbox[0].attachments[0][2] == "application/pdf"
    assert invoice.emailed_at is not None
    assert order.events.filter(code="invoice_issued").exists()


def test_timeout_on_issue_then_retry_gives_exactly_one_invoice(provider, make_order, committed):
    template, emulator = provider
    order = make_order()
    services.adapter_for(template.account).templates()  # the token, before the fault
    path = "createInvoice" if template.account.provider == "sinvoice" else "/integration/invoice"
    emulator.faults.timeout_next(1, after=True, paths=[path])

    with committed():
        invoice, _started = services.invoice_issue(order=order, template=template)

    invoice.refresh_from_db()
    assert invoice.state == "issued" and invoice.attempts == 2
    at_provider = (
        [i for i in emulator.invoices if i.ref_id == invoice.reference]
        if template.account.provider == "misa"
        else [i for i in emulator.all_invoices() if i.transaction_uuid == invoice.reference]
    )
    assert len(at_provider) == 1
    calls = list(
        IntegrationCall.objects.filter(reference=invoice.reference)
        .order_by("at", "id")
        .values_list("operation", "ok")
    )
    assert calls[:3] == [("issue", False), ("find", True), ("issue", True)] or calls[:2] == [
        ("issue", False),
        ("find", True),
    ]
    # Asking again answers the same invoice: idempotent.
    again, started = services.invoice_issue(order=order, template=template)
    assert again.pk == invoice.pk and not started


def test_an_invalid_tax_code_is_refused_before_any_call(
    sinvoice_template, sinvoice_emulator, make_order
):
    order = make_order()
    # A buyer typed wrong on a marketplace (orders check tax codes; imports may not).
    Order.objects.filter(pk=order.pk).update(buyer_tax_code="0100109107")
    order.refresh_from_db()

    with pytest.raises(ValidationFailed) as err:
        services.invoice_issue(order=order, template=sinvoice_template)

    assert "buyer_tax_code" in err.value.fields
    assert not Invoice.objects.exists()
    assert not IntegrationCall.objects.exists()
    assert not sinvoice_emulator.tokens  # not even a log-in


def test_a_company_invoice_needs_the_tax_code(sinvoice_template, make_order):
    order = make_order()
    Order.objects.filter(pk=order.pk).update(buyer_tax_code="")
    order.refresh_from_db()

    with pytest.raises(ValidationFailed) as err:
        services.invoice_issue(order=order, template=sinvoice_template)

    assert set(err.value.fields) == {"buyer_tax_code"}


def test_a_template_the_provider_does_not_know_fails_with_a_clear_reason(
    sinvoice_template, make_order, committed
):
    unknown = services.invoice_template_save(
        account=sinvoice_template.account,
        kind="vat",
        template_code="1/001",
        series=f"C{sinvoice_template.series[1:3]}TZZ",
    )
    with committed():
        invoice, _started = services.invoice_issue(order=make_order(), template=unknown)

    invoice.refresh_from_db()
    assert invoice.state == "failed" and invoice.send_outcome == "refused"
    assert "TZZ" in invoice.last_error
    # Nothing reached the provider: it can be cancelled and issued with the right template.
    services.invoice_discard(invoice=invoice)
    with committed():
        again, _started = services.invoice_issue(order=invoice.order, template=sinvoice_template)
    again.refresh_from_db()
    assert again.state == "issued" and again.pk != invoice.pk


def test_refused_then_fixed_then_retried(misa_template, misa_emulator, make_order, committed):
    order = make_order()
    misa_emulator.control_fault("publish_error_next", {"n": 1, "code": "LicenseInfo_OutOfInvoice"})

    with committed():
        invoice, _started = services.invoice_issue(order=order, template=misa_template)
    invoice.refresh_from_db()
    assert invoice.state == "failed" and invoice.last_error

    with committed():
        services.invoice_retry(invoice=invoice)
    invoice.refresh_from_db()
    assert invoice.state == "issued" and invoice.number == "1"


def test_rates_in_force_on_the_invoice_date(sinvoice_template, make_order):
    order = make_order()

    draft = services.invoice_preview(order=order, template=sinvoice_template, on=date(2027, 1, 5))

    assert [(ln.order_vat_rate, ln.vat_rate) for ln in draft.lines] == [
        ("8", "10"),
        ("10", "10"),
        ("8", "10"),  # the shipping fee
    ]
    assert draft.needs_review
    assert {c.what for c in draft.rate_changes} == {order.lines.first().sku, "shipping"}
    assert [r["rate"] for r in draft.rate_rows] == ["10"]
    assert draft.total == order.total  # the buyer paid the gross: it splits again
    assert all(ln.net + ln.vat == ln.gross for ln in draft.lines)
    # The series of 2026 is refused for a 2027 invoice, naming what to do.
    with pytest.raises(ValidationFailed) as err:
        services.invoice_issue(order=order, template=sinvoice_template, on=date(2027, 1, 5))
    assert "C27TAA" in err.value.fields["template"]


def test_discounts_are_on_the_invoice(sinvoice_template, make_order, committed):
    order = make_order(discounts=[orders.DiscountInput(amount=20_000)])
    draft = services.invoice_preview(order=order, template=sinvoice_template)
    assert draft.total_discount > 0
    assert draft.total == order.total
    assert sum(ln.amount - ln.discount for ln in draft.lines) == draft.total_net

    with committed():
        invoice, _started = services.invoice_issue(order=order, template=sinvoice_template)
    invoice.refresh_from_db()
    assert invoice.state == "issued", invoice.last_error


def test_an_individual_buyer(misa_template, make_order, committed):
    order = make_order(buyer=None, name="Lê Thị Thu Hà")
    with committed():
        invoice, _started = services.invoice_issue(order=order, template=misa_template)
    invoice.refresh_from_db()
    assert invoice.state == "issued", invoice.last_error
    assert invoice.buyer_kind == "individual" and invoice.buyer_name == "Lê Thị Thu Hà"


# --- automatic issuing ------------------------------------------------------------------------


def test_automatic_issuing_at_hand_over_for_company_buyers(
    sinvoice_template, make_order, committed
):
    services.auto_rule_save(enabled=True, moment="handed_over", company_buyers=True)
    with committed():
        before = make_order(stage="confirmed")
    assert not before.invoices.exists()  # never before hand-over

    with committed():
        company = make_order()
        person = make_order(buyer=None)

    assert company.invoices.get().state == "issued"
    assert not person.invoices.exists()


def test_automatic_issuing_at_completion_or_above_a_total(misa_template, make_order, committed):
    services.auto_rule_save(
        enabled=True,
        moment="completed",
        company_buyers=False,
        buyers_asking=False,
        total_above=400_000,
    )
    with committed():
        big = make_order(buyer=None)
        small = make_order(buyer=None, lines=((50_000, "10", 1),))
    assert not big.invoices.exists()  # handed over, not completed yet

    with committed():
        orders.order_complete(order=big)
        orders.order_complete(order=small)

    assert big.invoices.get().state == "issued"
    assert not small.invoices.exists()


def test_automatic_issuing_holds_a_changed_rate_for_the_accountant(
    settings, sinvoice_template, make_order, committed
):
    settings.INVOICE_REDUCED_VAT_UNTIL = (timezone.localdate() - timedelta(days=1)).isoformat()
    services.auto_rule_save(enabled=True, moment="handed_over", company_buyers=True)

    with committed():
        order = make_order()

    invoice = order.invoices.get()
    assert invoice.state == "draft" and invoice.needs_review
    assert {ln.vat_rate for ln in invoice.lines.all()} == {"10"}
    with committed():
        services.invoice_submit_draft(invoice=invoice)
    invoice.refresh_from_db()
    assert invoice.state == "issued", invoice.last_error


def test_automatic_issuing_that_cannot_issue_says_why_on_the_order(
    sinvoice_template, make_order, committed
):
    services.auto_rule_save(enabled=True, moment="completed", company_buyers=True)
    order = make_order()
    Order.objects.filter(pk=order.pk).update(buyer_tax_code="")
    order.refresh_from_db()

    with committed():
        orders.order_complete(order=order)

    assert not order.invoices.exists()
    assert order.events.filter(code="invoice_auto_refused").exists()


def test_a_sales_invoice_has_no_vat(provider, make_order, committed):
    template, emulator = provider
    series = template.series
    if template.account.provider == "sinvoice":
        supplier = emulator.suppliers["0107654326"]
        supplier.templates["2/001"] = sinvoice_model.Template("2/001", "2", [series])
        code = "2/001"
    else:
        company = emulator.companies["0107654326"]
        company.templates["2" + series] = misa_model.Template("2" + series)
        code = "2"
    sales = services.invoice_template_save(
        account=template.account, kind="sales", template_code=code, series=series
    )
    order = make_order(buyer=None)

    with committed():
        invoice, _started = services.invoice_issue(order=order, template=sales)

    invoice.refresh_from_db()
    assert invoice.state == "issued", invoice.last_error
    assert invoice.invoice_kind == "sales" and invoice.symbol == "2" + series
    assert invoice.total_vat == 0 and invoice.total == order.total == invoice.total_net
