"""Products with their attributes and the variant matrix, created with initial stock."""

from __future__ import annotations

from django.db import IntegrityError, transaction
from django.db.models import Max
from django.utils.translation import gettext as _

from donhang.catalog import stock as stock_port
from donhang.catalog.models import (
    MAX_ATTRIBUTES,
    Brand,
    Category,
    Product,
    ProductAttribute,
    Variant,
)
from donhang.catalog.services._common import (
    PRICE_FIELDS,
    VARIANT_EDITABLE_FIELDS,
    _check_name,
    _check_product_sku_free,
    _check_sku,
    _check_variant_skus_free,
    _clean_specifications,
    _clean_variant_values,
    _clean_video_urls,
    _conflict_from_integrity,
    _refresh_product_search,
    _require,
    _require_price,
    _variant_search,
    attributes_clean,
    default_variant_sku,
    variant_matrix,
)
from donhang.core.audit import audit
from donhang.core.errors import ValidationFailed
from donhang.core.money import VatRate
from donhang.core.text import fold

VARIANT_DEFAULTS = {
    "cost_price": 0,
    "sale_price": 0,
    "vat_rate": VatRate.TEN.value,
    "weight_g": 0,
    "length_cm": 0,
    "width_cm": 0,
    "height_cm": 0,
    "low_stock_threshold": 0,
}


@transaction.atomic
def product_create(
    *,
    name: str,
    sku: str,
    description: str = "",
    specifications=None,
    category: Category | None = None,
    brand: Brand | None = None,
    video_urls=None,
    is_active: bool = True,
    attributes=None,
    defaults: dict | None = None,
    variants: list[dict] | None = None,
    generate_matrix: bool = True,
    initial_stock: dict[int, int] | None = None,
    actor=None,
) -> Product:
    """Create a product with its variants and their initial stock.

    `attributes`: up to three (name, values). With `generate_matrix`, one variant per combination
    of values; `variants` then holds per-variant overrides, matched by `options` (a list of values)
    or else by position. Without it, exactly the listed `variants` are created (import).
    `defaults`: cost_price, sale_price, vat_rate, weight_g… for every variant.
    `initial_stock`: {warehouse id: quantity for each variant}; a variant override may carry its
    own `initial_stock` too. Posted to the stock ledger in this transaction.
    """
    _require(actor, "catalog.add_product")
    name = _check_name(name)
    sku = _check_sku(sku, "sku")
    attrs = attributes_clean(attributes)
    base = dict(VARIANT_DEFAULTS)
    base.update(_clean_variant_values({k: v for k, v in (defaults or {}).items() if k in base}))
    if any(base[k] != VARIANT_DEFAULTS[k] for k in PRICE_FIELDS):
        _require_price(actor)
    overrides = list(variants or [])

    # The variants to create: (options, values, initial stock, error field prefix).
    planned: list[tuple[tuple[str, ...], dict, dict, str]] = []
    if generate_matrix:
        combos = variant_matrix(attrs)
        by_options = {}
        for index, item in enumerate(overrides):
            key = tuple(fold(o) for o in (item.get("options") or []))
            by_options[key if key else ("#", index)] = (index, item)
        for position, combo in enumerate(combos):
            index, item = by_options.get(
                tuple(fold(o) for o in combo), by_options.get(("#", position), (position, {}))
            )
            planned.append((combo, item, item.get("initial_stock") or {}, f"variants.{index}."))
    else:
        for index, item in enumerate(overrides):
            options = tuple(str(o).strip() for o in (item.get("options") or []))
            planned.append((options, item, item.get("initial_stock") or {}, f"variants.{index}."))
        if not planned:
            planned.append(((), {}, {}, "variants.0."))

    rows = []
    for combo, item, stock, prefix in planned:
        given = {k: v for k, v in item.items() if k in VARIANT_EDITABLE_FIELDS}
        if not given.get("sku"):
            given["sku"] = default_variant_sku(sku, combo)
        values = dict(base)
        values.update(_clean_variant_values(given, prefix))
        if any(k in given and values[k] != base[k] for k in PRICE_FIELDS):
            _require_price(actor)
        rows.append((combo, values, stock, prefix))

    _check_product_sku_free(sku)
    _check_variant_skus_free({prefix + "sku": values["sku"] for _c, values, _s, prefix in rows})

    try:
        with transaction.atomic():
            product = Product.objects.create(
                name=name,
                sku=sku,
                description=description or "",
                specifications=_clean_specifications(specifications),
                category=category,
                brand=brand,
                video_urls=_clean_video_urls(video_urls),
                is_active=is_active,
            )
            ProductAttribute.objects.bulk_create(
                [
                    ProductAttribute(product=product, position=i, name=a.name, values=a.values)
                    for i, a in enumerate(attrs, start=1)
                ]
            )
            created = []
            for position, (combo, values, _stock, _prefix) in enumerate(rows):
                options = list(combo) + [""] * (MAX_ATTRIBUTES - len(combo))
                variant = Variant(
                    product=product,
                    option1=options[0],
                    option2=options[1],
                    option3=options[2],
                    position=position,
                    **values,
                )
                variant.search_text = _variant_search(variant, product)
                variant.save()
                created.append(variant)
    except IntegrityError as exc:
        raise _conflict_from_integrity(exc) from exc

    _refresh_product_search(product)
    for variant, (_combo, _values, own_stock, _prefix) in zip(created, rows, strict=True):
        quantities = {int(k): int(v) for k, v in (initial_stock or {}).items()}
        quantities.update({int(k): int(v) for k, v in own_stock.items()})
        quantities = {k: v for k, v in quantities.items() if v}
        if quantities:
            stock_port.initial_stock_post(variant=variant, quantities=quantities, actor=actor)
    audit(
        actor=actor,
        action="product.create",
        obj=product,
        summary=f"{sku} {name}",
        data={"variants": [v.sku for v in created]},
    )
    return product


