"""Order writes: intake from every channel, the status machine, reservations, the timeline.

Every function runs in one transaction, locks the order it changes, checks that the transition
is allowed and writes an OrderEvent (who, when, from → to, why)."""

from donhang.orders.services._common import (
    MARKETPLACE_CHANNELS,
    MAX_AMOUNT,
    MAX_NOTE,
    AddressInput,
    BuyerInput,
    CustomerInput,
    LineInput,
    compute_totals,
)
from donhang.orders.services.editing import order_update, order_update_lines
from donhang.orders.services.intake import order_create
from donhang.orders.services.payments import (
    order_follow_shipment,
    order_mark_paid,
    order_payment_record,
)
from donhang.orders.services.pricing import DiscountInput, price_order
from donhang.orders.services.stock import (
    channel_rule_set,
    order_lines_reserved_rebuild,
    reservations_fill_waiting,
    sales_store_save,
    stock_adjust,
)
from donhang.orders.services.transitions import (
    order_add_note,
    order_cancel,
    order_complete,
    order_confirm,
    order_hand_over,
    order_mark_delivery_failed,
    order_mark_packed,
    order_money_lock,
    order_return,
)

__all__ = [
    "MARKETPLACE_CHANNELS",
    "MAX_AMOUNT",
    "MAX_NOTE",
    "AddressInput",
    "BuyerInput",
    "CustomerInput",
    "DiscountInput",
    "LineInput",
    "channel_rule_set",
    "compute_totals",
    "order_add_note",
    "order_cancel",
    "order_complete",
    "order_confirm",
    "order_create",
    "order_follow_shipment",
    "order_hand_over",
    "order_lines_reserved_rebuild",
    "order_mark_delivery_failed",
    "order_mark_packed",
    "order_mark_paid",
    "order_money_lock",
    "order_payment_record",
    "order_return",
    "order_update",
    "order_update_lines",
    "price_order",
    "reservations_fill_waiting",
    "sales_store_save",
    "stock_adjust",
]
