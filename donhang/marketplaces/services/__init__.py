"""Marketplace writes: connecting shops, products both ways, stock sync, orders in, pushes,
the platforms' logistics. Calls to a platform never run inside a database transaction (but the
single-use token refresh, which holds the shop's row)."""

from donhang.marketplaces.services._common import (
    adapter_for,
    connection_tokens_refresh,
    enqueue_task,
)
from donhang.marketplaces.services.connections import (
    connection_authorize,
    connection_disconnect,
    connection_get,
    connection_settings_save,
    connection_start,
    connections_emulator_authorize,
    connections_refresh_due,
)
from donhang.marketplaces.services.logistics import (
    marketplace_order_arrange_shipment,
    marketplace_order_shipping_document,
    marketplace_order_tracking_number,
)
from donhang.marketplaces.services.orders import (
    order_refresh,
    order_settle,
    order_upsert,
    orders_poll,
    settlement_record,
)
from donhang.marketplaces.services.products import (
    listing_create_product,
    listing_link,
    product_publish,
    products_pull,
    publish_submit,
)
from donhang.marketplaces.services.pushes import push_process, push_receive
from donhang.marketplaces.services.reconcile import connection_reconcile
from donhang.marketplaces.services.stock import (
    connection_mark_drift,
    connection_push_now,
    connection_push_stock,
    publishable,
    publishable_quantities,
    stock_changes_fan_out,
)

__all__ = [
    "adapter_for",
    "connection_authorize",
    "connection_disconnect",
    "connection_get",
    "connection_mark_drift",
    "connection_push_now",
    "connection_push_stock",
    "connection_reconcile",
    "connection_settings_save",
    "connection_start",
    "connection_tokens_refresh",
    "connections_emulator_authorize",
    "connections_refresh_due",
    "enqueue_task",
    "listing_create_product",
    "listing_link",
    "marketplace_order_arrange_shipment",
    "marketplace_order_shipping_document",
    "marketplace_order_tracking_number",
    "order_refresh",
    "order_settle",
    "order_upsert",
    "orders_poll",
    "product_publish",
    "products_pull",
    "publish_submit",
    "publishable",
    "publishable_quantities",
    "push_process",
    "push_receive",
    "settlement_record",
    "stock_changes_fan_out",
]
