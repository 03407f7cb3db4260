"""Order intake from every channel: validation, the customer, reservation at once."""

from __future__ import annotations

from collections.abc import Callable

from django.db import IntegrityError, connection, transaction
from django.utils.translation import gettext as _

from donhang.core import rawsql
from donhang.core.audit import actor_user
from donhang.core.errors import Conflict, ValidationFailed
from donhang.core.permissions import require_perm
from donhang.core.phone import normalize_phone
from donhang.core.text import fold, plain_int
from donhang.customers.models import Province, Ward
from donhang.customers.selectors import province_find, ward_find
from donhang.customers.services import (
    buyer_identity_clean,
    customer_find_or_create,
    customer_set_buyer_identity,
)
from donhang.inventory import reservations
from donhang.inventory.models import Warehouse
from donhang.orders import counters
from donhang.orders.models import (
    AllocationStrategy,
    Channel,
    ChannelRule,
    Order,
    OrderEvent,
    OrderLine,
    OrderVatLine,
    PaymentMethod,
    PaymentStatus,
    SalesStore,
    ShippingFeePayer,
    SubState,
)
from donhang.orders.services import pricing
from donhang.orders.services._common import (
    MARKETPLACE_CHANNELS,
    MAX_AMOUNT,
    MAX_NOTE,
    AddressInput,
    BuyerInput,
    CustomerInput,
    LineInput,
    _event,
    _resolve_lines,
    shipping_vat_rate_default,
)
from donhang.orders.services.transitions import order_confirm

# The choices, once (an enum's `.values` builds its list on every call).
_CHANNELS = frozenset(Channel.values)
_PAYMENT_METHODS = frozenset(PaymentMethod.values)
_FEE_PAYERS = frozenset(ShippingFeePayer.values)


def _resolve_address(
    address: AddressInput, *, required: bool, prefix: str
) -> tuple[Province | None, Ward | None, str]:
    line = (address.line or "").strip()
    errors: dict[str, str] = {}
    province = ward = None
    given_ward = address.ward not in (None, "")
    ward_code = plain_int(address.ward) if given_ward else None
    if ward_code is not None:  # by code: the ward comes with its province (one query)
        ward = ward_find(ward_code)
        if ward is None:
            errors[f"{prefix}.ward"] = _("Unknown ward.")
    if address.province not in (None, ""):
        if ward is not None and plain_int(address.province) == ward.province_id:
            province = ward.province
        else:
            province = province_find(address.province)
            if province is None:
                errors[f"{prefix}.province"] = _("Unknown province.")
    if given_ward and ward_code is None:  # by name, within the province (names repeat)
        ward = ward_find(address.ward, province=province)
        if ward is None:
            errors[f"{prefix}.ward"] = _("Unknown ward.")
    if ward is not None:
        if province is None:
            province = ward.province
        elif ward.province_id != province.pk:
            errors[f"{prefix}.ward"] = _("This ward is not in %(province)s.") % {
                "province": province.name
            }
    if required:
        if not line:
            errors.setdefault(f"{prefix}.line", _("A street address is needed to deliver."))
        if ward is None:
            errors.setdefault(f"{prefix}.ward", _("Choose the ward (phường/xã) to deliver to."))
        if province is None:
            errors.setdefault(f"{prefix}.province", _("Choose the province to deliver to."))
    if errors:
        raise ValidationFailed(_("The delivery address is not complete."), fields=errors)
    return province, ward, line


def _search_text(order: Order) -> str:
    phone_national = (
        "0" + order.customer_phone[3:]
        if order.customer_phone.startswith("+84")
        else order.customer_phone
    )
    return " ".join(
        p
        for p in (
            fold(order.customer_name),
            phone_national,
            (order.code or "").lower(),
            fold(order.external_id),
        )
        if p
    )[:400]


def _evaluated(queryset, rows: list):
    queryset._result_cache = list(rows)
    queryset._prefetch_done = True
    return queryset


