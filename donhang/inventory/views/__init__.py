"""Warehouse and stock pages, one module per screen (URLs name them through this package)."""

from donhang.inventory.views.stocktakes import (  # noqa: F401
    stocktake_cancel,
    stocktake_count_line,
    stocktake_create,
    stocktake_import,
    stocktake_list,
    stocktake_post,
    stocktake_print,
    stocktake_review,
    stocktake_scan,
    stocktake_sheet,
)
from donhang.inventory.views.transfers import (  # noqa: F401
    transfer_cancel,
    transfer_create,
    transfer_detail,
    transfer_line_row,
    transfer_list,
    transfer_receive,
    transfer_send,
    transfer_variant_search,
)
from donhang.inventory.views.value import (  # noqa: F401
    inventory_value,
    inventory_value_export,
)
from donhang.inventory.views.warehouses import (  # noqa: F401
    channel_rules,
    low_stock,
    variant_stock,
    warehouse_create,
    warehouse_detail,
    warehouse_edit,
    warehouse_list,
    warehouse_set_active,
)
