"""Order pages. Views validate input, call one service or selector, and render."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils.formats import number_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views.decorators.http import require_GET, require_POST

from donhang.accounts.decorators import permission_required_403
from donhang.core import hooks
from donhang.core.errors import DomainError, ValidationFailed
from donhang.core.money import VAT_RATE_ORDER
from donhang.core.phone import display_phone, normalize_phone
from donhang.customers.selectors import customer_list
from donhang.orders import selectors, services
from donhang.orders.forms import (
    PICKUP,
    LineRow,
    ManualOrderForm,
    OrderEditForm,
    OrderFilterForm,
    PaymentForm,
    discount_parse,
    line_rows_from,
)
from donhang.orders.models import (
    OPEN_STATUSES,
    DiscountFunder,
    Order,
    PaymentMethod,
    ShippingFeePayer,
    Status,
    SubState,
)
from donhang.orders.services._common import shipping_vat_rate_default
from donhang.orders.timeline import event_text

STATUS_TABS = [
    ("", gettext_lazy("All"), "all"),
    (Status.NEW, Status.NEW.label, Status.NEW),
    (Status.PROCESSING, Status.PROCESSING.label, Status.PROCESSING),
    (Status.SHIPPING, Status.SHIPPING.label, Status.SHIPPING),
    (Status.COMPLETED, Status.COMPLETED.label, Status.COMPLETED),
    (Status.CANCELLED, Status.CANCELLED.label, Status.CANCELLED),
    (Status.RETURNED, Status.RETURNED.label, Status.RETURNED),
]
CURSOR_PARAMS = ("after", "before")
PAGE_SIZE = selectors.PAGE_SIZE


def _int_or_none(value):
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def _query(params, **changes) -> str:
    query = params.copy()
    for key in CURSOR_PARAMS:
        query.pop(key, None)
    for key, value in changes.items():
        if value in (None, ""):
            query.pop(key, None)
        else:
            query[key] = value
    encoded = query.urlencode()
    return "?" + encoded if encoded else "?"


# --- list --------------------------------------------------------------------------------------


@permission_required_403("orders.view_order")
@require_GET
def order_list(request):
    form = OrderFilterForm(request.GET)
    filters = form.filters()
    page = selectors.order_list(
        filters=filters,
        after=_int_or_none(request.GET.get("after")),
        before=_int_or_none(request.GET.get("before")),
        limit=PAGE_SIZE,
    )
    tabs = [
        {
            "status": value,
            "label": label,
            "count": page.counts.get(key, 0),
            "capped": key in page.counts_capped,  # counted up to the bound: "50+"
            "url": _query(request.GET, status=value),
            "active": filters.status == value,
        }
        for value, label, key in STATUS_TABS
    ]
    for order in page.orders:
        order.phone_display = display_phone(order.customer_phone)
    filtered = any(
        (
            filters.sub_state,
            filters.channel,
            filters.store,
            filters.warehouse,
            filters.payment_method,
            filters.date_from,
            filters.date_to,
            filters.q,
        )
    )
    return render(
        request,
        "orders/order_list.html",
        {
            "form": form,
            "filters": filters,
            "page": page,
            "tabs": tabs,
            "count_bound": selectors.COUNT_BOUND,
            "filtered": filtered,
            "newer_url": _query(request.GET, before=page.prev_cursor) if page.prev_cursor else None,
            "older_url": _query(request.GET, after=page.next_cursor) if page.next_cursor else None,
            "next_query": request.GET.urlencode(),
            "carrier_accounts": _bulk_carriers(request),
        },
    )


def _bulk_carriers(request) -> list:
    """Active carrier accounts for "Create shipments with …" (provided by donhang.shipping)."""
    if not request.user.has_perm("shipping.add_shipment"):
        return []
    return hooks.first("orders.bulk_carriers", default=[], request=request)


BULK_ACTIONS = {
    "confirm": ("orders.confirm_order", services.order_confirm),
    "cancel": ("orders.cancel_order", services.order_cancel),
}


@login_required
@require_POST
def order_bulk(request):
    """Run one transition on each selected order; a refusal does not stop the others."""
    action = request.POST.get("action", "")
    back = reverse("orders:order_list") + "?" + request.POST.get("next_query", "")
    if action == "picking":
        return picking_list(request)
    if action not in BULK_ACTIONS:
        messages.error(request, _("Choose what to do with the selected orders."))
        return redirect(back)
    perm, service = BULK_ACTIONS[action]
    if not request.user.has_perm(perm):
        raise PermissionDenied
    codes = [c.strip().upper() for c in request.POST.getlist("codes") if c.strip()]
    if not codes:
        messages.warning(request, _("Select at least one order first."))
        return redirect(back)
    reason = request.POST.get("reason", "").strip()
    done, failed = [], []
    for order in selectors.order_list_by_codes(codes=codes):
        kwargs = {"reason": reason} if action == "cancel" else {}
        try:
            service(order=order, actor=request.user, **kwargs)
            done.append(order.code)
        except DomainError as exc:
            failed.append((order.code, exc.message))
    if done:
        message = (
            ngettext("%(n)s order confirmed.", "%(n)s orders confirmed.", len(done))
            if action == "confirm"
            else ngettext("%(n)s order cancelled.", "%(n)s orders cancelled.", len(done))
        )
        messages.success(request, message % {"n": len(done)})
    for code, reason_text in failed:
        messages.error(request, _("%(code)s: %(reason)s") % {"code": code, "reason": reason_text})
    return redirect(back)


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


def _order_or_404(code: str) -> Order:
    orders = selectors.order_list_by_codes(codes=[code.upper()])
    if not orders:
        raise Http404(_("There is no order %(code)s.") % {"code": code})
    return orders[0]


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


# --- lines (manual screen and line editing) ---------------------------------------------------


def _attach_variants(rows: list[LineRow]) -> None:
    variants = selectors.order_line_variants(variant_ids=[r.variant_id for r in rows])
    for row in rows:
        row.variant = variants.get(row.variant_id)
        if row.variant is not None and row.unit_price == "":
            row.unit_price = str(row.variant.sale_price)


def _drop_zero_rows(rows: list[LineRow]) -> None:
    """A quantity of 0 removes the line (the way to remove one without JavaScript)."""
    rows[:] = [r for r in rows if r.quantity.strip() != "0"]


def _line_inputs(rows: list[LineRow]) -> list[services.LineInput] | None:
    """Service inputs from the rows, or None when some row is not numbers (errors on rows)."""
    _drop_zero_rows(rows)
    inputs = []
    for row in rows:
        parsed = row.parsed()
        if parsed is None:
            continue
        quantity, price, discount, percent = parsed
        inputs.append(
            services.LineInput(
                variant_id=row.variant_id,
                quantity=quantity,
                unit_price=price,
                discount=discount,
                discount_percent=percent,
            )
        )
    return None if any(r.errors for r in rows) else inputs


def _place_line_errors(exc: DomainError, rows: list[LineRow]) -> list[str]:
    """Put `lines.<i>.<field>` errors on their rows; return the errors about the lines as a
    whole."""
    general = []
    for key, reason in exc.fields.items():
        parts = key.split(".")
        if parts[0] != "lines":
            continue
        index = _int_or_none(parts[1]) if len(parts) > 1 else None
        if index is not None and index < len(rows):
            rows[index].errors.append(reason)
        else:
            general.append(reason)
    return general


def _totals(rows: list[LineRow], *, shipping_fee, payer, payment_method, discounts=None) -> dict:
    """What the order will cost, priced as the service prices it (line discounts in ₫ or %,
    the order discount spread over the lines, VAT per line); `error` says what is not valid."""
    lines = []
    for row in rows:
        if row.variant is None:
            continue
        parsed = LineRow(
            variant_id=row.variant_id,
            quantity=row.quantity,
            unit_price=row.unit_price,
            discount=row.discount,
        ).parsed()
        if parsed is None:
            continue
        quantity, price, discount, percent = parsed
        lines.append(
            (
                max(quantity, 0),
                row.variant.sale_price if price is None else price,
                discount,
                percent,
                row.variant.vat_rate,
            )
        )
    payer = payer if payer in ShippingFeePayer.values else ShippingFeePayer.BUYER
    error = ""
    try:
        priced = services.price_order(
            lines=lines,
            discounts=discounts or [],
            shipping_fee=shipping_fee,
            shipping_fee_payer=payer,
            shipping_vat_rate=shipping_vat_rate_default(),
            payment_method=payment_method,
        )
        totals = priced.order_fields()
    except DomainError as exc:
        error = " ".join(exc.fields.values()) or exc.message
        totals = {}
    totals.update(shipping_fee=shipping_fee, shipping_fee_payer=payer, error=error)
    return totals


def _posted_discounts(data) -> list:
    """The order discount typed on the screen (for the live totals); nothing when not valid."""
    try:
        amount, percent = discount_parse(data.get("order_discount"), field="order_discount")
    except DomainError:
        return []
    if amount is None and percent is None:
        return []
    return [services.DiscountInput(amount=amount, percent=percent)]


def _header_money(data) -> tuple[int, str, str]:
    fee = max(_int_or_none((data.get("shipping_fee") or "0").replace(".", "")) or 0, 0)
    return (
        fee,
        data.get("shipping_fee_payer") or ShippingFeePayer.BUYER,
        data.get("payment_method") or PaymentMethod.COD,
    )


@permission_required_403("orders.add_order")
def order_create(request):
    """The manual order screen (phone, Facebook, the counter): a scanner or the keyboard adds
    lines, works without JavaScript for the final submit; htmx adds the customer lookup,
    product search and live totals."""
    rows: list[LineRow] = []
    line_errors: list[str] = []
    search_results = None
    backorder_question: list[str] = []
    if request.method == "POST":
        form = ManualOrderForm(request.POST)
        rows = line_rows_from(request.POST)
        action = request.POST.get("action", "save")
        added = _int_or_none(request.POST.get("add_variant"))
        if added:  # without JavaScript: a search result was chosen
            rows.append(LineRow(variant_id=added))
        elif action == "search":  # without JavaScript: the product search
            search_results = selectors.order_variant_search(q=request.POST.get("variant_q", ""))
        _attach_variants(rows)
        if not added and action in ("save", "confirm"):
            if action == "confirm" and not request.user.has_perm("orders.confirm_order"):
                raise PermissionDenied
            response = _create_from(
                request,
                form,
                rows,
                line_errors,
                confirm=action == "confirm",
                backorder_question=backorder_question,
            )
            if response is not None:
                return response
    else:
        form = ManualOrderForm()
    data = request.POST if request.method == "POST" else {}
    fee, payer, payment = _header_money(data)
    return render(
        request,
        "orders/order_create.html",
        {
            "form": form,
            "rows": rows,
            "line_errors": line_errors,
            "search_results": search_results,
            "variant_q": data.get("variant_q", ""),
            "backorder_question": backorder_question,
            "last_action": data.get("action", "save"),
            "totals": _totals(
                rows,
                shipping_fee=fee,
                payer=payer,
                payment_method=payment,
                discounts=_posted_discounts(data),
            ),
        },
    )


def _backorder_question(channel: str, rows: list[LineRow]) -> list[str]:
    """ "ÁO-01: 27 can be sold now. Backorder 973?" for each line above what can be sold."""
    ids = [r.variant_id for r in rows if r.variant is not None]
    can_sell = selectors.channel_available_to_promise(channel=channel, variant_ids=ids)
    wanted: dict[int, int] = {}
    for row in rows:
        quantity = _int_or_none(row.quantity.replace(".", "")) or 0
        wanted[row.variant_id] = wanted.get(row.variant_id, 0) + quantity
    question = []
    for row in rows:
        if row.variant is None or row.variant_id not in wanted:
            continue
        available = can_sell.get(row.variant_id, 0)
        short = wanted.pop(row.variant_id) - available
        if short > 0:
            question.append(
                _("%(sku)s: %(available)s can be sold now. Backorder %(short)s?")
                % {
                    "sku": row.variant.sku,
                    "available": number_format(available, force_grouping=True),
                    "short": number_format(short, force_grouping=True),
                }
            )
    return question


def _create_from(request, form, rows, line_errors, *, confirm: bool, backorder_question=None):
    inputs = _line_inputs(rows)
    if not form.is_valid() or inputs is None:
        if not rows:
            line_errors.append(_("Add a product."))
        return None
    data = form.cleaned_data
    pickup = data["delivery"] == PICKUP
    note = data["note"]
    if pickup:  # said on the order, where packers and the counter read it
        note = _("Pickup at the shop") + (f"\n{note}" if note else "")
    # Above what can be sold: ask once ("backorder 973?") instead of saving a backorder silently.
    allow_backorder = request.POST.get("backorder") == "yes"
    try:
        amount, percent = form.discount_input()
        order = services.order_create(
            channel=data["channel"],
            customer=services.CustomerInput(
                name=data["name"],
                phone=data["phone"],
                email=data["email"],
                address=services.AddressInput(
                    line=data["address_line"],
                    province=data["province"].pk if data["province"] else None,
                    ward=data["ward"].pk if data["ward"] else None,
                ),
            ),
            lines=inputs,
            shipping_fee=data["shipping_fee"] or 0,
            shipping_fee_payer=data["shipping_fee_payer"],
            payment_method=data["payment_method"],
            discounts=[services.DiscountInput(amount=amount, percent=percent)]
            if amount is not None or percent is not None
            else [],
            buyer=services.BuyerInput(**form.buyer_input()),
            note=note,
            allow_backorder=allow_backorder,
            confirm=confirm,
            actor=request.user,
        )
    except DomainError as exc:
        if exc.code == "insufficient_stock" and backorder_question is not None:
            backorder_question.extend(_backorder_question(data["channel"], rows) or [exc.message])
            return None
        placed = False
        for key, reason in exc.fields.items():
            placed = form.add_service_error(key, reason) or placed
        line_errors.extend(_place_line_errors(exc, rows))
        if not placed or line_errors:
            form.add_error(None, exc.message)
        return None
    if confirm:
        messages.success(request, _("Order %(code)s saved and confirmed.") % {"code": order.code})
    else:
        messages.success(request, _("Order %(code)s saved as new.") % {"code": order.code})
    return redirect("orders:order_detail", code=order.code)


@permission_required_403("orders.change_order")
def order_edit_lines(request, code):
    detail = selectors.order_detail_get(code=code.upper())
    if detail is None:
        raise Http404(_("There is no order %(code)s.") % {"code": code})
    order = detail.order
    line_errors: list[str] = []
    search_results = None
    if request.method == "POST":
        rows = line_rows_from(request.POST)
        action = request.POST.get("action", "save")
        added = _int_or_none(request.POST.get("add_variant"))
        if added:
            rows.append(LineRow(variant_id=added))
        elif action == "search":
            search_results = selectors.order_variant_search(q=request.POST.get("variant_q", ""))
        _attach_variants(rows)
        if not added and action == "save":
            inputs = _line_inputs(rows)
            if inputs is not None:
                try:
                    services.order_update_lines(order=order, lines=inputs, actor=request.user)
                except DomainError as exc:
                    line_errors = _place_line_errors(exc, rows) or [exc.message]
                else:
                    messages.success(
                        request, _("The lines of %(code)s were saved.") % {"code": order.code}
                    )
                    return redirect("orders:order_detail", code=order.code)
    else:
        rows = [
            LineRow(
                variant_id=ln.variant_id,
                quantity=str(ln.quantity),
                unit_price=str(ln.unit_price),
                discount=f"{ln.discount_percent.normalize():f}%"
                if ln.discount_percent is not None
                else str(ln.discount or ""),
            )
            for ln in order.lines.all()
        ]
        _attach_variants(rows)
    return render(
        request,
        "orders/order_edit_lines.html",
        {
            "order": order,
            "rows": rows,
            "line_errors": line_errors,
            "editable": order.status in OPEN_STATUSES,
            "search_results": search_results,
            "variant_q": request.POST.get("variant_q", "") if request.method == "POST" else "",
            "totals": _totals(
                rows,
                shipping_fee=order.shipping_fee,
                payer=order.shipping_fee_payer,
                payment_method=order.payment_method,
                discounts=_order_discounts(order),
            ),
        },
    )


def _order_discounts(order: Order) -> list:
    """The order's own discounts, to price its lines as they are being edited."""
    discounts = []
    if order.order_discount_percent is not None:
        discounts.append(services.DiscountInput(percent=order.order_discount_percent))
    elif order.order_discount:
        discounts.append(services.DiscountInput(amount=order.order_discount))
    if order.platform_discount:
        discounts.append(
            services.DiscountInput(
                amount=order.platform_discount, funded_by=DiscountFunder.PLATFORM
            )
        )
    return discounts


