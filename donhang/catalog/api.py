"""Catalog REST API: products, variants, categories, brands, import.

Money is integer VND; `sale_price` includes VAT, `cost_price` excludes it. Cost prices and margins
are null for callers without `catalog.view_cost`. Errors: 401 without a valid key, 403 when the
role may not do it (changing prices needs `catalog.change_price`), 404 unknown id, 409 duplicate
SKU (with `fields` naming it), 422 invalid input (with `fields`).
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from django.db import transaction
from django.utils.translation import gettext as _
from ninja import Field, File, Query, Router, Schema, Status
from ninja.files import UploadedFile

from donhang.catalog import importexport, selectors, services, stock
from donhang.catalog.models import Brand, Category, Product, Variant
from donhang.catalog.services import PRICE_FIELDS
from donhang.core.errors import NotFound, PermissionDenied, ValidationFailed
from donhang.core.money import VatRate

router = Router(tags=["catalog"])

VAT_CHOICES = " | ".join(VatRate.values)


# --- schemas ----------------------------------------------------------------


class SpecificationSchema(Schema):
    name: str = Field(..., max_length=120)
    value: str = Field("", max_length=500)


class AttributeSchema(Schema):
    name: str = Field(..., max_length=60, description="e.g. Màu")
    values: list[str] = Field(..., description='e.g. ["Đỏ", "Xanh"]')


class ImageOut(Schema):
    id: int
    url: str
    thumbnail_url: str | None


class VariantOut(Schema):
    id: int
    product_id: int
    product_name: str
    sku: str
    barcode: str
    options: list[str]
    weight_g: int
    length_cm: int
    width_cm: int
    height_cm: int
    cost_price: int | None = Field(description="Excl. VAT; null without catalog.view_cost")
    vat_rate: str = Field(description=VAT_CHOICES)
    sale_price: int = Field(description="Incl. VAT")
    margin: int | None = Field(description="Sale price net of VAT − cost; null without view_cost")
    margin_percent: Decimal | None = Field(description="Margin as % of the net sale price")
    low_stock_threshold: int
    is_active: bool
    on_hand: int
    available: int


class ProductOut(Schema):
    id: int
    name: str
    sku: str
    description: str
    specifications: list[SpecificationSchema]
    category_id: int | None
    category_path: list[str]
    brand_id: int | None
    brand: str | None
    video_urls: list[str]
    is_active: bool
    attributes: list[AttributeSchema]
    variants: list[VariantOut]
    images: list[ImageOut]
    created_at: datetime
    updated_at: datetime


class ProductListItem(Schema):
    id: int
    name: str
    sku: str
    category_id: int | None
    brand_id: int | None
    is_active: bool
    variant_count: int
    min_price: int | None
    max_price: int | None
    total_stock: int
    thumbnail_url: str | None


class ProductPage(Schema):
    count: int
    limit: int
    offset: int
    items: list[ProductListItem]


class VariantOverride(Schema):
    """Per-variant values; matched to the generated matrix by `options`, else by position."""

    options: list[str] = Field(default_factory=list, description='e.g. ["Đỏ", "M"]')
    sku: str | None = Field(None, max_length=64)
    barcode: str | None = Field(None, max_length=64)
    weight_g: int | None = Field(None, ge=0)
    length_cm: int | None = Field(None, ge=0)
    width_cm: int | None = Field(None, ge=0)
    height_cm: int | None = Field(None, ge=0)
    cost_price: int | None = Field(None, ge=0)
    vat_rate: VatRate | None = None
    sale_price: int | None = Field(None, ge=0)
    low_stock_threshold: int | None = Field(None, ge=0)
    is_active: bool | None = None
    initial_stock: dict[str, int] = Field(
        default_factory=dict, description="{warehouse code: quantity} for this variant"
    )


class ProductIn(Schema):
    name: str = Field(..., min_length=1, max_length=255)
    sku: str = Field(..., min_length=1, max_length=64)
    description: str = ""
    specifications: list[SpecificationSchema] = Field(default_factory=list)
    category_id: int | None = None
    brand_id: int | None = None
    video_urls: list[str] = Field(default_factory=list)
    is_active: bool = True
    attributes: list[AttributeSchema] = Field(
        default_factory=list, max_length=3, description="Up to 3; variants = every combination"
    )
    cost_price: int = Field(0, ge=0, description="Default for every variant, excl. VAT")
    sale_price: int = Field(0, ge=0, description="Default for every variant, incl. VAT")
    vat_rate: VatRate = VatRate.TEN
    weight_g: int = Field(0, ge=0)
    length_cm: int = Field(0, ge=0)
    width_cm: int = Field(0, ge=0)
    height_cm: int = Field(0, ge=0)
    low_stock_threshold: int = Field(0, ge=0)
    variants: list[VariantOverride] = Field(default_factory=list)
    initial_stock: dict[str, int] = Field(
        default_factory=dict, description="{warehouse code: quantity for each variant}"
    )


class ProductPatch(Schema):
    name: str | None = Field(None, min_length=1, max_length=255)
    sku: str | None = Field(None, min_length=1, max_length=64)
    description: str | None = None
    specifications: list[SpecificationSchema] | None = None
    category_id: int | None = None
    brand_id: int | None = None
    video_urls: list[str] | None = None
    is_active: bool | None = None
    attributes: list[AttributeSchema] | None = Field(
        None, max_length=3, description="New values add variants; removed ones deactivate them"
    )


class VariantPatch(Schema):
    sku: str | None = Field(None, min_length=1, max_length=64)
    barcode: str | None = Field(None, max_length=64)
    weight_g: int | None = Field(None, ge=0)
    length_cm: int | None = Field(None, ge=0)
    width_cm: int | None = Field(None, ge=0)
    height_cm: int | None = Field(None, ge=0)
    cost_price: int | None = Field(None, ge=0, description="Needs catalog.change_price")
    vat_rate: VatRate | None = Field(None, description="Needs catalog.change_price")
    sale_price: int | None = Field(None, ge=0, description="Needs catalog.change_price")
    low_stock_threshold: int | None = Field(None, ge=0)
    is_active: bool | None = None


class CategoryOut(Schema):
    id: int
    name: str
    parent_id: int | None
    path: list[str]
    product_count: int


class CategoryIn(Schema):
    name: str = Field(..., min_length=1, max_length=120)
    parent_id: int | None = None


class BrandOut(Schema):
    id: int
    name: str
    product_count: int


class BrandIn(Schema):
    name: str = Field(..., min_length=1, max_length=120)


class ImportRowError(Schema):
    row: int
    column: str
    message: str


class ImportAction(Schema):
    row: int
    action: str = Field(description="create | update | unchanged")
    product_sku: str
    variant_sku: str


class ImportReportOut(Schema):
    dry_run: bool
    ok: bool
    imported: bool
    rows: int
    products_created: int
    products_updated: int
    variants_created: int
    variants_updated: int
    variants_unchanged: int
    errors: list[ImportRowError]
    actions: list[ImportAction]


# --- helpers ----------------------------------------------------------------


def _variant_out(variant: Variant, *, view_cost: bool, product: Product | None = None) -> dict:
    product = product or variant.product
    on_hand = getattr(variant, "on_hand", 0) or 0
    reserved = getattr(variant, "reserved_total", 0) or 0
    return {
        "id": variant.pk,
        "product_id": variant.product_id,
        "product_name": product.name,
        "sku": variant.sku,
        "barcode": variant.barcode,
        "options": variant.options,
        "weight_g": variant.weight_g,
        "length_cm": variant.length_cm,
        "width_cm": variant.width_cm,
        "height_cm": variant.height_cm,
        "cost_price": variant.cost_price if view_cost else None,
        "vat_rate": variant.vat_rate,
        "sale_price": variant.sale_price,
        "margin": variant.margin if view_cost else None,
        "margin_percent": variant.margin_percent if view_cost else None,
        "low_stock_threshold": variant.low_stock_threshold,
        "is_active": variant.is_active,
        "on_hand": on_hand,
        "available": on_hand - reserved,
    }


def _product_out(request, product_id: int) -> dict:
    product = selectors.product_get(product_id)
    view_cost = request.principal.has_perm("catalog.view_cost")
    return {
        "id": product.pk,
        "name": product.name,
        "sku": product.sku,
        "description": product.description,
        "specifications": product.specifications or [],
        "category_id": product.category_id,
        "category_path": selectors.category_path_names(product.category),
        "brand_id": product.brand_id,
        "brand": product.brand.name if product.brand_id else None,
        "video_urls": product.video_urls or [],
        "is_active": product.is_active,
        "attributes": [{"name": a.name, "values": a.values} for a in product.attributes.all()],
        "variants": [
            _variant_out(v, view_cost=view_cost, product=product) for v in product.variants.all()
        ],
        "images": [
            {
                "id": img.pk,
                "url": img.image.url,
                "thumbnail_url": img.thumbnail.url if img.thumbnail else None,
            }
            for img in product.images.all()
        ],
        "created_at": product.created_at,
        "updated_at": product.updated_at,
    }


def _category(category_id: int | None, field_name: str = "category_id") -> Category | None:
    if category_id is None:
        return None
    category = Category.objects.filter(pk=category_id).first()
    if category is None:
        raise ValidationFailed(
            _("Unknown category."), fields={field_name: _("No category has this id.")}
        )
    return category


def _brand(brand_id: int | None) -> Brand | None:
    if brand_id is None:
        return None
    brand = Brand.objects.filter(pk=brand_id).first()
    if brand is None:
        raise ValidationFailed(_("Unknown brand."), fields={"brand_id": _("No brand has this id.")})
    return brand


def _warehouse_ids(codes: dict[str, int], field_name: str) -> dict[int, int]:
    if not codes:
        return {}
    warehouses = stock.warehouse_ids_by_code(codes)
    result = {}
    for code, quantity in codes.items():
        if code not in warehouses:
            raise ValidationFailed(
                _("Unknown warehouse code %(code)s.") % {"code": code},
                fields={f"{field_name}.{code}": _("No warehouse has this code.")},
            )
        if quantity < 0:
            raise ValidationFailed(
                _("Initial stock cannot be negative."),
                fields={f"{field_name}.{code}": _("Enter 0 or more.")},
            )
        result[warehouses[code]] = quantity
    return result


def _get_product(product_id: int) -> Product:
    product = Product.objects.filter(pk=product_id).first()
    if product is None:
        raise NotFound(_("Product %(id)s does not exist.") % {"id": product_id})
    return product


# --- products ---------------------------------------------------------------


@router.get("/products", response=ProductPage, summary="List and search products")
def list_products(
    request,
    q: str = Query("", description="Name, SKU or barcode; accents are ignored"),
    category_id: int | None = Query(None, description="Includes subcategories"),
    brand_id: int | None = None,
    status: str = Query("", description="active | inactive"),
    low_stock: bool = False,
    limit: int = Query(20, ge=1, le=200),
    offset: int = Query(0, ge=0, le=1_000_000_000),
):
    request.principal.require("catalog.view_product")
    products = selectors.product_list(
        selectors.ProductFilters(
            q=q, category_id=category_id, brand_id=brand_id, status=status, low_stock=low_stock
        )
    )
    count = products.count()
    items = []
    for product in products[offset : offset + limit]:
        images = list(product.images.all())
        items.append(
            {
                "id": product.pk,
                "name": product.name,
                "sku": product.sku,
                "category_id": product.category_id,
                "brand_id": product.brand_id,
                "is_active": product.is_active,
                "variant_count": product.variant_count,
                "min_price": product.min_price,
                "max_price": product.max_price,
                "total_stock": product.total_stock,
                "thumbnail_url": images[0].thumbnail.url
                if images and images[0].thumbnail
                else None,
            }
        )
    return {"count": count, "limit": limit, "offset": offset, "items": items}


@router.post(
    "/products/import", response=ImportReportOut, summary="Import products from .xlsx or .csv"
)
def import_products(request, file: File[UploadedFile], dry_run: bool = False):
    """Same columns as the export. Every row is validated first; with `dry_run=true` nothing is
    saved and the report says what would be created or updated. A real run is all-or-nothing."""
    request.principal.require("catalog.import_product")
    report = importexport.import_products(file=file, dry_run=dry_run, actor=request.principal)
    return report.as_dict()


@router.get("/products/{product_id}", response=ProductOut, summary="One product with variants")
def get_product(request, product_id: int):
    request.principal.require("catalog.view_product")
    return _product_out(request, product_id)


@router.post("/products", response={201: ProductOut}, summary="Create a product")
def create_product(request, payload: ProductIn):
    """Attributes generate the variant matrix (every combination of values); `variants`
    overrides values per variant; `initial_stock` posts opening stock per warehouse code."""
    request.principal.require("catalog.add_product")
    defaults = payload.dict(
        include={
            "cost_price",
            "sale_price",
            "vat_rate",
            "weight_g",
            "length_cm",
            "width_cm",
            "height_cm",
            "low_stock_threshold",
        }
    )
    defaults["vat_rate"] = str(VatRate(defaults["vat_rate"]).value)
    overrides = []
    for index, item in enumerate(payload.variants):
        data = item.dict(exclude_none=True, exclude={"initial_stock"})
        if "vat_rate" in data:
            data["vat_rate"] = str(VatRate(data["vat_rate"]).value)
        data["initial_stock"] = _warehouse_ids(
            item.initial_stock, f"variants.{index}.initial_stock"
        )
        overrides.append(data)
    with transaction.atomic():
        product = services.product_create(
            name=payload.name,
            sku=payload.sku,
            description=payload.description,
            specifications=[s.dict() for s in payload.specifications],
            category=_category(payload.category_id),
            brand=_brand(payload.brand_id),
            video_urls=payload.video_urls,
            is_active=payload.is_active,
            attributes=[(a.name, a.values) for a in payload.attributes],
            defaults=defaults,
            variants=overrides,
            initial_stock=_warehouse_ids(payload.initial_stock, "initial_stock"),
            actor=request.principal,
        )
    return Status(201, _product_out(request, product.pk))


@router.patch("/products/{product_id}", response=ProductOut, summary="Change a product")
def update_product(request, product_id: int, payload: ProductPatch):
    request.principal.require("catalog.change_product")
    product = _get_product(product_id)
    data = payload.dict(exclude_unset=True)
    attributes = data.pop("attributes", None)
    if "category_id" in data:
        data["category"] = _category(data.pop("category_id"))
    if "brand_id" in data:
        data["brand"] = _brand(data.pop("brand_id"))
    for key in ("name", "sku", "is_active", "description", "specifications", "video_urls"):
        if key in data and data[key] is None:
            raise ValidationFailed(
                _("Some fields are not valid."), fields={key: _("This field cannot be null.")}
            )
    with transaction.atomic():
        if data:
            services.product_update(product=product, actor=request.principal, **data)
        if attributes is not None:
            services.product_attributes_set(
                product=product,
                attributes=[(a["name"], a["values"]) for a in attributes],
                actor=request.principal,
            )
    return _product_out(request, product.pk)


# --- variants ---------------------------------------------------------------


@router.get("/variants", response=list[VariantOut], summary="Find variants by SKU or text")
def list_variants(
    request,
    sku: str = Query("", description="Exact SKU (case-insensitive)"),
    q: str = "",
    product_id: int | None = None,
    limit: int = Query(50, ge=1, le=200),
    offset: int = Query(0, ge=0, le=1_000_000_000),
):
    request.principal.require("catalog.view_product")
    view_cost = request.principal.has_perm("catalog.view_cost")
    variants = selectors.variant_list(sku=sku, q=q, product_id=product_id)
    return [_variant_out(v, view_cost=view_cost) for v in variants[offset : offset + limit]]


@router.get("/variants/{variant_id}", response=VariantOut, summary="One variant")
def get_variant(request, variant_id: int):
    request.principal.require("catalog.view_product")
    return _variant_out(
        selectors.variant_get(variant_id),
        view_cost=request.principal.has_perm("catalog.view_cost"),
    )


@router.patch("/variants/{variant_id}", response=VariantOut, summary="Change a variant")
def update_variant(request, variant_id: int, payload: VariantPatch):
    """Prices (`cost_price`, `sale_price`, `vat_rate`) need `catalog.change_price`: 403 otherwise."""
    request.principal.require("catalog.change_product")
    variant = Variant.objects.select_related("product").filter(pk=variant_id).first()
    if variant is None:
        raise NotFound(_("Variant %(id)s does not exist.") % {"id": variant_id})
    data = payload.dict(exclude_unset=True)
    # A price sent at all needs the price permission, even if it equals the stored one: a 200
    # for "same value" and a 403 for any other would let a role guess the cost.
    sent_prices = [k for k in PRICE_FIELDS if k in data]
    if sent_prices and not request.principal.has_perm("catalog.change_price"):
        raise PermissionDenied(
            _("Your role may not change prices (catalog.change_price)."),
            fields={k: _("You may not change prices.") for k in sent_prices},
        )
    nulls = [k for k, v in data.items() if v is None]
    if nulls:
        raise ValidationFailed(
            _("Some fields are not valid."),
            fields={k: _("This field cannot be null.") for k in nulls},
        )
    if "vat_rate" in data:
        data["vat_rate"] = str(VatRate(data["vat_rate"]).value)
    services.variant_update(variant=variant, actor=request.principal, **data)
    return get_variant(request, variant_id)


# --- categories and brands --------------------------------------------------


@router.get("/categories", response=list[CategoryOut], summary="Category tree, parents first")
def list_categories(request):
    request.principal.require("catalog.view_category")
    return [
        {
            "id": c.pk,
            "name": c.name,
            "parent_id": c.parent_id,
            "path": c.full_name.split(" › "),
            "product_count": c.product_count,
        }
        for c in selectors.category_tree()
    ]


@router.post("/categories", response={201: CategoryOut}, summary="Create a category")
def create_category(request, payload: CategoryIn):
    request.principal.require("catalog.add_category")
    category = services.category_create(
        name=payload.name,
        parent=_category(payload.parent_id, "parent_id"),
        actor=request.principal,
    )
    return Status(
        201,
        {
            "id": category.pk,
            "name": category.name,
            "parent_id": category.parent_id,
            "path": selectors.category_path_names(category),
            "product_count": 0,
        },
    )


@router.get("/brands", response=list[BrandOut], summary="Brands")
def list_brands(request):
    request.principal.require("catalog.view_brand")
    return [
        {"id": b.pk, "name": b.name, "product_count": b.product_count}
        for b in selectors.brand_list()
    ]


@router.post("/brands", response={201: BrandOut}, summary="Create a brand")
def create_brand(request, payload: BrandIn):
    request.principal.require("catalog.add_brand")
    brand = services.brand_create(name=payload.name, actor=request.principal)
    return Status(201, {"id": brand.pk, "name": brand.name, "product_count": 0})
