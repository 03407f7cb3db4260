"""Editing variants: SKU, barcode, logistics, prices (prices need catalog.change_price)."""

from __future__ import annotations

from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from donhang.catalog.models import (
    Product,
    Variant,
)
from donhang.catalog.services._common import (
    PRICE_FIELDS,
    VARIANT_EDITABLE_FIELDS,
    _allowed,
    _check_sku,
    _check_variant_skus_free,
    _clean_variant_values,
    _conflict_from_integrity,
    _require,
    _variant_search,
)
from donhang.core.audit import audit
from donhang.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed


@transaction.atomic
def variant_update(*, variant: Variant, actor=None, **changes) -> Variant:
    """Change variant fields (VARIANT_EDITABLE_FIELDS). Price fields need catalog.change_price;
    unchanged prices sent back by a form are not a change. A cost price, even an unchanged one,
    needs catalog.view_cost: otherwise "same value: saved, other value: refused" would tell a
    role that may not see costs what the cost is."""
    _require(actor, "catalog.change_product")
    unknown = set(changes) - set(VARIANT_EDITABLE_FIELDS)
    if unknown:
        raise ValidationFailed(
            _("Unknown fields."), fields={f: _("Unknown field.") for f in sorted(unknown)}
        )
    if "cost_price" in changes and not _allowed(actor, "catalog.view_cost"):
        raise PermissionDenied(
            _("Your role may not see or change cost prices (catalog.view_cost)."),
            fields={"cost_price": _("You may not change cost prices.")},
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
