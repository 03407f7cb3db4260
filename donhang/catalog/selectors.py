"""Catalog reads, shaped for the pages and endpoints that use them."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import (
    Count,
    Exists,
    F,
    Max,
    Min,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
)
from django.utils.translation import gettext as _

from donhang.catalog import stock
from donhang.catalog.models import Brand, Category, Product, ProductImage, Variant
from donhang.core.errors import NotFound
from donhang.core.text import fold


@dataclass
class ProductFilters:
    q: str = ""
    category_id: int | None = None
    brand_id: int | None = None
    status: str = ""  # "", "active", "inactive"
    low_stock: bool = False


def _stock_sum(field: str, *, product: bool):
    """Sum of a stock column per variant or per product (provided by donhang.inventory)."""
    return stock.stock_sum(field, product=product)


def low_stock_variants() -> QuerySet[Variant]:
    """Active variants with a threshold whose available stock is at or below it."""
    return (
        Variant.objects.filter(is_active=True, low_stock_threshold__gt=0)
        .annotate(
            available=_stock_sum("on_hand", product=False) - _stock_sum("reserved", product=False)
        )
        .filter(available__lte=F("low_stock_threshold"))
    )


def product_search_filter(q: str) -> Q:
    """Name, SKU, brand, barcode or option of the product or any variant; accents ignored."""
    key = fold(q)
    if not key:
        return Q()
    variant_match = Variant.objects.filter(product=OuterRef("pk"), search_text__icontains=key)
    return Q(search_text__icontains=key) | Q(Exists(variant_match))


def product_list(filters: ProductFilters | None = None) -> QuerySet[Product]:
    """Products with variant count, price range and total stock on hand; a bounded number of
    queries per page (images are prefetched for thumbnails)."""
    filters = filters or ProductFilters()
    products = Product.objects.select_related("category", "brand")
    if filters.q:
        products = products.filter(product_search_filter(filters.q))
    if filters.category_id:
        category = Category.objects.filter(pk=filters.category_id).first()
        if category is None:
            return products.none()
        products = products.filter(category__path__startswith=category.path)
    if filters.brand_id:
        products = products.filter(brand_id=filters.brand_id)
    if filters.status == "active":
        products = products.filter(is_active=True)
    elif filters.status == "inactive":
        products = products.filter(is_active=False)
    if filters.low_stock:
        products = products.filter(Exists(low_stock_variants().filter(product=OuterRef("pk"))))
    return (
        products.annotate(
            variant_count=Count("variants", distinct=True),
            min_price=Min("variants__sale_price"),
            max_price=Max("variants__sale_price"),
            total_stock=_stock_sum("on_hand", product=True),
        )
        .prefetch_related(
            Prefetch("images", queryset=ProductImage.objects.order_by("position", "id"))
        )
        .order_by("-id")
    )


def product_get(product_id: int) -> Product:
    """One product with attributes, images and variants (each with on hand and available)."""
    variants = Variant.objects.annotate(
        on_hand=_stock_sum("on_hand", product=False),
        reserved_total=_stock_sum("reserved", product=False),
    ).order_by("position", "id")
    product = (
        Product.objects.select_related("category", "brand")
        .prefetch_related(
            "attributes",
            Prefetch("images", queryset=ProductImage.objects.order_by("position", "id")),
            Prefetch("variants", queryset=variants),
        )
        .filter(pk=product_id)
        .first()
    )
    if product is None:
        raise NotFound(_("Product %(id)s does not exist.") % {"id": product_id})
    return product


def variant_list(*, sku: str = "", q: str = "", product_id: int | None = None):
    variants = Variant.objects.select_related("product").annotate(
        on_hand=_stock_sum("on_hand", product=False),
        reserved_total=_stock_sum("reserved", product=False),
    )
    if sku:
        variants = variants.filter(sku__iexact=sku.strip())
    if q:
        variants = variants.filter(search_text__icontains=fold(q))
    if product_id:
        variants = variants.filter(product_id=product_id)
    return variants.order_by("product_id", "position", "id")


def variant_get(variant_id: int) -> Variant:
    variant = variant_list().filter(pk=variant_id).first()
    if variant is None:
        raise NotFound(_("Variant %(id)s does not exist.") % {"id": variant_id})
    return variant


def category_tree() -> list[Category]:
    """All categories in tree order (parents before children), with `depth`, `full_name` and
    product counts."""
    categories = list(Category.objects.annotate(product_count=Count("products")).order_by("path"))
    by_id = {c.pk: c for c in categories}
    for category in categories:
        ids = [int(p) for p in category.path.strip("/").split("/") if p]
        category.full_name = " › ".join(by_id[i].name for i in ids if i in by_id)
        category.child_count = 0
    for category in categories:
        if category.parent_id in by_id:
            by_id[category.parent_id].child_count += 1

    # Order siblings by name: sort by the names along the path.
    def sort_key(c):
        ids = [int(p) for p in c.path.strip("/").split("/") if p]
        return [fold(by_id[i].name) if i in by_id else "" for i in ids]

    categories.sort(key=sort_key)
    return categories


def category_path_names(category: Category | None) -> list[str]:
    if category is None:
        return []
    ids = [int(p) for p in category.path.strip("/").split("/") if p]
    names = dict(Category.objects.filter(pk__in=ids).values_list("pk", "name"))
    return [names[i] for i in ids if i in names]


def brand_list() -> QuerySet[Brand]:
    return Brand.objects.annotate(product_count=Count("products")).order_by("name")
