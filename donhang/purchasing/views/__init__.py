"""Purchasing pages, one module per screen (URLs name them through this package)."""

from donhang.purchasing.views.lines import (  # noqa: F401
    line_row,
    variant_search,
)
from donhang.purchasing.views.purchase_orders import (  # noqa: F401
    purchase_order_cancel,
    purchase_order_close,
    purchase_order_create,
    purchase_order_detail,
    purchase_order_edit,
    purchase_order_list,
    purchase_order_pdf,
    purchase_order_send,
)
from donhang.purchasing.views.receipts import (  # noqa: F401
    receipt_create,
    receipt_create_standalone,
    receipt_detail,
    receipt_labels,
    receipt_list,
)
from donhang.purchasing.views.suggestions import (  # noqa: F401
    suggestions,
)
from donhang.purchasing.views.suppliers import (  # noqa: F401
    supplier_create,
    supplier_detail,
    supplier_edit,
    supplier_list,
    supplier_variant_add,
    supplier_variants_update,
)