def _allocation_sql() -> tuple[list[str], str]:
    """(extra columns, joins) of the one statement of `_intake_allocation`, from the models'
    tables (built once per process)."""
    global _ALLOCATION_SQL
    if _ALLOCATION_SQL is None:
        q = connection.ops.quote_name
        through = ChannelRule.warehouses.through._meta
        chosen = q(through.db_table)
        rule_col = q(through.get_field("channelrule").column)
        warehouse_col = q(through.get_field("warehouse").column)
        _ALLOCATION_SQL = (
            [
                "r.id",
                "r.store_id",
                "r.strategy",
                f"EXISTS (SELECT 1 FROM {chosen} c WHERE c.{rule_col} = r.id)",
                f"EXISTS (SELECT 1 FROM {chosen} c WHERE c.{rule_col} = r.id "
                f"AND c.{warehouse_col} = t0.id)",
            ],
            f"LEFT JOIN {q(ChannelRule._meta.db_table)} r "
            "ON (r.channel = %s AND r.store_id IS NULL) OR r.store_id = %s",
        )
    return _ALLOCATION_SQL


_ALLOCATION_SQL: tuple[list[str], str] | None = None


def _intake_allocation(channel: str, store_id: int | None) -> tuple[list[Warehouse], bool]:
    """The warehouses the channel's (or the shop's) rule allows, active, in priority order, and
    whether to take from the one with the most stock (`_common._allocation`, as rows).

    One statement: each active warehouse with the rules of the shop and of the channel (the
    shop's own wins) and whether the rule names it (a rule that names none allows every one)."""
    extra, joins = _allocation_sql()
    rows = rawsql.select_extra(
        Warehouse,
        "t0.is_active = %s",
        [channel, store_id, True],
        extra=extra,
        joins=joins,
        tail="ORDER BY t0.priority, t0.code",
    )
    rules = {rule[1]: rule for _w, rule in rows if rule[0] is not None}
    rule = (rules.get(store_id) if store_id else None) or rules.get(None)
    if rule is None:
        return [w for w, _rule in rows], False
    rule_id, _store, strategy, names_some, _named = rule
    warehouses = [w for w, r in rows if r[0] == rule_id and (r[4] or not names_some)]
    return warehouses, strategy == AllocationStrategy.MOST_STOCK


def buyer_fields(buyer: BuyerInput | None, *, default: dict | None = None) -> dict:
    """Checked buyer identity fields for an order; without a buyer, the customer's default."""
    if buyer is None:
        return dict(default or {})
    return buyer_identity_clean(
        kind=buyer.kind,
        company_name=buyer.company_name,
        tax_code=buyer.tax_code,
        address=buyer.address,
        email=buyer.email,
        wants_invoice=buyer.wants_invoice,
    )


