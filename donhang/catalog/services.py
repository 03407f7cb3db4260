"""Catalog writes: categories, brands, products, variants, images.

Every function is a service (DESIGN.md 3.1): keyword-only, atomic, writes an audit row.
Uniqueness is checked before insert so that users get a field-level 409; an IntegrityError from a
race is still turned into a Conflict.
"""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass, field
from io import BytesIO
from pathlib import PurePath

from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.files.base import ContentFile
from django.core.validators import URLValidator
from django.db import IntegrityError, transaction
from django.db.models import Max
from django.db.models.functions import Lower
from django.utils.translation import gettext as _

from donhang.catalog.models import (
    MAX_ATTRIBUTES,
    Brand,
    Category,
    Product,
    ProductAttribute,
    ProductImage,
    Variant,
)
from donhang.core.audit import audit
from donhang.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from donhang.core.money import VatRate
from donhang.core.permissions import actor_allowed, require_perm
from donhang.core.text import fold, search_key

THUMBNAIL_SIZE = 300
PRICE_FIELDS = ("cost_price", "sale_price", "vat_rate")
VARIANT_INT_FIELDS = (
    "weight_g",
    "length_cm",
    "width_cm",
    "height_cm",
    "cost_price",
    "sale_price",
    "low_stock_threshold",
)
VARIANT_EDITABLE_FIELDS = (
    "sku",
    "barcode",
    *VARIANT_INT_FIELDS,
    "vat_rate",
    "is_active",
)
MAX_PRICE = 10**12  # one trillion VND: anything above is a typing mistake


_allowed = actor_allowed
_require = require_perm


# --- categories -----------------------------------------------------------


def _category_check_name(*, name: str, parent: Category | None, exclude_pk=None) -> str:
    name = (name or "").strip()
    if not name:
        raise ValidationFailed(
            _("Enter a category name."), fields={"name": _("This field is required.")}
        )
    # Compared in Python: SQLite's case-insensitive matching covers ASCII only ("Áo" ≠ "áo").
    siblings = Category.objects.filter(parent=parent).exclude(pk=exclude_pk)
    if any(n.casefold() == name.casefold() for n in siblings.values_list("name", flat=True)):
        raise Conflict(
            _("A category named “%(name)s” already exists here.") % {"name": name},
            fields={"name": _("Choose another name.")},
        )
    return name


@transaction.atomic
def category_create(*, name: str, parent: Category | None = None, actor=None) -> Category:
    name = _category_check_name(name=name, parent=parent)
    try:
        with transaction.atomic():
            category = Category.objects.create(name=name, parent=parent, search_name=fold(name))
    except IntegrityError as exc:
        raise Conflict(
            _("A category with this name already exists here."),
            fields={"name": _("Choose another name.")},
        ) from exc
    category.path = f"{parent.path if parent else '/'}{category.pk}/"
    category.save(update_fields=["path"])
    audit(actor=actor, action="category.create", obj=category, summary=name)
    return category


@transaction.atomic
def category_update(
    *, category: Category, name: str, parent: Category | None = None, actor=None
) -> Category:
    if parent is not None and parent.path.startswith(category.path):
        raise ValidationFailed(
            _("A category cannot be moved under itself or one of its subcategories."),
            fields={"parent": _("Choose another parent category.")},
        )
    name = _category_check_name(name=name, parent=parent, exclude_pk=category.pk)
    old_path = category.path
    category.name = name
    category.search_name = fold(name)
    category.parent = parent
    category.path = f"{parent.path if parent else '/'}{category.pk}/"
    category.save(update_fields=["name", "search_name", "parent", "path", "updated_at"])
    if old_path != category.path:
        for child in Category.objects.filter(path__startswith=old_path).exclude(pk=category.pk):
            child.path = category.path + child.path[len(old_path) :]
            child.save(update_fields=["path"])
    audit(actor=actor, action="category.update", obj=category, summary=name)
    return category


@transaction.atomic
def category_delete(*, category: Category, actor=None) -> None:
    if category.children.exists():
        raise Conflict(
            _("“%(name)s” has subcategories. Move or delete them first.") % {"name": category.name},
            code="category_has_children",
        )
    if category.products.exists():
        raise Conflict(
            _("“%(name)s” still has products. Move them to another category first.")
            % {"name": category.name},
            code="category_has_products",
        )
    audit(actor=actor, action="category.delete", obj=category, summary=category.name)
    category.delete()


