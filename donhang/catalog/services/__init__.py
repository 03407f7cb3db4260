"""Catalog writes: categories, brands, products, variants, images. Each is a transaction
writing an audit row; prices need catalog.change_price."""

from donhang.catalog.services._common import (
    MAX_PRICE,
    PRICE_FIELDS,
    THUMBNAIL_SIZE,
    VARIANT_EDITABLE_FIELDS,
    VARIANT_INT_FIELDS,
    AttributeInput,
    _require,
    attributes_clean,
    default_variant_sku,
    split_values,
    variant_matrix,
)
from donhang.catalog.services.images import (
    product_image_add,
    product_image_delete,
    product_image_move,
)
from donhang.catalog.services.products import (
    PRODUCT_FIELDS,
    VARIANT_DEFAULTS,
    product_attributes_set,
    product_create,
    product_update,
    product_variant_add,
    products_set_active,
    products_set_category,
)
from donhang.catalog.services.taxonomy import (
    brand_create,
    brand_delete,
    brand_get_or_create,
    brand_update,
    category_create,
    category_delete,
    category_get_or_create_path,
    category_update,
)
from donhang.catalog.services.variants import product_variants_update, variant_update

__all__ = [
    "MAX_PRICE",
    "PRICE_FIELDS",
    "PRODUCT_FIELDS",
    "THUMBNAIL_SIZE",
    "VARIANT_DEFAULTS",
    "VARIANT_EDITABLE_FIELDS",
    "VARIANT_INT_FIELDS",
    "AttributeInput",
    "_require",
    "attributes_clean",
    "brand_create",
    "brand_delete",
    "brand_get_or_create",
    "brand_update",
    "category_create",
    "category_delete",
    "category_get_or_create_path",
    "category_update",
    "default_variant_sku",
    "product_attributes_set",
    "product_create",
    "product_image_add",
    "product_image_delete",
    "product_image_move",
    "product_update",
    "product_variant_add",
    "product_variants_update",
    "products_set_active",
    "products_set_category",
    "split_values",
    "variant_matrix",
    "variant_update",
]
