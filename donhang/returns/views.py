"""Returns pages: the list, opening a return from an order, one return with every step on it
(receive, inspect, refund with its VietQR code, exchange, the e-invoice correction, close), the
damage photos and the reports. Views validate input, call a service or a selector, render; the
services check permissions themselves."""

from __future__ import annotations

import mimetypes

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import FileResponse, Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from donhang.accounts.decorators import permission_required_403
from donhang.core import vietqr
from donhang.core.errors import DomainError
from donhang.orders.selectors import order_get
from donhang.orders.services import LineInput
from donhang.returns import selectors, services
from donhang.returns.forms import (
    ExchangeForm,
    InspectForm,
    MarkPaidForm,
    ReceiveForm,
    RefundForm,
    ReportForm,
    ReturnCreateForm,
    ReturnFilterForm,
)
from donhang.returns.models import GOODS_BACK, Refund, RefundStatus, Return, ReturnLine, State

PAGE_SIZE = 25


def _return_or_404(pk: int) -> Return:
    goods_return = selectors.return_get(pk)
    if goods_return is None:
        raise Http404(_("There is no such return."))
    return goods_return


def _detail(goods_return: Return):
    return redirect("returns:return_detail", goods_return.pk)


def _refuse(request, exc: DomainError) -> None:
    details = "; ".join(str(v) for v in (exc.fields or {}).values())
    messages.error(request, f"{exc.message} {details}".strip() if details else exc.message)


@permission_required_403("returns.view_return")
@require_GET
def return_list(request):
    form = ReturnFilterForm(request.GET or None)
    data = form.cleaned_data if form.is_valid() else {}
    returns = selectors.return_list(
        selectors.ReturnFilters(
            state=data.get("state", ""), source=data.get("source", ""), q=data.get("q", "")
        )
    )
    page_obj = Paginator(returns, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "returns/return_list.html",
        {
            "form": form,
            "page_obj": page_obj,
            "returns": list(page_obj.object_list),
            "counts": selectors.state_counts(),
            "states": State.choices,
            "filtered": bool(request.GET.dict().keys() - {"page"}),
        },
    )


@permission_required_403("returns.add_return")
@require_http_methods(["GET", "POST"])
def return_create(request, code: str):
    order = order_get(code=code.strip().upper())
    if order is None:
        raise Http404(_("There is no order %(code)s.") % {"code": code})
    lines = list(order.lines.all())
    returnable = services.returnable_quantities(order)
    form = ReturnCreateForm(request.POST or None, lines=lines, returnable=returnable)
    status = 200
    if request.method == "POST":
        if form.is_valid() and not form.chosen():
            form.add_error(None, _("Enter how many units of at least one line come back."))
        if form.is_valid():
            try:
                goods_return = services.return_create(
                    order=order,
                    lines=[
                        services.ReturnLineInput(order_line_id=pk, quantity=q, reason=r)
                        for pk, q, r in form.chosen()
                    ],
                    reason=form.cleaned_data["reason"],
                    note=form.cleaned_data["note"],
                    source=form.cleaned_data["source"],
                    actor=request.user,
                )
            except DomainError as exc:
                form.add_error(None, exc.message)
                for field, reason in (exc.fields or {}).items():
                    form.add_error(None, f"{field}: {reason}")
            else:
                messages.success(
                    request, _("Return %(code)s opened.") % {"code": goods_return.code}
                )
                return _detail(goods_return)
        status = 422
    return render(
        request,
        "returns/return_create.html",
        {
            "order": order,
            "form": form,
            "nothing_left": not any(v > 0 for v in returnable.values()),
            "returnable_status": order.status in services.RETURNABLE_STATUSES,
        },
        status=status,
    )


