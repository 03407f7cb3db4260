"""E-invoice pages: the list (filters, search, .xlsx), an invoice with its history and actions
(retry, replace, adjust, email), issuing from an order (preview, then issue), and the settings
(provider accounts, templates, the automatic rule). Views validate input, call a service or a
selector, render; the services check permissions themselves."""

from __future__ import annotations

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop
from django.views.decorators.http import require_GET, require_POST

from donhang.accounts.decorators import permission_required_403
from donhang.core.errors import DomainError
from donhang.invoicing import exports, selectors, services
from donhang.invoicing.drafting import check_draft
from donhang.invoicing.forms import (
    CREDENTIAL_FIELDS,
    AccountForm,
    AdjustForm,
    InvoiceFilterForm,
    IssueForm,
    ReplaceForm,
    RuleForm,
    TemplateForm,
)
from donhang.invoicing.models import Invoice, InvoiceAccount, InvoiceTemplate, Purpose, State
from donhang.invoicing.pdf import document_from_draft, document_from_invoice, render_invoice_pdf
from donhang.invoicing.services.issuing import ISSUABLE_STATUSES
from donhang.invoicing.timeline import invoice_event_text
from donhang.orders.models import Order
from donhang.orders.selectors import order_list_by_codes

PAGE_SIZE = 25


def _back(request, fallback: str) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return fallback


def _order_or_404(code: str) -> Order:
    orders = order_list_by_codes(codes=[code.strip().upper()])
    if not orders:
        raise Http404(_("There is no order %(code)s.") % {"code": code})
    return orders[0]


def _invoice_or_404(pk: int) -> Invoice:
    invoice = selectors.invoice_get(pk=pk)
    if invoice is None:
        raise Http404(_("There is no such invoice."))
    return invoice


def _pdf_response(content: bytes, filename: str) -> HttpResponse:
    response = HttpResponse(content, content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="{filename}"'
    response["X-Content-Type-Options"] = "nosniff"
    return response


# --- the list --------------------------------------------------------------------------------------


@permission_required_403("invoicing.view_invoice")
@require_GET
def invoice_list(request):
    form = InvoiceFilterForm(request.GET or None)
    filters = form.filters()
    invoices = selectors.invoice_list(filters)
    page_obj = Paginator(invoices, PAGE_SIZE).get_page(request.GET.get("page"))
    counts = selectors.dashboard_counts()
    return render(
        request,
        "invoicing/invoice_list.html",
        {
            "form": form,
            "page_obj": page_obj,
            "invoices": list(page_obj.object_list),
            "counts": counts,
            "filtered": bool(request.GET.dict().keys() - {"page"}),
            "query": request.GET.urlencode(),
            "section": "invoices",
        },
    )


@permission_required_403("invoicing.view_invoice")
@require_GET
def invoice_export(request):
    """The invoices of the list's filters as an .xlsx."""
    filters = InvoiceFilterForm(request.GET or None).filters()
    content = exports.invoices_xlsx(selectors.invoice_list(filters))
    response = HttpResponse(
        content,
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )
    response["Content-Disposition"] = (
        f'attachment; filename="invoices-{timezone.localdate():%Y-%m-%d}.xlsx"'
    )
    return response


# --- one invoice -----------------------------------------------------------------------------------


@permission_required_403("invoicing.view_invoice")
@require_GET
def invoice_detail(request, pk):
    invoice = _invoice_or_404(pk)
    events = list(invoice.events.all())
    for event in events:
        event.text = invoice_event_text(event.code, event.params)
    user = request.user
    can_correct = user.has_perm("invoicing.correct_invoice") and invoice.purpose != (
        Purpose.ADJUSTMENT
    )
    pending_correction = any(
        c.state in (State.DRAFT, State.ISSUING, State.FAILED) for c in invoice.corrections.all()
    )
    return render(
        request,
        "invoicing/invoice_detail.html",
        {
            "invoice": invoice,
            "lines": list(invoice.lines.all()),
            "events": events,
            "calls": selectors.invoice_calls(invoice),
            "corrections": list(invoice.corrections.all()),
            "stuck": selectors.invoice_is_stuck(invoice),
            "can_issue": user.has_perm("invoicing.issue_invoice"),
            "can_replace": can_correct and invoice.state == State.ISSUED and not pending_correction,
            "can_adjust": can_correct
            and not pending_correction
            and (
                invoice.state == State.ISSUED
                or (
                    invoice.state == State.ADJUSTED
                    and services.invoice_can_be_adjusted_again(invoice)
                )
            ),
            "section": "invoices",
        },
    )


@permission_required_403("invoicing.view_invoice")
@require_GET
def invoice_pdf(request, pk):
    """The provider's PDF once downloaded; before that, our own copy (marked as such)."""
    invoice = _invoice_or_404(pk)
    filename = f"{invoice.symbol}-{invoice.number or invoice.reference}.pdf"
    if invoice.pdf:
        response = FileResponse(invoice.pdf.open("rb"), content_type="application/pdf")
        response["Content-Disposition"] = f'inline; filename="{filename}"'
        response["X-Content-Type-Options"] = "nosniff"
        return response
    document = document_from_invoice(invoice)
    return _pdf_response(
        render_invoice_pdf(document, preview=invoice.state != State.ISSUED or not invoice.number),
        filename,
    )


def _action(service, success: str, perm: str):
    @permission_required_403(perm)
    @require_POST
    def view(request, pk):
        invoice = _invoice_or_404(pk)
        fallback = reverse("invoicing:invoice_detail", args=[invoice.pk])
        try:
            service(invoice=invoice, actor=request.user)
        except DomainError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, _(success))
        return redirect(_back(request, fallback))

    return view


