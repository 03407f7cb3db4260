"""The order page: the next step and what blocks it, the timeline in the reader's language,
the transitions, notes, editing the order and recording payments."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from donhang.accounts.decorators import permission_required_403
from donhang.core import hooks
from donhang.core.errors import DomainError
from donhang.core.money import VAT_RATE_ORDER
from donhang.core.phone import display_phone
from donhang.orders import selectors, services
from donhang.orders.forms import (
    OrderEditForm,
    PaymentForm,
)
from donhang.orders.models import (
    OPEN_STATUSES,
    Order,
    PaymentMethod,
    Status,
    SubState,
)
from donhang.orders.timeline import event_text
from donhang.orders.views._common import _order_or_404

# --- order page --------------------------------------------------------------------------------


@dataclass
class Step:
    action: str  # the URL name after `namespace:`
    label: str
    style: str = "primary"
    perm: str = ""
    needs_reason: bool = False
    url: str = ""
    allowed: bool = True
    namespace: str = "orders"
    method: str = "post"  # "get": a link to a page (the shipment screen)


@dataclass
class Guide:
    main: Step | None = None
    secondary: list[Step] = field(default_factory=list)
    blockers: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


def _guide(order: Order, lines, available: dict[int, int], shipping: dict | None = None) -> Guide:
    """The next step for the order's state, and what stops it (the service's own rules).

    With a carrier set up, packing and ready-to-ship orders are sent with "Create shipment";
    marking packed and handing over by hand stay as secondary steps."""
    short = [ln for ln in lines if ln.reserved_quantity < ln.quantity]
    short_text = [
        _("%(sku)s is short of %(short)s (only %(available)s more available).")
        % {
            "sku": ln.sku,
            "short": ln.quantity - ln.reserved_quantity,
            "available": available.get(ln.variant_id, 0),
        }
        for ln in short
    ]
    no_address = order.payment_method == PaymentMethod.COD and not order.shipping_ward_id
    address_text = _("A cash-on-delivery order needs a delivery address (ward) to hand over.")
    fulfil = "orders.fulfil_order"
    guide = Guide()
    if order.status == Status.NEW:
        guide.main = Step("order_confirm", _("Confirm"), perm="orders.confirm_order")
        guide.warnings = short_text + ([address_text] if no_address else [])
        if short:
            guide.warnings.append(_("Confirming now puts the order in “Awaiting stock”."))
    elif order.status == Status.PROCESSING and order.sub_state != SubState.READY_TO_SHIP:
        guide.main = Step("order_mark_packed", _("Mark packed"), perm=fulfil)
        if order.sub_state != SubState.PACKING:
            guide.blockers = short_text or [_("The order is not in packing.")]
    elif order.status == Status.PROCESSING:
        guide.main = Step("order_hand_over", _("Hand over to carrier"), perm=fulfil)
        guide.blockers = short_text + ([address_text] if no_address else [])
    elif order.status == Status.SHIPPING:
        guide.main = Step("order_complete", _("Mark delivered (complete)"), "success", fulfil)
        if order.sub_state == SubState.DELIVERY_FAILED:
            guide.secondary = [
                Step("order_return", _("Mark returned"), "outline-danger", fulfil, True)
            ]
        else:
            guide.secondary = [
                Step(
                    "order_mark_delivery_failed",
                    _("Delivery failed"),
                    "outline-danger",
                    fulfil,
                    True,
                )
            ]
    if (
        shipping
        and shipping["has_carriers"]
        and not shipping["has_open"]
        and order.status == Status.PROCESSING
        and order.sub_state in (SubState.PACKING, SubState.READY_TO_SHIP)
    ):
        manual = guide.main
        manual.style = "outline-secondary"
        guide.main = Step(
            "shipment_create",
            _("Create shipment"),
            perm="shipping.add_shipment",
            namespace="shipping",
            method="get",
        )
        guide.secondary = [manual, *guide.secondary]
        guide.blockers = (
            []
            if order.shipping_ward_id
            else [_("The order needs a delivery address (ward) before a carrier can take it.")]
        )
    return guide


def _status_label(status: str, sub_state: str) -> str:
    if not status:
        return ""
    label = str(Status(status).label) if status in Status.values else status
    if sub_state and sub_state in SubState.values:
        label += " · " + str(SubState(sub_state).label)
    return label


_CODE_LIKE = re.compile(r"^[a-z0-9_\-.]+$")
SHIPMENT_CODES = ("shipment_", "carrier_update", "cod_reduced", "redeliver_", "return_requested")


def _timeline(events) -> list:
    """The order's events in the reader's language: a carrier's status code is never shown as
    text (its words are), a shipment's events say they are the shipment's, and the same carrier
    status told twice (webhook, then a poll) is shown once."""
    shown = []
    last_carrier_status = None
    for event in events:
        if event.code == "carrier_update":
            status = (event.params or {}).get("status")
            if status == last_carrier_status and not event.to_status:
                continue
            last_carrier_status = status
            if event.message and _CODE_LIKE.match(event.message):
                event.message = ""  # "ready_to_pick": the rendered sentence already says it
        event.from_label = _status_label(event.from_status, event.from_sub_state)
        event.to_label = _status_label(event.to_status, event.to_sub_state)
        event.text = event_text(event.code, event.params)
        event.kind_label = (
            _("Shipment")
            if event.code and event.code.startswith(SHIPMENT_CODES)
            else event.get_kind_display()
        )
        shown.append(event)
    return shown


def _customer_url(order: Order) -> str | None:
    try:
        return reverse("customers:customer_detail", args=[order.customer_id])
    except NoReverseMatch:
        return None


@permission_required_403("orders.view_order")
@require_GET
def order_detail(request, code):
    detail = selectors.order_detail_get(code=code.upper())
    if detail is None:
        raise Http404(_("There is no order %(code)s.") % {"code": code})
    order = detail.order
    lines = list(order.lines.all())
    for ln in lines:
        ln.available = detail.available.get(ln.variant_id, 0)
        ln.held = [(r.warehouse, r.quantity) for r in ln.reservations.all()]
    events = _timeline(order.events.all())
    shipping = _shipping_panel(request, order)
    guide = _guide(order, lines, detail.available, shipping)
    for step in [guide.main, *guide.secondary]:
        if step is not None:
            step.url = reverse(f"{step.namespace}:{step.action}", args=[order.code])
            step.allowed = request.user.has_perm(step.perm)
    return render(
        request,
        "orders/order_detail.html",
        {
            "order": order,
            "lines": lines,
            "events": events,
            "guide": guide,
            "phone_display": display_phone(order.customer_phone),
            "customer_url": _customer_url(order),
            "shipping": shipping,
            # Cards of apps above orders (invoices, returns…): hook ``order.page_panels``
            # answers {"template": …, and the template's own values} or None.
            "panels": [
                p
                for p in hooks.emit("order.page_panels", request=request, order=order)
                if p is not None
            ],
            "can_cancel": order.status in OPEN_STATUSES,
            "can_edit_lines": order.status in OPEN_STATUSES and not order.money_locked_at,
            "can_edit": order.status in OPEN_STATUSES,
            "vat_rows": sorted(order.vat_lines.all(), key=lambda r: VAT_RATE_ORDER.index(r.rate)),
            "payments": list(order.payments.all()),
            "payment_form": PaymentForm(initial={"amount": order.outstanding or None})
            if request.user.has_perm("orders.add_payment")
            else None,
            "can_note": request.user.has_perm("orders.change_order")
            or request.user.has_perm("orders.fulfil_order"),
        },
    )


def _shipping_panel(request, order: Order) -> dict | None:
    """The order's shipments card, provided by donhang.shipping (which builds on orders), for
    those who may see shipments."""
    if not request.user.has_perm("shipping.view_shipment"):
        return None
    return hooks.first("order.shipping_panel", request=request, order=order)


def _transition(service, perm, success, *, with_reason=False, reason_required=False):
    """A POST-only view: call one service on the order, flash the outcome, go back to it."""

    @permission_required_403(perm)
    @require_POST
    def view(request, code):
        order = _order_or_404(code)
        kwargs = {}
        if with_reason:
            kwargs["reason"] = request.POST.get("reason", "").strip()[:400]
            if reason_required and not kwargs["reason"]:
                messages.error(request, _("Write the reason first."))
                return redirect("orders:order_detail", code=order.code)
        try:
            service(order=order, actor=request.user, **kwargs)
        except DomainError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, success() % {"code": order.code})
        return redirect("orders:order_detail", code=order.code)

    return view


order_confirm = _transition(
    services.order_confirm, "orders.confirm_order", lambda: _("%(code)s confirmed.")
)
order_mark_packed = _transition(
    services.order_mark_packed, "orders.fulfil_order", lambda: _("%(code)s is packed.")
)
order_hand_over = _transition(
    services.order_hand_over,
    "orders.fulfil_order",
    lambda: _("%(code)s was handed over to the carrier."),
)
order_mark_delivery_failed = _transition(
    services.order_mark_delivery_failed,
    "orders.fulfil_order",
    lambda: _("Delivery of %(code)s failed; noted."),
    with_reason=True,
)
order_complete = _transition(
    services.order_complete, "orders.fulfil_order", lambda: _("%(code)s is completed.")
)
order_return = _transition(
    services.order_return,
    "orders.fulfil_order",
    lambda: _("%(code)s is marked returned."),
    with_reason=True,
)
order_cancel = _transition(
    services.order_cancel,
    "orders.cancel_order",
    lambda: _("%(code)s was cancelled."),
    with_reason=True,
    reason_required=True,
)


@login_required
@require_POST
def order_add_note(request, code):
    if not (
        request.user.has_perm("orders.change_order") or request.user.has_perm("orders.fulfil_order")
    ):
        raise PermissionDenied
    order = _order_or_404(code)
    try:
        services.order_add_note(order=order, text=request.POST.get("text", ""), actor=request.user)
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("Note added."))
    return redirect(reverse("orders:order_detail", args=[order.code]) + "#timeline")


@permission_required_403("orders.change_order")
def order_edit(request, code):
    """Address, shipping fee, payment method, order discount and buyer identity of an order
    not yet handed over; every change is a revision on its timeline."""
    order = _order_or_404(code)
    if request.method == "POST":
        form = OrderEditForm(request.POST)
        if form.is_valid():
            data = form.cleaned_data
            try:
                amount, percent = form.discount_input()
                services.order_update(
                    order=order,
                    address=services.AddressInput(
                        line=data["address_line"],
                        province=data["province"].code if data["province"] else None,
                        ward=data["ward"].code if data["ward"] else None,
                    ),
                    shipping_fee=data["shipping_fee"] or 0,
                    shipping_fee_payer=data["shipping_fee_payer"],
                    payment_method=data["payment_method"],
                    discounts=[services.DiscountInput(amount=amount, percent=percent)]
                    if amount is not None or percent is not None
                    else [],
                    buyer=services.BuyerInput(
                        kind=data["buyer_kind"],
                        company_name=data["buyer_company_name"],
                        tax_code=data["buyer_tax_code"],
                        address=data["buyer_address"],
                        email=data["buyer_email"],
                        wants_invoice=data["wants_invoice"],
                    ),
                    actor=request.user,
                )
            except DomainError as exc:
                form.add_domain_error(exc)
            else:
                messages.success(request, _("%(code)s was updated.") % {"code": order.code})
                return redirect("orders:order_detail", code=order.code)
        status = 422
    else:
        form = OrderEditForm(initial=OrderEditForm.initial_of(order))
        status = 200
    return render(request, "orders/order_edit.html", {"order": order, "form": form}, status=status)


@require_POST
@login_required
def order_payment_add(request, code):
    if not (
        request.user.has_perm("orders.add_payment")
        or request.user.has_perm("orders.refund_payment")
    ):
        raise PermissionDenied
    order = _order_or_404(code)
    form = PaymentForm(request.POST)
    if not form.is_valid():
        messages.error(
            request,
            "; ".join(f"{form.fields[f].label}: {' '.join(e)}" for f, e in form.errors.items()),
        )
        return redirect(reverse("orders:order_detail", args=[order.code]) + "#payments")
    data = form.cleaned_data
    perm = "orders.refund_payment" if data["amount"] < 0 else "orders.add_payment"
    if not request.user.has_perm(perm):
        raise PermissionDenied
    try:
        services.order_payment_record(
            order=order,
            method=data["method"],
            amount=data["amount"],
            fee=data["fee"] or 0,
            reference=data["reference"],
            paid_on=data["paid_on"],
            actor=request.user,
        )
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("Payment recorded on %(code)s.") % {"code": order.code})
    return redirect(reverse("orders:order_detail", args=[order.code]) + "#payments")