PRODUCT_FIELDS = (
    "name",
    "sku",
    "description",
    "specifications",
    "category",
    "brand",
    "video_urls",
    "is_active",
)


@transaction.atomic
def product_update(*, product: Product, actor=None, **changes) -> Product:
    """Change product fields (see PRODUCT_FIELDS). Only the fields given are touched."""
    _require(actor, "catalog.change_product")
    unknown = set(changes) - set(PRODUCT_FIELDS)
    if unknown:
        raise ValidationFailed(
            _("Unknown fields."), fields={f: _("Unknown field.") for f in sorted(unknown)}
        )
    if "name" in changes:
        product.name = _check_name(changes["name"])
    if "sku" in changes:
        sku = _check_sku(changes["sku"], "sku")
        if sku != product.sku:
            _check_product_sku_free(sku, exclude_pk=product.pk)
        product.sku = sku
    if "description" in changes:
        product.description = changes["description"] or ""
    if "specifications" in changes:
        product.specifications = _clean_specifications(changes["specifications"])
    if "video_urls" in changes:
        product.video_urls = _clean_video_urls(changes["video_urls"])
    if "category" in changes:
        product.category = changes["category"]
    if "brand" in changes:
        product.brand = changes["brand"]
    if "is_active" in changes:
        product.is_active = bool(changes["is_active"])
    try:
        with transaction.atomic():
            product.save()
    except IntegrityError as exc:
        raise _conflict_from_integrity(exc) from exc
    _refresh_product_search(product)
    audit(
        actor=actor,
        action="product.update",
        obj=product,
        summary=product.sku,
        data={"fields": sorted(changes)},
    )
    return product