@permission_required_403("returns.view_return")
@require_GET
def return_detail(request, pk: int):
    goods_return = _return_or_404(pk)
    lines = list(goods_return.lines.all())
    refunds = list(goods_return.refunds.all())
    user = request.user
    state = goods_return.state
    for refund in refunds:
        payload = services.refund_qr_payload(refund)
        refund.qr_svg = (
            mark_safe(vietqr.svg(payload, module=4))  # built by us: no text from a person
            if payload and refund.status == RefundStatus.PENDING
            else ""
        )
    order = goods_return.order
    default_refund = services.refund_default(goods_return) if state != State.CANCELLED else 0
    context = {
        "goods_return": goods_return,
        "order": order,
        "lines": lines,
        "refunds": refunds,
        "default_refund": default_refund,
        "shipping_refundable": services.shipping_refundable(order),
        "refundable": services.refundable(order),
        "returned_value": services.returned_value(goods_return),
        "exchange": (
            services.exchange_difference(goods_return) if goods_return.exchange_order_id else None
        ),
        "can_receive": state == State.REQUESTED and user.has_perm("returns.receive_return"),
        "can_inspect": state == State.RECEIVED and user.has_perm("returns.inspect_return"),
        "can_refund": state != State.CANCELLED and user.has_perm("orders.refund_payment"),
        "can_exchange": (
            state in (State.REQUESTED, State.RECEIVED, State.INSPECTED)
            and not goods_return.exchange_order_id
            and user.has_perm("returns.change_return")
            and user.has_perm("orders.add_order")
        ),
        "can_cancel": state == State.REQUESTED and user.has_perm("returns.change_return"),
        "can_close": state == State.INSPECTED and user.has_perm("returns.change_return"),
        "can_issue_invoice": (
            bool(goods_return.invoice_action)
            and goods_return.invoice_correction_id is None
            and user.has_perm("invoicing.correct_invoice")
        ),
        "goods_back": state in GOODS_BACK,
        "receive_form": ReceiveForm(initial={"warehouse": order.warehouse_id}),
        "inspect_form": InspectForm(lines=lines, default_warehouse=goods_return.warehouse_id),
        "refund_form": RefundForm(initial={"method": "bank_transfer"}),
        "mark_paid_form": MarkPaidForm(),
        "exchange_form": ExchangeForm(initial_sku=lines[0].sku if lines else ""),
    }
    return render(request, "returns/return_detail.html", context)


@permission_required_403("returns.receive_return")
@require_POST
def return_receive(request, pk: int):
    goods_return = _return_or_404(pk)
    form = ReceiveForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose the warehouse the goods came back to."))
        return _detail(goods_return)
    try:
        services.return_receive(
            goods_return=goods_return,
            warehouse=form.cleaned_data["warehouse"],
            at_counter=form.cleaned_data["at_counter"],
            actor=request.user,
        )
    except DomainError as exc:
        _refuse(request, exc)
    else:
        messages.success(request, _("Received. Inspect the goods next."))
    return _detail(goods_return)


@permission_required_403("returns.inspect_return")
@require_POST
def return_inspect(request, pk: int):
    goods_return = _return_or_404(pk)
    lines = list(goods_return.lines.all())
    form = InspectForm(request.POST, request.FILES, lines=lines)
    if not form.is_valid():
        messages.error(
            request,
            _("The inspection is not complete: %(errors)s")
            % {"errors": "; ".join(f"{e}" for errs in form.errors.values() for e in errs)},
        )
        return _detail(goods_return)
    try:
        services.return_inspect(
            goods_return=goods_return,
            lines=[services.InspectionInput(line_id=ln.pk, **form.values(ln.pk)) for ln in lines],
            actor=request.user,
        )
    except DomainError as exc:
        _refuse(request, exc)
    else:
        messages.success(request, _("Inspected: good units are back in stock."))
    return _detail(goods_return)


@permission_required_403(("returns.view_return", "orders.refund_payment"))
@require_POST
def return_refund(request, pk: int):
    goods_return = _return_or_404(pk)
    form = RefundForm(request.POST)
    if not form.is_valid():
        messages.error(
            request,
            _("The refund is not valid: %(errors)s")
            % {"errors": "; ".join(f"{e}" for errs in form.errors.values() for e in errs)},
        )
        return _detail(goods_return)
    data = form.cleaned_data
    try:
        refund = services.refund_create(
            goods_return=goods_return,
            method=data["method"],
            amount=data["amount"],
            include_shipping=data["include_shipping"],
            bank_bin=data["bank_bin"],
            bank_account=data["bank_account"],
            account_holder=data["account_holder"],
            reference=data["reference"],
            paid=True if data["paid"] or data["method"] != "bank_transfer" else None,
            actor=request.user,
        )
    except DomainError as exc:
        _refuse(request, exc)
    else:
        if refund.status == RefundStatus.PENDING:
            messages.success(request, _("Refund saved: scan the QR code to transfer it."))
        else:
            messages.success(request, _("Refund recorded."))
    return _detail(goods_return)


def _refund_or_404(goods_return: Return, refund_pk: int) -> Refund:
    refund = Refund.objects.filter(pk=refund_pk, goods_return=goods_return).first()
    if refund is None:
        raise Http404(_("There is no such refund."))
    return refund


@permission_required_403(("returns.view_return", "orders.refund_payment"))
@require_POST
def refund_mark_paid(request, pk: int, refund_pk: int):
    goods_return = _return_or_404(pk)
    refund = _refund_or_404(goods_return, refund_pk)
    form = MarkPaidForm(request.POST)
    reference = form.cleaned_data["reference"] if form.is_valid() else ""
    try:
        services.refund_mark_paid(refund=refund, reference=reference, actor=request.user)
    except DomainError as exc:
        _refuse(request, exc)
    else:
        messages.success(request, _("Refund recorded as transferred."))
    return _detail(goods_return)


