"""Reads of Vietnam's administrative units (34 provinces, 3,321 wards since 1 July 2025)."""

from __future__ import annotations

from django.db.models import QuerySet, Value
from django.db.models.functions import Replace
from django.utils.translation import gettext as _

from donhang.core.errors import NotFound, ValidationFailed
from donhang.core.text import fold
from donhang.customers.models import Province, Ward


def province_list(*, search: str = "") -> QuerySet[Province]:
    """Provinces in alphabetical order of their proper name ("Thành phố Hồ Chí Minh" under H)."""
    provinces = Province.objects.annotate(
        sort_key=Replace("search_name", Value("thanh pho "), Value(""))
    ).order_by("sort_key", "code")
    if key := fold(search):
        provinces = provinces.filter(search_name__contains=key)
    return provinces


def province_get(*, code: int) -> Province:
    province = Province.objects.filter(code=code).first()
    if province is None:
        raise NotFound(
            _("There is no province with code %(code)s.") % {"code": code},
            fields={"province": _("Unknown province code.")},
        )
    return province


def ward_list(*, province_code: int, search: str = "") -> QuerySet[Ward]:
    """Wards of one province, searchable without diacritics ("hoan kiem" finds Hoàn Kiếm)."""
    wards = Ward.objects.filter(province_id=province_code).order_by("search_name", "code")
    if key := fold(search):
        wards = wards.filter(search_name__contains=key)
    return wards


def _as_code(value, *, field: str) -> int | None:
    if value is None or value == "":
        return None
    if isinstance(value, Province | Ward):
        return value.code
    try:
        return int(value)
    except (TypeError, ValueError):
        raise ValidationFailed(
            _("Codes of provinces and wards are numbers."),
            fields={field: _("Enter the numeric code.")},
        ) from None


def address_units_resolve(*, province, ward) -> tuple[Province | None, Ward | None]:
    """Check a (province, ward) pair given as rows or codes; return the rows.

    A ward without a province takes the ward's province. A ward of another province, or an
    unknown code, raises ValidationFailed naming `province` or `ward`.
    """
    province_code = _as_code(province, field="province")
    ward_code = _as_code(ward, field="ward")
    province_row = ward_row = None
    if province_code is not None:
        province_row = Province.objects.filter(code=province_code).first()
        if province_row is None:
            raise ValidationFailed(
                _("There is no province with code %(code)s.") % {"code": province_code},
                fields={"province": _("Unknown province code.")},
            )
    if ward_code is not None:
        ward_row = Ward.objects.select_related("province").filter(code=ward_code).first()
        if ward_row is None:
            raise ValidationFailed(
                _("There is no ward with code %(code)s.") % {"code": ward_code},
                fields={"ward": _("Unknown ward code.")},
            )
        if province_row is None:
            province_row = ward_row.province
        elif ward_row.province_id != province_row.code:
            reason = _("%(ward)s is not in %(province)s. Choose a ward of that province.") % {
                "ward": ward_row.name,
                "province": province_row.name,
            }
            raise ValidationFailed(reason, fields={"ward": reason})
    return province_row, ward_row


def province_find(value) -> Province | None:
    """A province by code or by name as people and marketplaces write it ("TP. Hồ Chí Minh",
    "Hà Nội", "Thành phố Hà Nội", "79")."""
    if value is None or value == "":
        return None
    if isinstance(value, int) or str(value).strip().isdigit():
        return Province.objects.filter(code=int(value)).first()
    key = fold(str(value))
    for prefix in ("thanh pho ", "tp. ", "tp ", "tinh "):
        key = key.removeprefix(prefix)
    exact = Province.objects.filter(search_name__in=[key, f"thanh pho {key}"]).first()
    return exact or Province.objects.filter(search_name__endswith=key).order_by("code").first()


def ward_find(value, *, province: Province | None = None) -> Ward | None:
    """A ward by code, or by exact name within the province (names repeat across provinces)."""
    if value is None or value == "":
        return None
    if isinstance(value, int) or str(value).strip().isdigit():
        return Ward.objects.select_related("province").filter(code=int(value)).first()
    wards = Ward.objects.select_related("province").filter(search_name=fold(str(value)))
    if province is not None:
        wards = wards.filter(province=province)
    matches = list(wards[:2])
    return matches[0] if len(matches) == 1 else None


def customer_find_by_phone(*, phone: str):
    from donhang.customers.models import Customer

    return Customer.objects.filter(phone=phone, merged_into__isnull=True).order_by("id").first()
