"""Existing orders get the new money fields (line net/VAT, rows per rate, payment status) and
their timeline becomes data: sentences stored in the writer's language are mapped back to codes
and parameters, so that every reader sees them in their own language."""

import re
from decimal import ROUND_HALF_UP, Decimal

from django.db import migrations
from django.utils import translation

LANGUAGES = ("vi", "en", "ja")

FIXED = {
    "Confirmed": "confirmed",
    "Confirmed; waiting for stock": "confirmed_awaiting_stock",
    "Packed": "packed",
    "Handed over to the carrier": "handed_over",
    "Delivery failed": "delivery_failed",
    "Completed": "completed",
    "Cancelled": "cancelled",
    "Returned": "returned",
    "Stock arrived": "stock_arrived",
    "Lines edited": "lines_edited",
    "Shipment cancelled": "shipment_cancelled",
}
PATTERNS = {
    "%(n)s units reserved from new stock": "stock_reserved",
    "Shipment requested from %(carrier)s (COD %(cod)s)": "shipment_requested",
    "Shipment %(code)s created with %(carrier)s": "shipment_created",
    "Asked %(carrier)s to deliver again": "redelivery_requested",
}


def _vat(rate):
    return Decimal(0) if rate in ("exempt", "0") else Decimal(rate) / 100


def _round(amount):
    return int(amount.quantize(Decimal(1), rounding=ROUND_HALF_UP))


def _split(gross, rate):
    # the same rule as donhang.core.money.split_gross (kept here: migrations are frozen)
    r = _vat(rate)
    if r == 0 or gross <= 0:
        return gross, 0
    net = _round(Decimal(gross) / (1 + r))
    while net > 0 and net + _round(Decimal(net) * r) > gross:
        net -= 1
    while net + 1 + _round(Decimal(net + 1) * r) <= gross:
        net += 1
    return net, gross - net


def _translations():
    fixed, patterns = {}, []
    for lang in LANGUAGES:
        with translation.override(lang):
            for msgid, code in FIXED.items():
                fixed[translation.gettext(msgid)] = code
            for msgid, code in PATTERNS.items():
                text = translation.gettext(msgid)
                regex = re.escape(text)
                for name in ("n", "carrier", "cod", "code"):
                    regex = regex.replace(re.escape(f"%({name})s"), f"(?P<{name}>.+?)")
                patterns.append((re.compile(f"^{regex}$"), code))
    return fixed, patterns


def money_forward(apps, schema_editor):
    Order = apps.get_model("orders", "Order")
    OrderLine = apps.get_model("orders", "OrderLine")
    OrderVatLine = apps.get_model("orders", "OrderVatLine")
    Payment = apps.get_model("orders", "Payment")
    method_of = {
        "cod": "cod_payout",
        "bank_transfer": "bank_transfer",
        "marketplace_prepaid": "marketplace_settlement",
    }
    for order in Order.objects.all().iterator(chunk_size=500):
        rows = {}
        lines = list(OrderLine.objects.filter(order_id=order.pk))
        for line in lines:
            line.gross = line.quantity * line.unit_price - line.discount
            line.net, line.vat = _split(line.gross, line.vat_rate)
            row = rows.setdefault(line.vat_rate, [0, 0, 0])
            row[0] += line.gross
            row[1] += line.net
            row[2] += line.vat
        OrderLine.objects.bulk_update(lines, ["gross", "net", "vat"])
        if order.shipping_fee and order.shipping_fee_payer == "buyer":
            net, vat = _split(order.shipping_fee, order.shipping_vat_rate)
            row = rows.setdefault(order.shipping_vat_rate, [0, 0, 0])
            row[0] += order.shipping_fee
            row[1] += net
            row[2] += vat
        OrderVatLine.objects.bulk_create(
            [
                OrderVatLine(order_id=order.pk, rate=rate, gross=g, net=n, vat=v)
                for rate, (g, n, v) in rows.items()
            ]
        )
        order.vat_total = sum(v for _g, _n, v in rows.values())
        if order.status == "completed" and order.total > 0:
            Payment.objects.create(
                order_id=order.pk,
                method=method_of.get(order.payment_method, "bank_transfer"),
                amount=order.total,
                reference="before-payments",
                paid_on=(order.completed_at or order.created_at).date(),
                note="Recorded when payments were introduced",
            )
            order.paid_total = order.total
            order.payment_status = "paid"
        elif order.total <= 0:
            order.payment_status = "paid"
        order.save(update_fields=["vat_total", "paid_total", "payment_status"])


def timeline_forward(apps, schema_editor):
    OrderEvent = apps.get_model("orders", "OrderEvent")
    fixed, patterns = _translations()
    channel_of = dict(apps.get_model("orders", "Order").objects.values_list("pk", "channel"))
    for event in OrderEvent.objects.filter(code="").iterator(chunk_size=1000):
        message = event.message or ""
        code, params, keep = "", {}, ""
        if event.kind == "created":
            code = "order_created"
            params = {
                "channel": channel_of.get(event.order_id, ""),
                "short": event.data.get("short") or {},
            }
        elif event.kind == "note":
            code, keep = "note", message
        elif message in fixed:
            code = fixed[message]
            if code == "lines_edited":
                params = {"lines": event.data.get("lines") or []}
        else:
            for regex, pattern_code in patterns:
                match = regex.match(message)
                if match:
                    code, params = pattern_code, match.groupdict()
                    if "n" in params:
                        params["n"] = int(re.sub(r"\D", "", params["n"]) or 0)
                    break
        if not code:
            # Free text: a reason a person gave, or the carrier's own words.
            keep = message
            if event.to_status == "cancelled":
                code = "cancelled"
            elif event.to_status == "returned":
                code = "returned"
            elif event.to_sub_state == "delivery_failed":
                code = "delivery_failed"
            else:
                code = "text"
        event.code, event.params, event.message = code, params, keep
        event.save(update_fields=["code", "params", "message"])


class Migration(migrations.Migration):
    dependencies = [("orders", "0003_money_payments_timeline")]

    operations = [
        migrations.RunPython(money_forward, migrations.RunPython.noop),
        migrations.RunPython(timeline_forward, migrations.RunPython.noop),
    ]