# --- htmx endpoints -----------------------------------------------------------------------------


@permission_required_403("orders.view_order")
@require_GET
def variant_search(request):
    q = request.GET.get("q") or request.GET.get("variant_q") or ""
    return render(
        request,
        "orders/partials/variant_results.html",
        {"results": selectors.order_variant_search(q=q), "q": q.strip()},
    )


@permission_required_403("orders.view_order")
@require_GET
def line_row(request):
    row = LineRow(variant_id=_int_or_none(request.GET.get("variant")))
    if row.variant_id is None:
        return HttpResponse(status=400)
    _attach_variants([row])
    if row.variant is None:
        return HttpResponse(status=404)
    return render(request, "orders/partials/line_row.html", {"row": row})


@permission_required_403("orders.view_order")
@require_POST
def totals_preview(request):
    rows = line_rows_from(request.POST)
    _attach_variants(rows)
    if request.POST.get("order"):  # editing lines: the order's own fee, payment and discount
        order = _order_or_404(request.POST["order"])
        fee, payer, payment = order.shipping_fee, order.shipping_fee_payer, order.payment_method
        discounts = _order_discounts(order)
    else:
        fee, payer, payment = _header_money(request.POST)
        discounts = _posted_discounts(request.POST)
    return render(
        request,
        "orders/partials/totals.html",
        {
            "totals": _totals(
                rows, shipping_fee=fee, payer=payer, payment_method=payment, discounts=discounts
            )
        },
    )


