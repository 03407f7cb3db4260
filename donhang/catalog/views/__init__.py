"""Catalog pages, one module per screen (URLs name them through this package)."""

from donhang.catalog.views.barcodes import (  # noqa: F401
    barcode_labels,
    barcodes_assign,
    variant_lookup,
)
from donhang.catalog.views.importexport import (  # noqa: F401
    product_export,
    product_import,
    product_import_template,
)
from donhang.catalog.views.products import (  # noqa: F401
    product_bulk,
    product_create,
    product_detail,
    product_edit,
    product_image_delete,
    product_image_move,
    product_image_upload,
    product_list,
    product_matrix_preview,
    product_variants_update,
)
from donhang.catalog.views.taxonomy import (  # noqa: F401
    brand_create,
    brand_delete,
    brand_edit,
    brand_list,
    category_create,
    category_delete,
    category_edit,
    category_list,
)