@transaction.atomic
def category_get_or_create_path(*, names: list[str], actor=None) -> Category | None:
    """ "Thời trang nữ > Áo thun" as a list of names → the leaf, creating missing levels."""
    parent = None
    for raw in names:
        name = raw.strip()
        if not name:
            continue
        found = next(
            (
                c
                for c in Category.objects.filter(parent=parent)
                if c.name.casefold() == name.casefold()
            ),
            None,
        )
        parent = found or category_create(name=name, parent=parent, actor=actor)
    return parent


# --- brands ---------------------------------------------------------------


def _brand_by_name(name: str, exclude_pk=None) -> Brand | None:
    # Compared in Python: SQLite's case-insensitive matching covers ASCII only.
    wanted = name.strip().casefold()
    for brand in Brand.objects.exclude(pk=exclude_pk).only("pk", "name"):
        if brand.name.casefold() == wanted:
            return brand
    return None


def _brand_check_name(*, name: str, exclude_pk=None) -> str:
    name = (name or "").strip()
    if not name:
        raise ValidationFailed(
            _("Enter a brand name."), fields={"name": _("This field is required.")}
        )
    if _brand_by_name(name, exclude_pk=exclude_pk):
        raise Conflict(
            _("The brand “%(name)s” already exists.") % {"name": name},
            fields={"name": _("Choose another name.")},
        )
    return name


@transaction.atomic
def brand_create(*, name: str, actor=None) -> Brand:
    name = _brand_check_name(name=name)
    try:
        with transaction.atomic():
            brand = Brand.objects.create(name=name)
    except IntegrityError as exc:
        raise Conflict(
            _("The brand “%(name)s” already exists.") % {"name": name},
            fields={"name": _("Choose another name.")},
        ) from exc
    audit(actor=actor, action="brand.create", obj=brand, summary=name)
    return brand


@transaction.atomic
def brand_update(*, brand: Brand, name: str, actor=None) -> Brand:
    brand.name = _brand_check_name(name=name, exclude_pk=brand.pk)
    brand.save(update_fields=["name", "updated_at"])
    for product in brand.products.all():
        _refresh_product_search(product)
    audit(actor=actor, action="brand.update", obj=brand, summary=brand.name)
    return brand


@transaction.atomic
def brand_get_or_create(*, name: str, actor=None) -> Brand | None:
    name = (name or "").strip()
    if not name:
        return None
    return _brand_by_name(name) or brand_create(name=name, actor=actor)


@transaction.atomic
def brand_delete(*, brand: Brand, actor=None) -> None:
    if brand.products.exists():
        raise Conflict(
            _("“%(name)s” still has products. Change their brand first.") % {"name": brand.name},
            code="brand_has_products",
        )
    audit(actor=actor, action="brand.delete", obj=brand, summary=brand.name)
    brand.delete()


# --- attributes and the variant matrix -----------------------------------


@dataclass
class AttributeInput:
    name: str
    values: list[str] = field(default_factory=list)


def split_values(text: str) -> list[str]:
    """ "Đỏ, Xanh ,Đen" → ["Đỏ", "Xanh", "Đen"]."""
    return [v.strip() for v in (text or "").split(",") if v.strip()]


def attributes_clean(attributes) -> list[AttributeInput]:
    """Validate up to three (name, values) pairs. Empty pairs are dropped; values are de-duplicated
    ignoring case and diacritics. Field names are attribute_<n>_name / attribute_<n>_values."""
    cleaned: list[AttributeInput] = []
    errors: dict[str, str] = {}
    items = list(attributes or [])
    for index, item in enumerate(items, start=1):
        if isinstance(item, AttributeInput):
            name, values = item.name, item.values
        elif isinstance(item, dict):
            name, values = item.get("name", ""), item.get("values", [])
        else:
            name, values = item
        if isinstance(values, str):
            values = split_values(values)
        name = (name or "").strip()
        seen, unique = set(), []
        for value in values or []:
            value = str(value).strip()
            if value and fold(value) not in seen:
                seen.add(fold(value))
                unique.append(value)
        if not name and not unique:
            continue
        if not name:
            errors[f"attribute_{index}_name"] = _("Name this attribute, e.g. Colour or Size.")
        elif not unique:
            errors[f"attribute_{index}_values"] = _(
                "Enter at least one value, separated by commas."
            )
        elif len(name) > 60:
            errors[f"attribute_{index}_name"] = _("Use at most 60 characters.")
        elif any(len(v) > 60 for v in unique):
            errors[f"attribute_{index}_values"] = _("Each value can have at most 60 characters.")
        elif any(fold(a.name) == fold(name) for a in cleaned):
            errors[f"attribute_{index}_name"] = _("Two attributes have the same name.")
        cleaned.append(AttributeInput(name=name, values=unique))
    if len(cleaned) > MAX_ATTRIBUTES:
        errors["attributes"] = _("A product can have at most 3 attributes.")
    if errors:
        raise ValidationFailed(_("Check the product's attributes."), fields=errors)
    return cleaned