@permission_required_403("orders.add_order")
@require_GET
def customer_lookup(request):
    raw = request.GET.get("phone", "").strip()
    phone = customer = None
    if raw:
        try:
            phone = normalize_phone(raw)
        except ValidationFailed:
            phone = None
    if phone:
        customer = selectors.order_customer_suggest(phone=phone)
    return render(
        request,
        "orders/partials/customer_lookup.html",
        {
            "raw": raw,
            "phone": phone,
            "customer": customer,
            "customer_url": _customer_url_for(customer),
        },
    )


def _customer_url_for(customer) -> str | None:
    if customer is None:
        return None
    try:
        return reverse("customers:customer_detail", args=[customer.pk])
    except NoReverseMatch:
        return None


# --- the search box of every page ------------------------------------------------------------


@login_required
@require_GET
def find(request):
    """The search box in the top bar: an order code (DH14), a tracking number, a phone or a
    name goes straight to the order or customer when there is one, else to the list found."""
    q = request.GET.get("q", "").strip()[:100]
    user = request.user
    can_orders = user.has_perm("orders.view_order")
    can_customers = user.has_perm("customers.view_customer")
    if not q:
        return redirect("web:dashboard")
    if can_orders:
        found = selectors.order_list(
            filters=selectors.OrderFilters(q=q), limit=2, with_counts=False
        ).orders
        if len(found) == 1 and (selectors.is_order_code(q) or not can_customers):
            return redirect("orders:order_detail", code=found[0].code)
    if can_customers:
        customers = list(customer_list(q=q)[:2])
        if len(customers) == 1:
            return redirect("customers:customer_detail", pk=customers[0].pk)
        if customers:
            return redirect(reverse("customers:customer_list") + "?" + urlencode({"q": q}))
    if can_orders:
        if len(found) == 1:
            return redirect("orders:order_detail", code=found[0].code)
        return redirect(reverse("orders:order_list") + "?" + urlencode({"q": q}))
    raise PermissionDenied


# --- picking list -------------------------------------------------------------------------------


@permission_required_403("orders.view_order")
def picking_list(request):
    from donhang.orders.pdf import picking_list_pdf

    if request.method == "POST":
        codes = request.POST.getlist("codes")
    else:
        codes = (request.GET.get("codes") or "").split(",")
    codes = [c.strip().upper() for c in codes if c.strip()][:500]
    if not codes:
        messages.warning(request, _("Select at least one order first."))
        return redirect("orders:order_list")
    orders = selectors.orders_for_picking(codes=codes)
    if not orders:
        raise Http404(_("None of these orders exist."))
    response = HttpResponse(picking_list_pdf(orders), content_type="application/pdf")
    filename = "picking-" + (orders[0].code if len(orders) == 1 else f"{len(orders)}-orders")
    response["Content-Disposition"] = f'inline; filename="{filename}.pdf"'
    return response


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