@permission_required_403(("returns.view_return", "orders.refund_payment"))
@require_POST
def refund_cancel(request, pk: int, refund_pk: int):
    goods_return = _return_or_404(pk)
    refund = _refund_or_404(goods_return, refund_pk)
    try:
        services.refund_cancel(refund=refund, actor=request.user)
    except DomainError as exc:
        _refuse(request, exc)
    else:
        messages.success(request, _("Refund cancelled."))
    return _detail(goods_return)


@permission_required_403("returns.view_return")
@require_GET
def refund_qr(request, pk: int, refund_pk: int):
    """A printable page with the refund's VietQR code and the customer's account."""
    goods_return = _return_or_404(pk)
    refund = _refund_or_404(goods_return, refund_pk)
    payload = services.refund_qr_payload(refund)
    if not payload:
        raise Http404(_("This refund has no bank account to transfer to."))
    return render(
        request,
        "returns/refund_qr.html",
        {
            "goods_return": goods_return,
            "refund": refund,
            "payload": payload,
            "qr_svg": mark_safe(vietqr.svg(payload)),
            "note": vietqr.transfer_note(f"HOAN TIEN {refund.order.code}"),
        },
    )


@permission_required_403(("returns.change_return", "orders.add_order"))
@require_POST
def return_exchange(request, pk: int):
    goods_return = _return_or_404(pk)
    form = ExchangeForm(request.POST)
    if not form.is_valid() or not form.lines():
        messages.error(request, _("Enter the SKU and quantity of what the customer gets instead."))
        return _detail(goods_return)
    try:
        order = services.exchange_create(
            goods_return=goods_return,
            lines=[LineInput(sku=sku, quantity=q) for sku, q in form.lines()],
            shipping_fee=form.cleaned_data["shipping_fee"] or 0,
            payment_method=form.cleaned_data["payment_method"],
            note=form.cleaned_data["note"],
            actor=request.user,
        )
    except DomainError as exc:
        _refuse(request, exc)
    else:
        messages.success(
            request,
            _("Exchange order %(code)s created; its stock is reserved.") % {"code": order.code},
        )
    return _detail(goods_return)


@permission_required_403(("returns.view_return", "invoicing.correct_invoice"))
@require_POST
def return_invoice(request, pk: int):
    goods_return = _return_or_404(pk)
    try:
        correction = services.return_invoice_issue(
            goods_return=goods_return,
            reason=request.POST.get("reason", "")[:500],
            actor=request.user,
        )
    except DomainError as exc:
        _refuse(request, exc)
    else:
        messages.success(
            request,
            _("%(what)s sent to the provider.") % {"what": correction.get_purpose_display()},
        )
    return _detail(goods_return)


@permission_required_403("returns.change_return")
@require_POST
def return_close(request, pk: int):
    goods_return = _return_or_404(pk)
    try:
        services.return_close(goods_return=goods_return, actor=request.user)
    except DomainError as exc:
        _refuse(request, exc)
    else:
        messages.success(request, _("Return closed."))
    return _detail(goods_return)


@permission_required_403("returns.change_return")
@require_POST
def return_cancel(request, pk: int):
    goods_return = _return_or_404(pk)
    try:
        services.return_cancel(
            goods_return=goods_return,
            reason=request.POST.get("reason", "")[:2000],
            actor=request.user,
        )
    except DomainError as exc:
        _refuse(request, exc)
    else:
        messages.success(request, _("Return cancelled."))
    return _detail(goods_return)


@permission_required_403("returns.view_return")
@require_GET
def line_photo(request, line_pk: int):
    """A damage photo, served as the image it was re-encoded to, never as anything else."""
    line = ReturnLine.objects.filter(pk=line_pk).exclude(damage_photo="").first()
    if line is None:
        raise Http404(_("There is no such photo."))
    content_type = mimetypes.guess_type(line.damage_photo.name)[0] or "application/octet-stream"
    if content_type not in ("image/jpeg", "image/png", "image/webp"):
        raise Http404(_("There is no such photo."))
    response = FileResponse(line.damage_photo.open("rb"), content_type=content_type)
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Disposition"] = "inline"
    response["Cache-Control"] = "private, max-age=3600"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response


@permission_required_403("returns.view_return")
@require_GET
def return_reports(request):
    form = ReportForm(request.GET or None)
    data = form.cleaned_data if form.is_valid() else {}
    period = {"date_from": data.get("date_from"), "date_to": data.get("date_to")}
    return render(
        request,
        "returns/reports.html",
        {
            "form": form,
            "by_reason": selectors.returns_by_reason(**period),
            "by_product": selectors.returns_by_product(**period),
            "damaged": selectors.damaged_value(**period),
            "show_cost": request.user.has_perm("catalog.view_cost"),
            "list_url": reverse("returns:return_list"),
        },
    )