def variant_matrix(attributes: list[AttributeInput]) -> list[tuple[str, ...]]:
    """Every combination of the attribute values, in order; one empty combination if none."""
    if not attributes:
        return [()]
    return list(itertools.product(*[a.values for a in attributes]))


def _slug(value: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", fold(value)).strip("-")


def default_variant_sku(product_sku: str, options) -> str:
    """ "AT01" + ("Đỏ", "XL") → "AT01-DO-XL"."""
    parts = [product_sku.strip()] + [_slug(o) for o in options if o]
    return "-".join(p for p in parts if p).upper()[:64]


# --- validation helpers ---------------------------------------------------


def _check_sku(value, field_name: str) -> str:
    sku = (value or "").strip()
    if not sku:
        raise ValidationFailed(_("Enter a SKU."), fields={field_name: _("This field is required.")})
    if len(sku) > 64 or re.search(r"\s", sku):
        raise ValidationFailed(
            _("A SKU has at most 64 characters and no spaces."),
            fields={field_name: _("Use at most 64 characters and no spaces.")},
        )
    return sku


def _clean_variant_values(values: dict, prefix: str = "") -> dict:
    """Check numbers and VAT of variant fields; `prefix` names fields in errors ("variants.1.")."""
    cleaned = {}
    errors = {}
    for name, value in values.items():
        if name in VARIANT_INT_FIELDS:
            try:
                number = int(value if value not in (None, "") else 0)
                if isinstance(value, float) or (
                    isinstance(value, str) and not re.fullmatch(r"\s*-?\d+\s*", value)
                ):
                    raise ValueError
            except (TypeError, ValueError):
                errors[prefix + name] = _("Enter a whole number.")
                continue
            if number < 0:
                errors[prefix + name] = _("Enter 0 or more.")
            elif number > MAX_PRICE:
                errors[prefix + name] = _("This number is too large.")
            cleaned[name] = number
        elif name == "vat_rate":
            rate = str(value if value is not None else "").strip().rstrip("%").strip()
            if rate not in VatRate.values:
                errors[prefix + name] = _("Choose one of: %(choices)s.") % {
                    "choices": ", ".join(VatRate.values)
                }
            cleaned[name] = rate
        elif name == "barcode":
            barcode = (value or "").strip()
            if len(barcode) > 64:
                errors[prefix + name] = _("Use at most 64 characters.")
            cleaned[name] = barcode
        elif name == "is_active":
            cleaned[name] = bool(value)
        elif name == "sku":
            try:
                cleaned[name] = _check_sku(value, prefix + name)
            except ValidationFailed as exc:
                errors.update(exc.fields)
    if errors:
        raise ValidationFailed(_("Some values are not valid."), fields=errors)
    return cleaned


def _clean_specifications(specifications) -> list[dict]:
    result = []
    for item in specifications or []:
        if isinstance(item, dict):
            name, value = item.get("name", ""), item.get("value", "")
        else:
            name, value = item
        name, value = str(name or "").strip(), str(value or "").strip()
        if name or value:
            if not name:
                raise ValidationFailed(
                    _("Each specification needs a name."),
                    fields={"specifications": _("Write each line as Name: value.")},
                )
            result.append({"name": name[:120], "value": value[:500]})
    return result


def _clean_video_urls(urls) -> list[str]:
    validate = URLValidator(schemes=["http", "https"])
    result = []
    for url in urls or []:
        url = (url or "").strip()
        if not url:
            continue
        try:
            validate(url)
        except DjangoValidationError as exc:
            raise ValidationFailed(
                _("“%(url)s” is not a valid link.") % {"url": url[:100]},
                fields={"video_urls": _("Enter full links starting with https://")},
            ) from exc
        result.append(url)
    return result


def _check_product_sku_free(sku: str, exclude_pk=None) -> None:
    clash = Product.objects.filter(sku__iexact=sku)
    if exclude_pk:
        clash = clash.exclude(pk=exclude_pk)
    if clash.exists():
        raise Conflict(
            _("Another product already has the SKU %(sku)s.") % {"sku": sku},
            fields={"sku": _("This SKU is already used.")},
            code="duplicate_sku",
        )


def _check_variant_skus_free(skus: dict[str, str], exclude_pks=()) -> None:
    """`skus` maps an error field name to a SKU; raises Conflict on the first duplicate."""
    seen: dict[str, str] = {}
    for field_name, sku in skus.items():
        key = sku.lower()
        if key in seen:
            raise Conflict(
                _("The SKU %(sku)s is used twice.") % {"sku": sku},
                fields={field_name: _("This SKU is already used.")},
                code="duplicate_sku",
            )
        seen[key] = field_name
    if not seen:
        return
    taken = (
        Variant.objects.exclude(pk__in=list(exclude_pks))
        .annotate(sku_lower=Lower("sku"))
        .filter(sku_lower__in=list(seen))
        .values_list("sku", flat=True)
        .first()
    )
    if taken:
        field_name = seen[taken.lower()]
        raise Conflict(
            _("Another variant already has the SKU %(sku)s.") % {"sku": taken},
            fields={field_name: _("This SKU is already used.")},
            code="duplicate_sku",
        )


def _variant_search(variant: Variant, product: Product) -> str:
    return search_key(
        product.name,
        variant.sku,
        variant.barcode,
        variant.option1,
        variant.option2,
        variant.option3,
    )


def _refresh_product_search(product: Product) -> None:
    product.search_text = search_key(
        product.name, product.sku, product.brand.name if product.brand_id else ""
    )
    Product.objects.filter(pk=product.pk).update(search_text=product.search_text)
    for variant in product.variants.all():
        text = _variant_search(variant, product)
        if text != variant.search_text:
            Variant.objects.filter(pk=variant.pk).update(search_text=text)


def _conflict_from_integrity(exc: IntegrityError) -> Conflict:
    return Conflict(
        _("A SKU you entered was just taken by someone else. Choose another one."),
        fields={"sku": _("This SKU is already used.")},
        code="duplicate_sku",
    )


# --- products -------------------------------------------------------------

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
    name = (name or "").strip()
    if not name:
        raise ValidationFailed(
            _("Enter the product name."), fields={"name": _("This field is required.")}
        )
    if len(name) > 255:
        raise ValidationFailed(
            _("The name is too long."), fields={"name": _("Use at most 255 characters.")}
        )
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
            from donhang.inventory.services import stock_initial_post

            stock_initial_post(variant=variant, quantities=quantities, actor=actor)
    audit(
        actor=actor,
        action="product.create",
        obj=product,
        summary=f"{sku} {name}",
        data={"variants": [v.sku for v in created]},
    )
    return product


def _require_price(actor) -> None:
    if not _allowed(actor, "catalog.change_price"):
        raise PermissionDenied(
            _("Your role may not change prices (catalog.change_price)."),
            fields={"sale_price": _("You may not change prices.")},
        )


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
        name = (changes["name"] or "").strip()
        if not name:
            raise ValidationFailed(
                _("Enter the product name."), fields={"name": _("This field is required.")}
            )
        product.name = name[:255]
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
def variant_update(*, variant: Variant, actor=None, **changes) -> Variant:
    """Change variant fields (VARIANT_EDITABLE_FIELDS). Price fields need catalog.change_price;
    unchanged prices sent back by a form are not a change."""
    _require(actor, "catalog.change_product")
    unknown = set(changes) - set(VARIANT_EDITABLE_FIELDS)
    if unknown:
        raise ValidationFailed(
            _("Unknown fields."), fields={f: _("Unknown field.") for f in sorted(unknown)}
        )
    cleaned = _clean_variant_values(changes)
    changed = {k: v for k, v in cleaned.items() if getattr(variant, k) != v}
    price_changes = [k for k in PRICE_FIELDS if k in changed]
    if price_changes and not _allowed(actor, "catalog.change_price"):
        raise PermissionDenied(
            _("Your role may not change prices (catalog.change_price)."),
            fields={k: _("You may not change prices.") for k in price_changes},
        )
    if not changed:
        return variant
    if "sku" in changed:
        _check_variant_skus_free({"sku": changed["sku"]}, exclude_pks=[variant.pk])
    before = {k: getattr(variant, k) for k in changed}
    for key, value in changed.items():
        setattr(variant, key, value)
    variant.search_text = _variant_search(variant, variant.product)
    try:
        with transaction.atomic():
            variant.save()
    except IntegrityError as exc:
        raise _conflict_from_integrity(exc) from exc
    audit(
        actor=actor,
        action="variant.update",
        obj=variant,
        summary=variant.sku,
        data={"before": before, "after": changed},
    )
    return variant


@transaction.atomic
def product_variants_update(
    *, product: Product, changes: dict[int, dict], actor=None
) -> list[Variant]:
    """Edit several variants of one product at once (the variant table). All or nothing;
    errors name fields as variants.<variant id>.<field>."""
    variants = {v.pk: v for v in product.variants.all()}
    skus = {}
    for variant_id, values in changes.items():
        if variant_id not in variants:
            raise NotFound(_("This variant does not belong to the product."))
        if "sku" in values:
            skus[f"variants.{variant_id}.sku"] = _check_sku(
                values["sku"], f"variants.{variant_id}.sku"
            )
    # Swapping SKUs between two variants of the product is allowed; clashes elsewhere are not.
    _check_variant_skus_free(skus, exclude_pks=[pk for pk in variants if pk in changes])
    result = []
    for variant_id, values in changes.items():
        try:
            result.append(variant_update(variant=variants[variant_id], actor=actor, **values))
        except (ValidationFailed, Conflict, PermissionDenied) as exc:
            exc.fields = {f"variants.{variant_id}.{k}": v for k, v in exc.fields.items()}
            raise
    return result


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


# --- images ---------------------------------------------------------------


def _thumbnail(image) -> ContentFile:
    from PIL import Image, ImageOps

    image.seek(0)
    with Image.open(image) as img:
        img = ImageOps.exif_transpose(img)
        img.thumbnail((THUMBNAIL_SIZE, THUMBNAIL_SIZE))
        if img.mode not in ("RGB", "L"):
            background = Image.new("RGB", img.size, (255, 255, 255))
            converted = img.convert("RGBA")
            background.paste(converted, mask=converted.split()[-1])
            img = background
        out = BytesIO()
        img.convert("RGB").save(out, format="JPEG", quality=85)
    return ContentFile(out.getvalue())


@transaction.atomic
def product_image_add(*, product: Product, file, alt_text: str = "", actor=None) -> ProductImage:
    """Store an uploaded image and a 300 px JPEG thumbnail of it."""
    _require(actor, "catalog.change_product")
    from PIL import Image, UnidentifiedImageError

    try:
        file.seek(0)
        with Image.open(file) as img:
            img.verify()
        thumb = _thumbnail(file)
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as exc:
        raise ValidationFailed(
            _("“%(name)s” is not an image we can read. Upload a JPEG, PNG or WebP file.")
            % {"name": getattr(file, "name", "")},
            fields={"images": _("Not a readable image.")},
        ) from exc
    file.seek(0)
    position = (product.images.aggregate(m=Max("position"))["m"] or 0) + 1
    image = ProductImage(product=product, position=position, alt_text=alt_text[:255])
    name = PurePath(getattr(file, "name", "image")).name or "image"
    image.image.save(name, file, save=False)
    image.thumbnail.save(f"thumb_{PurePath(name).stem}.jpg", thumb, save=False)
    image.save()
    audit(actor=actor, action="product.image_add", obj=product, summary=name)
    return image


@transaction.atomic
def product_image_delete(*, image: ProductImage, actor=None) -> None:
    _require(actor, "catalog.change_product")
    product = image.product
    files = [image.image, image.thumbnail]
    image.delete()
    for stored in files:
        if stored:
            name, storage = stored.name, stored.storage
            transaction.on_commit(lambda n=name, s=storage: s.delete(n))
    audit(actor=actor, action="product.image_delete", obj=product, summary=str(files[0]))


@transaction.atomic
def product_image_move(*, image: ProductImage, offset: int, actor=None) -> None:
    """Move an image one step earlier (-1) or later (+1); the first image is the cover."""
    _require(actor, "catalog.change_product")
    images = list(image.product.images.all())
    index = next(i for i, img in enumerate(images) if img.pk == image.pk)
    target = min(max(index + offset, 0), len(images) - 1)
    images.insert(target, images.pop(index))
    for position, img in enumerate(images, start=1):
        if img.position != position:
            ProductImage.objects.filter(pk=img.pk).update(position=position)
