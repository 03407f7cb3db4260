"""Order pages, one module per screen (URLs name them through this package). Views validate
input, call one service or selector, and render."""

from donhang.orders.views.detail import (  # noqa: F401
    order_add_note,
    order_cancel,
    order_complete,
    order_confirm,
    order_detail,
    order_edit,
    order_hand_over,
    order_mark_delivery_failed,
    order_mark_packed,
    order_payment_add,
    order_return,
)
from donhang.orders.views.lines import (  # noqa: F401
    customer_lookup,
    line_row,
    order_create,
    order_edit_lines,
    totals_preview,
    variant_search,
)
from donhang.orders.views.listing import (  # noqa: F401
    find,
    order_bulk,
    order_list,
    picking_list,
)