@transaction.atomic
def order_create(
    *,
    channel: str,
    customer: CustomerInput,
    lines: list[LineInput],
    external_id: str = "",
    shipping_fee: int = 0,
    shipping_fee_payer: str = ShippingFeePayer.BUYER,
    payment_method: str = PaymentMethod.COD,
    discounts: list[pricing.DiscountInput] | None = None,
    buyer: BuyerInput | None = None,
    note: str = "",
    allow_backorder: bool = True,
    confirm: bool = False,
    store: SalesStore | None = None,
    actor=None,
    on_created: Callable[[Order], None] | None = None,
) -> Order:
    """Take an order from any channel and reserve its stock at once.

    `store`: the shop of the channel the order came from (a marketplace shop); its warehouse
    rule, when it has one, chooses the warehouses.

    The returned order carries its lines and VAT rows (`order.lines.all()` reads no database)
    and its warehouse, ward, province and shop. `on_created(order)` runs inside the
    transaction once everything is written (the API stores its idempotent answer there, so that
    the answer and the order commit together without a savepoint).

    With allow_backorder=False an order that cannot be fully reserved is refused (Conflict) and
    nothing is saved. A repeated (channel, external id) is a Conflict naming the existing order.
    """
    require_perm(actor, "orders.add_order")
    errors: dict[str, str] = {}
    if channel not in _CHANNELS:
        errors["channel"] = _("Unknown channel.")
    if payment_method not in _PAYMENT_METHODS:
        errors["payment_method"] = _("Unknown payment method.")
    if shipping_fee_payer not in _FEE_PAYERS:
        errors["shipping_fee_payer"] = _("Choose buyer or seller.")
    if shipping_fee is None or shipping_fee < 0:
        errors["shipping_fee"] = _("The shipping fee cannot be negative.")
    elif shipping_fee > MAX_AMOUNT:
        errors["shipping_fee"] = _("The shipping fee is too large.")
    name = (customer.name or "").strip()
    if not name:
        errors["customer.name"] = _("Enter the customer's name.")
    phone = ""
    if customer.phone:
        try:
            phone = normalize_phone(customer.phone)
        except ValidationFailed as exc:
            errors["customer.phone"] = exc.fields.get("phone") or exc.message
    elif channel not in MARKETPLACE_CHANNELS:
        errors["customer.phone"] = _("Enter the customer's phone number.")
    if store is not None and store.channel != channel:
        errors["store"] = _("This shop belongs to another channel.")
    if note and len(note) > MAX_NOTE:
        errors["note"] = _("At most %(max)s characters.") % {"max": MAX_NOTE}
    try:
        identity = buyer_fields(buyer)
    except ValidationFailed as exc:
        errors.update(exc.fields)
    if errors:
        raise ValidationFailed(_("Some fields are not valid."), fields=errors)
    resolved = _resolve_lines(lines)
    shipping_vat_rate = shipping_vat_rate_default()
    priced = pricing.price_order(
        lines=[
            (
                ln.quantity,
                v.sale_price if ln.unit_price is None else ln.unit_price,
                ln.discount,
                ln.discount_percent,
                v.vat_rate,
            )
            for ln, v in resolved
        ],
        discounts=discounts,
        shipping_fee=shipping_fee,
        shipping_fee_payer=shipping_fee_payer,
        shipping_vat_rate=shipping_vat_rate,
        payment_method=payment_method,
    )
    province, ward, address_line = _resolve_address(
        customer.address, required=payment_method == PaymentMethod.COD, prefix="customer.address"
    )
    external_id = (external_id or "").strip()
    if external_id:
        existing = Order.objects.filter(channel=channel, external_id=external_id).first()
        if existing:
            raise Conflict(
                _("This channel order was already taken in as %(code)s.") % {"code": existing.code},
                fields={"external_id": _("Already exists.")},
                code="duplicate_order",
            )

    buyer_customer = customer_find_or_create(
        name=name,
        phone=phone,
        email=customer.email or "",
        address_line=address_line,
        province=province,
        ward=ward,
        actor=actor,
    )
    if buyer is None:
        identity = buyer_customer.buyer_identity()
    elif identity["wants_invoice"] or identity["buyer_tax_code"]:
        customer_set_buyer_identity(customer=buyer_customer, identity=identity, actor=actor)
    totals = priced.order_fields()
    totals["payment_status"] = PaymentStatus.PAID if priced.total <= 0 else PaymentStatus.UNPAID

    # Stock first, under the locks of its levels (one statement): the order's step and main
    # warehouse are then known when it is inserted, and a refused backorder writes nothing.
    candidates, most_stock = _intake_allocation(channel, store.pk if store else None)
    warehouse_ids = [w.pk for w in candidates]
    plan = reservations.reserve_plan(
        reservations.Need(
            line_id=i,
            variant_id=v.pk,
            quantity=p.quantity,
            warehouse_ids=warehouse_ids,
            most_stock=most_stock,
        )
        for i, ((_ln, v), p) in enumerate(zip(resolved, priced.lines, strict=True))
    )
    reserved = [plan.by_line.get(i, 0) for i in range(len(resolved))]
    short = {
        v.sku: p.quantity - got
        for (_ln, v), p, got in zip(resolved, priced.lines, reserved, strict=True)
        if got < p.quantity
    }
    if short and not allow_backorder:
        raise Conflict(
            _("Not enough stock for: %(skus)s.")
            % {"skus": ", ".join(f"{s} (−{q})" for s, q in short.items())},
            fields={
                f"lines.{i}.quantity": _("Only %(n)s available.") % {"n": got}
                for i, (p, got) in enumerate(zip(priced.lines, reserved, strict=True))
                if got < p.quantity
            },
            code="insufficient_stock",
        )
    # The main warehouse: the one holding most of the reservations, else the first candidate.
    if plan.by_warehouse:
        main = max(plan.by_warehouse, key=lambda w: (plan.by_warehouse[w], -w))
        warehouse = next(w for w in candidates if w.pk == main)
    else:
        warehouse = candidates[0] if candidates else None

    fields = dict(
        channel=channel,
        store=store,
        external_id=external_id,
        customer=buyer_customer,
        customer_name=name,
        customer_phone=phone,
        customer_email=customer.email or "",
        shipping_name=name,
        shipping_phone=phone,
        shipping_address_line=address_line,
        shipping_province=province,
        shipping_ward=ward,
        payment_method=payment_method,
        shipping_fee=shipping_fee,
        shipping_fee_payer=shipping_fee_payer,
        shipping_vat_rate=shipping_vat_rate,
        note=note or "",
        created_by=actor_user(actor),
        sub_state=SubState.AWAITING_STOCK if short else SubState.NONE,
        warehouse=warehouse,
        **identity,
        **totals,
    )
    if external_id:
        # Only a channel order id can collide (with a concurrent intake of the same order).
        try:
            with transaction.atomic():
                (order,) = rawsql.insert([Order(**fields)])
        except IntegrityError as exc:
            raise Conflict(
                _("This channel order was already taken in."),
                fields={"external_id": _("Already exists.")},
                code="duplicate_order",
            ) from exc
    else:
        (order,) = rawsql.insert([Order(**fields)])
    order_lines = rawsql.insert(
        [
            OrderLine(
                order=order,
                variant=v,
                sku=v.sku,
                name=str(v)[:300],
                quantity=p.quantity,
                unit_price=p.unit_price,
                discount=p.discount,
                discount_percent=p.discount_percent,
                order_discount=p.order_discount,
                gross=p.gross,
                net=p.net,
                vat=p.vat,
                vat_rate=v.vat_rate,
                reserved_quantity=got,
                position=i,
            )
            for i, ((_ln, v), p, got) in enumerate(
                zip(resolved, priced.lines, reserved, strict=True)
            )
        ]
    )
    vat_lines = rawsql.insert([OrderVatLine(order=order, **row) for row in priced.vat_rows])
    reservations.reserve_apply(
        plan, line_ids={i: ln.pk for i, ln in enumerate(order_lines)}, new_lines=True
    )
    # What is known only now: the code (from the id) and the search text holding it.
    order.code = f"DH{order.pk:06d}"
    order.search_text = _search_text(order)
    rawsql.update(Order, order.pk, code=order.code, search_text=order.search_text)
    _event(
        order,
        kind=OrderEvent.Kind.CREATED,
        actor=actor,
        code="order_created",
        params={"channel": channel, "short": short, **({"store": store.name} if store else {})},
        data={"short": short},
    )
    counters.count_created(order)
    # The caller reads the lines and VAT rows just written without asking the database again
    # (as prefetch_related leaves them).
    order._prefetched_objects_cache = {
        "lines": _evaluated(order.lines.all(), order_lines),
        "vat_lines": _evaluated(order.vat_lines.all(), vat_lines),
    }
    if confirm:
        order = order_confirm(order=order, actor=actor)
    if on_created is not None:
        on_created(order)
    return order
