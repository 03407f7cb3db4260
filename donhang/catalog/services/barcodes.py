"""Barcodes for variants that have none.

Which kind a shop gets (settings, read when used):
- ``BARCODE_GS1_PREFIX`` set (the shop's GS1 Vietnam company prefix, 893…, 7–10 digits): EAN-13
  under that prefix, the item reference counting up from the highest one already given;
- else ``BARCODE_FALLBACK`` = "ean13" (default): an in-store EAN-13 (prefix 20–29, reserved by
  GS1 for numbers used inside one shop; ``BARCODE_IN_STORE_PREFIX``, default "20");
- else ``BARCODE_FALLBACK`` = "code128": the SKU itself, printed as Code 128.
A variant that has a barcode keeps it. Numbers are given under a lock, so two people asking at
once never get the same one.
"""

from __future__ import annotations

import re

from django.conf import settings
from django.db import connection, transaction
from django.utils.translation import gettext as _

from donhang.catalog.models import Variant
from donhang.catalog.services._common import _require, _variant_search
from donhang.core.audit import audit
from donhang.core.errors import ValidationFailed

EAN13 = "ean13"
CODE128 = "code128"
_DIGITS = re.compile(r"^\d+$")
# Any number of this project's: one lock for every barcode numbering (PostgreSQL advisory lock).
_LOCK_KEY = 0x44_48_42_43  # "DHBC"


def ean13_check_digit(first12: str) -> str:
    """The GS1 check digit of 12 digits."""
    if len(first12) != 12 or not _DIGITS.match(first12):
        raise ValueError("12 digits expected")
    total = sum(int(d) * (3 if i % 2 else 1) for i, d in enumerate(first12))
    return str((10 - total % 10) % 10)


def is_ean13(code: str) -> bool:
    return (
        len(code or "") == 13
        and bool(_DIGITS.match(code))
        and code[-1] == ean13_check_digit(code[:12])
    )


def barcode_symbology(code: str) -> str:
    """How a code is printed: a valid EAN-13 as EAN-13, anything else as Code 128."""
    return EAN13 if is_ean13(code) else CODE128


def _prefix() -> tuple[str, str]:
    """(kind, prefix) of the numbers this shop gives: ("gs1", "893…"), ("in_store", "20") or
    ("code128", "")."""
    gs1 = str(getattr(settings, "BARCODE_GS1_PREFIX", "") or "").strip()
    if gs1:
        if not (_DIGITS.match(gs1) and 7 <= len(gs1) <= 10):
            raise ValidationFailed(
                _("The GS1 company prefix setting is not valid."),
                fields={
                    "BARCODE_GS1_PREFIX": _("7 to 10 digits, as GS1 Vietnam gave them (893…).")
                },
            )
        return "gs1", gs1
    fallback = str(getattr(settings, "BARCODE_FALLBACK", EAN13) or EAN13).strip().lower()
    if fallback == CODE128:
        return CODE128, ""
    in_store = str(getattr(settings, "BARCODE_IN_STORE_PREFIX", "20") or "20").strip()
    if not (_DIGITS.match(in_store) and len(in_store) in (2, 3) and 20 <= int(in_store[:2]) <= 29):
        raise ValidationFailed(
            _("The in-store barcode prefix setting is not valid."),
            fields={"BARCODE_IN_STORE_PREFIX": _("Two or three digits starting 20 to 29.")},
        )
    return "in_store", in_store


def _lock_numbering() -> None:
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [_LOCK_KEY])
    # SQLite: the IMMEDIATE transaction already serialises writers.


def _next_numbers(prefix: str, count: int) -> list[str]:
    """`count` unused EAN-13 codes under prefix, after the highest one already given."""
    width = 12 - len(prefix)
    highest = 0
    for code in Variant.objects.filter(barcode__startswith=prefix).values_list(
        "barcode", flat=True
    ):
        if is_ean13(code):
            highest = max(highest, int(code[len(prefix) : 12]))
    if highest + count >= 10**width:
        raise ValidationFailed(
            _("No barcode numbers are left under this prefix."),
            fields={"barcode": _("Ask GS1 Vietnam for a longer prefix range, or use Code 128.")},
        )
    codes = []
    for n in range(highest + 1, highest + 1 + count):
        first12 = prefix + str(n).zfill(width)
        codes.append(first12 + ean13_check_digit(first12))
    return codes


@transaction.atomic
def variant_barcodes_assign(*, variant_ids: list[int] | None = None, actor=None) -> list[Variant]:
    """Give a barcode to each of these variants (every active variant when None) that has none.
    Returns the variants that got one."""
    _require(actor, "catalog.change_product")
    kind, prefix = _prefix()
    _lock_numbering()
    qs = Variant.objects.select_for_update().filter(barcode="").select_related("product")
    if variant_ids is not None:
        qs = qs.filter(pk__in=list(variant_ids))
    else:
        qs = qs.filter(is_active=True)
    variants = list(qs.order_by("product_id", "position", "id"))
    if not variants:
        return []
    if kind == CODE128:
        # The SKU as Code 128 when it is plain ASCII; otherwise an in-store EAN-13.
        ascii_skus = [v for v in variants if all(32 <= ord(ch) < 127 for ch in v.sku)]
        others = [v for v in variants if v not in ascii_skus]
        numbers = iter(_next_numbers("20", len(others)) if others else [])
        codes = [v.sku if v in ascii_skus else next(numbers) for v in variants]
    else:
        codes = _next_numbers(prefix, len(variants))
    for variant, code in zip(variants, codes, strict=True):
        variant.barcode = code
        variant.search_text = _variant_search(variant, variant.product)
    Variant.objects.bulk_update(variants, ["barcode", "search_text"])
    audit(
        actor=actor,
        action="variant.barcodes_assign",
        obj=variants[0].product,
        summary=_("%(n)s barcodes given") % {"n": len(variants)},
        data={"kind": kind, "barcodes": {v.sku: v.barcode for v in variants}},
    )
    return variants