@transaction.atomic
def product_attributes_set(*, product: Product, attributes, actor=None) -> list[Variant]:
    """Set the product's attributes; create the variants of new value combinations.

    Variants whose combination disappeared are deactivated, never deleted (they may have stock
    and order history). A new attribute gives existing variants its first value. Removing an
    attribute is refused: remove its values or deactivate variants instead. Returns new variants.
    """
    _require(actor, "catalog.change_product")
    attrs = attributes_clean(attributes)
    current = list(product.attributes.all())
    if len(attrs) < len(current):
        raise ValidationFailed(
            _("An attribute cannot be removed once variants exist. Remove values instead."),
            fields={f"attribute_{len(attrs) + 1}_name": _("This attribute is still in use.")},
        )
    variants = list(product.variants.all())
    if len(attrs) > len(current):
        # Existing variants take the first value of each new attribute.
        for variant in variants:
            for position in range(len(current) + 1, len(attrs) + 1):
                setattr(variant, f"option{position}", attrs[position - 1].values[0])
            variant.search_text = _variant_search(variant, product)
            variant.save(update_fields=["option1", "option2", "option3", "search_text"])
    product.attributes.all().delete()
    ProductAttribute.objects.bulk_create(
        [
            ProductAttribute(product=product, position=i, name=a.name, values=a.values)
            for i, a in enumerate(attrs, start=1)
        ]
    )
    combos = variant_matrix(attrs)
    wanted = {tuple(fold(o) for o in combo): combo for combo in combos}
    existing = {}
    for variant in variants:
        key = tuple(fold(o) for o in variant.options[: len(attrs)]) if attrs else ()
        existing.setdefault(key, variant)
        if key not in wanted and variant.is_active:
            variant.is_active = False
            variant.save(update_fields=["is_active", "updated_at"])
    template = variants[0] if variants else None
    values = {k: getattr(template, k) if template else v for k, v in VARIANT_DEFAULTS.items()}
    next_position = (product.variants.aggregate(m=Max("position"))["m"] or 0) + 1
    created = []
    for key, combo in wanted.items():
        if key in existing:
            continue
        sku = default_variant_sku(product.sku, combo)
        base, n = sku, 2
        while Variant.objects.filter(sku__iexact=sku).exists():
            sku = f"{base[:60]}-{n}"
            n += 1
        options = list(combo) + [""] * (MAX_ATTRIBUTES - len(combo))
        variant = Variant(
            product=product,
            sku=sku,
            option1=options[0],
            option2=options[1],
            option3=options[2],
            position=next_position,
            **values,
        )
        variant.search_text = _variant_search(variant, product)
        variant.save()
        next_position += 1
        created.append(variant)
    audit(
        actor=actor,
        action="product.attributes_set",
        obj=product,
        summary=product.sku,
        data={
            "attributes": [{"name": a.name, "values": a.values} for a in attrs],
            "created": [v.sku for v in created],
        },
    )
    return created


@transaction.atomic
def product_variant_add(
    *, product: Product, options: list[str], values: dict, actor=None
) -> Variant:
    """Add one variant with the given options, extending the attributes' value lists (import)."""
    _require(actor, "catalog.change_product")
    attrs = list(product.attributes.all())
    options = [str(o).strip() for o in options if str(o).strip()]
    if len(options) != len(attrs):
        raise ValidationFailed(
            _("This product has %(n)s attributes; give a value for each.") % {"n": len(attrs)},
            fields={"options": _("Wrong number of attribute values.")},
        )
    for attr, value in zip(attrs, options, strict=True):
        if fold(value) not in {fold(v) for v in attr.values}:
            attr.values = [*attr.values, value]
            attr.save(update_fields=["values"])
    cleaned = dict(VARIANT_DEFAULTS)
    cleaned.update(_clean_variant_values(values))
    if any(cleaned[k] != VARIANT_DEFAULTS[k] for k in PRICE_FIELDS):
        _require_price(actor)
    _check_variant_skus_free({"sku": cleaned["sku"]})
    padded = options + [""] * (MAX_ATTRIBUTES - len(options))
    variant = Variant(
        product=product,
        option1=padded[0],
        option2=padded[1],
        option3=padded[2],
        position=(product.variants.aggregate(m=Max("position"))["m"] or 0) + 1,
        **cleaned,
    )
    variant.search_text = _variant_search(variant, product)
    try:
        with transaction.atomic():
            variant.save()
    except IntegrityError as exc:
        raise _conflict_from_integrity(exc) from exc
    audit(actor=actor, action="variant.create", obj=variant, summary=variant.sku)
    return variant


@transaction.atomic
def products_set_active(*, products, is_active: bool, actor=None) -> int:
    _require(actor, "catalog.change_product")
    count = 0
    for product in products:
        if product.is_active != is_active:
            product.is_active = is_active
            product.save(update_fields=["is_active", "updated_at"])
            audit(
                actor=actor,
                action="product.activate" if is_active else "product.deactivate",
                obj=product,
                summary=product.sku,
            )
            count += 1
    return count


@transaction.atomic
def products_set_category(*, products, category: Category | None, actor=None) -> int:
    _require(actor, "catalog.change_product")
    count = 0
    for product in products:
        if product.category_id != (category.pk if category else None):
            product.category = category
            product.save(update_fields=["category", "updated_at"])
            audit(
                actor=actor,
                action="product.set_category",
                obj=product,
                summary=f"{product.sku} → {category.name if category else '-'}",
            )
            count += 1
    return count
