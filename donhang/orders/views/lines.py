"""The manual order screen (scanner and keyboard) and editing an order's lines, with their htmx
pieces: product search, line rows, live totals, customer lookup."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils.formats import number_format
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from donhang.accounts.decorators import permission_required_403
from donhang.core.errors import DomainError, ValidationFailed
from donhang.core.phone import normalize_phone
from donhang.orders import selectors, services
from donhang.orders.forms import (
    PICKUP,
    LineRow,
    ManualOrderForm,
    discount_parse,
    line_rows_from,
)
from donhang.orders.models import (
    OPEN_STATUSES,
    DiscountFunder,
    Order,
    PaymentMethod,
    ShippingFeePayer,
)
from donhang.orders.services._common import shipping_vat_rate_default
from donhang.orders.views._common import _int_or_none, _order_or_404

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
        totals = dict.fromkeys(
            ("goods_total", "discount_total", "vat_total", "total", "cod_amount", "order_discount")
        )
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