invoice_retry = _action(
    services.invoice_retry,
    gettext_noop("Sent again; it is looked up at the provider first, never issued twice."),
    "invoicing.issue_invoice",
)
invoice_submit_draft = _action(
    services.invoice_submit_draft, gettext_noop("Sent to the provider."), "invoicing.issue_invoice"
)
invoice_discard = _action(
    services.invoice_discard, gettext_noop("Invoice cancelled."), "invoicing.issue_invoice"
)
invoice_email = _action(
    services.invoice_retry_email, gettext_noop("Emailed to the buyer."), "invoicing.issue_invoice"
)


@permission_required_403("invoicing.issue_invoice")
@require_POST
def invoice_check(request, pk):
    """Ask the provider now for the tax authority's code and the PDF."""
    invoice = _invoice_or_404(pk)
    outcome = services.invoice_finish(invoice_id=invoice.pk)
    if outcome == "done":
        messages.success(request, _("Up to date with the provider."))
    else:
        messages.info(request, _("The provider has not given the code or the PDF yet."))
    return redirect(reverse("invoicing:invoice_detail", args=[invoice.pk]))


@permission_required_403("invoicing.correct_invoice")
def invoice_replace(request, pk):
    invoice = _invoice_or_404(pk)
    initial = {
        "buyer_kind": invoice.buyer_kind,
        "buyer_name": invoice.buyer_name,
        "buyer_company_name": invoice.buyer_company_name,
        "buyer_tax_code": invoice.buyer_tax_code,
        "buyer_address": invoice.buyer_address,
        "buyer_email": invoice.buyer_email,
    }
    form = ReplaceForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            replacement = services.invoice_replace(
                invoice=invoice,
                reason=form.cleaned_data["reason"],
                buyer=form.buyer(phone=invoice.buyer_phone),
                agreement=form.cleaned_data["agreement"],
                agreement_date=form.cleaned_data["agreement_date"],
                actor=request.user,
            )
        except DomainError as exc:
            form.add_domain_error(exc)
        else:
            messages.success(
                request, _("Replacement invoice sent to the provider; it appears in a moment.")
            )
            return redirect("invoicing:invoice_detail", replacement.pk)
    return render(
        request,
        "invoicing/invoice_replace.html",
        {"invoice": invoice, "form": form, "section": "invoices"},
        status=422 if form.is_bound and form.errors else 200,
    )


@permission_required_403("invoicing.correct_invoice")
def invoice_adjust(request, pk):
    invoice = _invoice_or_404(pk)
    lines = [ln for ln in invoice.lines.all() if ln.kind != "note"]
    form = AdjustForm(request.POST or None, lines=lines)
    if request.method == "POST" and form.is_valid():
        try:
            adjustment = services.invoice_adjust(
                invoice=invoice,
                reason=form.cleaned_data["reason"],
                changes=form.changes(),
                agreement=form.cleaned_data["agreement"],
                agreement_date=form.cleaned_data["agreement_date"],
                actor=request.user,
            )
        except DomainError as exc:
            form.add_domain_error(exc)
        else:
            messages.success(
                request, _("Adjustment invoice sent to the provider; it appears in a moment.")
            )
            return redirect("invoicing:invoice_detail", adjustment.pk)
    return render(
        request,
        "invoicing/invoice_adjust.html",
        {"invoice": invoice, "form": form, "section": "invoices"},
        status=422 if form.is_bound and form.errors else 200,
    )


# --- from an order ---------------------------------------------------------------------------------


