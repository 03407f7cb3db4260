"""Shared pieces of the catalog services: permissions, attribute and variant checks,
SKU uniqueness, search keys."""

from __future__ import annotations

import itertools
import re
import unicodedata
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.validators import URLValidator
from django.db import IntegrityError
from django.db.models.functions import Lower
from django.utils.translation import gettext as _

from donhang.catalog.models import (
    MAX_ATTRIBUTES,
    Product,
    Variant,
)
from donhang.core.errors import Conflict, PermissionDenied, ValidationFailed
from donhang.core.money import VatRate
from donhang.core.permissions import actor_allowed, require_perm
from donhang.core.text import code_normalize, code_problem, fold, name_problem, search_key

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


def _check_sku(value, field_name: str) -> str:
    sku = code_normalize(value)
    if not sku:
        raise ValidationFailed(_("Enter a SKU."), fields={field_name: _("This field is required.")})
    if code_problem(sku):
        raise ValidationFailed(
            _("The SKU contains invisible or control characters."),
            fields={field_name: _("Type the SKU again without hidden characters.")},
        )
    if len(sku) > 64 or re.search(r"\s", sku):
        raise ValidationFailed(
            _("A SKU has at most 64 characters and no spaces."),
            fields={field_name: _("Use at most 64 characters and no spaces.")},
        )
    return sku


def _check_name(value, field_name: str = "name", max_length: int = 255) -> str:
    name = unicodedata.normalize("NFC", str(value or "")).strip()
    problem = name_problem(name)
    if not name or problem == "invisible":
        raise ValidationFailed(
            _("Enter the product name."), fields={field_name: _("This field is required.")}
        )
    if problem == "control":
        raise ValidationFailed(
            _("The name contains control characters."),
            fields={field_name: _("Type the name again without hidden characters.")},
        )
    if len(name) > max_length:
        raise ValidationFailed(
            _("The name is too long."),
            fields={field_name: _("Use at most %(max)s characters.") % {"max": max_length}},
        )
    return name


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
            barcode = code_normalize(value)
            if len(barcode) > 64:
                errors[prefix + name] = _("Use at most 64 characters.")
            elif code_problem(barcode):
                errors[prefix + name] = _("Type the code again without hidden characters.")
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


def _require_price(actor) -> None:
    if not _allowed(actor, "catalog.change_price"):
        raise PermissionDenied(
            _("Your role may not change prices (catalog.change_price)."),
            fields={"sale_price": _("You may not change prices.")},
        )