@permission_required_403("invoicing.issue_invoice")
def order_issue(request, code):
    """The invoice as it would be sent (lines, rows per rate, words, the buyer), then Issue."""
    order = _order_or_404(code)
    order_url = reverse("orders:order_detail", args=[order.code])
    existing = order.invoices.filter(purpose=Purpose.ORIGINAL).exclude(state=State.CANCELLED)
    if existing.exists() and request.method == "GET":
        return redirect("invoicing:invoice_detail", existing.first().pk)
    if order.status not in ISSUABLE_STATUSES:
        messages.error(
            request,
            _("An invoice is issued for a confirmed order, being shipped or completed."),
        )
        return redirect(order_url)
    default = services.default_template()
    form = IssueForm(request.POST or None, initial={"template": default})
    if request.method == "POST" and form.is_valid():
        try:
            services.invoice_issue(
                order=order, template=form.cleaned_data["template"], actor=request.user
            )
        except DomainError as exc:
            messages.error(request, exc.message)
            for reason in exc.fields.values():
                messages.error(request, reason)
        else:
            messages.success(
                request,
                _(
                    "Sent to the provider; the number and the tax authority's code appear in a moment."
                ),
            )
            return redirect(order_url + "#invoices")
    template = form.cleaned_data.get("template") if form.is_bound and form.is_valid() else None
    if template is None:
        selected = request.GET.get("template")
        template = (
            InvoiceTemplate.objects.filter(pk=selected).first()
            if selected and selected.isdigit()
            else default
        )
    draft = services.invoice_preview(order=order, template=template)
    problems = {}
    try:
        check_draft(draft)
    except DomainError as exc:
        problems = exc.fields or {"": exc.message}
    return render(
        request,
        "invoicing/order_issue.html",
        {
            "order": order,
            "form": form,
            "draft": draft,
            "problems": problems,
            "template": template,
            "preview_pdf_url": reverse("invoicing:order_preview_pdf", args=[order.code])
            + (f"?template={template.pk}" if template else ""),
        },
    )


@permission_required_403("invoicing.view_invoice")
@require_GET
def order_preview_pdf(request, code):
    order = _order_or_404(code)
    selected = request.GET.get("template")
    template = (
        InvoiceTemplate.objects.select_related("account").filter(pk=selected).first()
        if selected and selected.isdigit()
        else None
    )
    draft = services.invoice_preview(order=order, template=template)
    return _pdf_response(
        render_invoice_pdf(document_from_draft(draft), preview=True),
        f"preview-{order.code}.pdf",
    )


# --- settings --------------------------------------------------------------------------------------


@permission_required_403("invoicing.view_invoiceaccount")
@require_GET
def settings_overview(request):
    return render(
        request,
        "invoicing/settings.html",
        {
            "accounts": selectors.account_list(),
            "templates": selectors.template_list(),
            "rule": services.auto_rule_get(),
            "section": "settings",
        },
    )


@permission_required_403("invoicing.add_invoiceaccount")
def account_create(request):
    return _account_form(request, None)


@permission_required_403("invoicing.change_invoiceaccount")
def account_edit(request, pk):
    account = InvoiceAccount.objects.filter(pk=pk).first()
    if account is None:
        raise Http404(_("There is no such e-invoice account."))
    return _account_form(request, account)


def _account_form(request, account):
    form = AccountForm(request.POST or None, account=account)
    if request.method == "POST" and form.is_valid():
        try:
            saved = services.invoice_account_save(
                account=account, actor=request.user, **form.service_values()
            )
        except DomainError as exc:
            form.add_domain_error(exc)
        else:
            messages.success(request, _("E-invoice account “%(name)s” saved.") % {"name": saved})
            return redirect("invoicing:settings")
    return render(
        request,
        "invoicing/account_form.html",
        {
            "form": form,
            "account": account,
            "secrets": form.secrets_status(),
            "credential_fields": CREDENTIAL_FIELDS,
            "section": "settings",
        },
        status=422 if form.errors else 200,
    )


@permission_required_403("invoicing.add_invoicetemplate")
def template_create(request):
    return _template_form(request, None)


@permission_required_403("invoicing.change_invoicetemplate")
def template_edit(request, pk):
    template = InvoiceTemplate.objects.select_related("account").filter(pk=pk).first()
    if template is None:
        raise Http404(_("There is no such invoice template."))
    return _template_form(request, template)


def _template_form(request, template):
    form = TemplateForm(request.POST or None, template=template)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            saved = services.invoice_template_save(template=template, actor=request.user, **data)
        except DomainError as exc:
            form.add_domain_error(exc)
        else:
            messages.success(request, _("Template %(name)s saved.") % {"name": saved})
            return redirect("invoicing:settings")
    return render(
        request,
        "invoicing/template_form.html",
        {"form": form, "template": template, "section": "settings"},
        status=422 if form.errors else 200,
    )


@permission_required_403("invoicing.change_autoissuerule")
def rule_edit(request):
    rule = services.auto_rule_get()
    form = RuleForm(
        request.POST or None,
        initial={
            "enabled": rule.enabled,
            "moment": rule.moment,
            "company_buyers": rule.company_buyers,
            "buyers_asking": rule.buyers_asking,
            "total_above": rule.total_above,
            "template": rule.template_id,
        },
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.auto_rule_save(actor=request.user, **form.cleaned_data)
        except DomainError as exc:
            form.add_domain_error(exc)
        else:
            messages.success(request, _("Automatic issuing saved."))
            return redirect("invoicing:settings")
    return render(
        request,
        "invoicing/rule_form.html",
        {"form": form, "section": "settings"},
        status=422 if form.errors else 200,
    )
