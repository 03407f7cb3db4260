"""Reads of Vietnam's administrative units (34 provinces, 3,321 wards since 1 July 2025) and of
customers (the CRM list, profile and duplicates)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from django.core.paginator import Page, Paginator
from django.db.models import (
    Count,
    QuerySet,
    Value,
)
from django.db.models.functions import Replace
from django.utils.translation import gettext as _

from donhang.core import hooks
from donhang.core.errors import NotFound, ValidationFailed
from donhang.core.phone import normalize_phone
from donhang.core.text import fold, plain_int
from donhang.customers.models import Customer, CustomerAddress, Province, Ward


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
        code = plain_int(value)
        return Province.objects.filter(code=code).first() if code is not None else None
    key = fold(str(value))
    for prefix in ("thanh pho ", "tp. ", "tp ", "tinh "):
        key = key.removeprefix(prefix)
    exact = Province.objects.filter(search_name__in=[key, f"thanh pho {key}"]).first()
    return exact or Province.objects.filter(search_name__endswith=key).order_by("code").first()


# Wards (with their province) by code, as read once per process: the administrative units are
# the government's list, loaded by a migration and never edited (the admin is read-only). A copy
# is handed out, so a caller's change never reaches the next one.
_wards_by_code: dict[int, Ward] = {}


def _ward_by_code(code: int) -> Ward | None:
    ward = _wards_by_code.get(code)
    if ward is None:
        ward = Ward.objects.select_related("province").filter(code=code).first()
        if ward is None:
            return None
        _wards_by_code[code] = ward
    copy = _clone(ward)
    Ward._meta.get_field("province").set_cached_value(copy, _clone(ward.province))
    return copy


def _clone(obj):
    return type(obj).from_db(
        obj._state.db, None, [getattr(obj, f.attname) for f in obj._meta.concrete_fields]
    )


def ward_find(value, *, province: Province | None = None) -> Ward | None:
    """A ward by code, or by exact name within the province (names repeat across provinces)."""
    if value is None or value == "":
        return None
    if isinstance(value, int) or str(value).strip().isdigit():
        code = plain_int(value)
        if code is None:
            return None
        return _ward_by_code(code)
    wards = Ward.objects.select_related("province").filter(search_name=fold(str(value)))
    if province is not None:
        wards = wards.filter(province=province)
    matches = list(wards[:2])
    return matches[0] if len(matches) == 1 else None


def customer_find_by_phone(*, phone: str):
    return Customer.objects.filter(phone=phone, merged_into__isnull=True).order_by("id").first()


# --- customers (the CRM) ---------------------------------------------------------------------

CUSTOMER_PAGE_SIZE = 50
_PHONE_LIKE = re.compile(r"^[\d\s.\-()+]{6,24}$")


def customer_with_totals(customers: QuerySet[Customer]) -> QuerySet[Customer]:
    """Annotate `orders_count`, `total_spent` and `returns_count` (provided by donhang.orders,
    which builds on customers, through the hook ``customer.annotate_totals``: one correlated
    subquery each, so a page of customers stays one query however many rows it has)."""
    annotated = hooks.first("customer.annotate_totals", customers=customers)
    if annotated is None:
        return customers.annotate(
            orders_count=Value(0), total_spent=Value(0), returns_count=Value(0)
        )
    return annotated


def _search(customers: QuerySet[Customer], q: str) -> QuerySet[Customer]:
    """Phone in any format ("0912 345 678", "+84912345678", "84912345678"), part of a phone,
    name without diacritics ("nguyen van an") or email."""
    q = (q or "").strip()
    if not q:
        return customers
    digits = re.sub(r"\D", "", q)
    if _PHONE_LIKE.match(q) and len(digits) >= 3:
        try:
            phone = normalize_phone(q)
        except ValidationFailed:
            phone = ""
        if phone and len(digits) >= 9:
            return customers.filter(phone=phone)
        # A piece of a number: search_text holds the national form (0912345678).
        if q.lstrip("( ").startswith("+84"):
            digits = "0" + digits[2:]
        return customers.filter(search_text__contains=digits)
    for word in fold(q).split():
        customers = customers.filter(search_text__contains=word)
    return customers


def shared_phones() -> QuerySet:
    """Phones held by more than one customer that has not been merged away."""
    return (
        Customer.objects.filter(merged_into__isnull=True)
        .exclude(phone="")
        .values("phone")
        .annotate(n=Count("pk"))
        .filter(n__gt=1)
        .values("phone")
    )


def customer_list(*, q: str = "", duplicates: bool = False) -> QuerySet[Customer]:
    """Customers not merged away, newest first, with their totals; `duplicates` keeps only those
    whose phone another customer shares, grouped by phone."""
    customers = customer_with_totals(_search(Customer.objects.filter(merged_into__isnull=True), q))
    if duplicates:
        return customers.filter(phone__in=shared_phones()).order_by("phone", "id")
    return customers.order_by("-id")


@dataclass
class CustomerListPage:
    page_obj: Page
    q: str
    duplicates: bool


def customer_list_page(
    *, q: str = "", duplicates: bool = False, page: str | int | None = None
) -> CustomerListPage:
    """One page of the customer list: a count and one query for the rows."""
    customers = customer_list(q=q, duplicates=duplicates)
    page_obj = Paginator(customers, CUSTOMER_PAGE_SIZE).get_page(page)
    return CustomerListPage(page_obj=page_obj, q=q, duplicates=duplicates)


def customer_get(*, pk: int) -> Customer:
    """One customer with totals; NotFound otherwise (merged ones too, with `merged_into`)."""
    customer = customer_with_totals(Customer.objects.filter(pk=pk)).first()
    if customer is None:
        raise NotFound(
            _("There is no customer %(id)s.") % {"id": pk},
            fields={"id": _("Unknown customer.")},
        )
    return customer


def customer_kept_id(*, customer: Customer) -> int:
    """Follow `merged_into` to the customer that is kept (a kept one may be merged later)."""
    seen = {customer.pk}
    target = customer.merged_into_id
    current = customer.pk
    while target and target not in seen:
        seen.add(target)
        current = target
        target = Customer.objects.filter(pk=target).values_list("merged_into", flat=True).first()
    return current


def customer_duplicates(*, customer: Customer) -> list[Customer]:
    """Other customers, not merged away, with the same phone; with their totals."""
    if not customer.phone:
        return []
    return list(
        customer_with_totals(
            Customer.objects.filter(phone=customer.phone, merged_into__isnull=True).exclude(
                pk=customer.pk
            )
        ).order_by("id")
    )


def customer_addresses(*, customer: Customer) -> list[CustomerAddress]:
    return list(
        CustomerAddress.objects.filter(customer=customer).select_related("province", "ward")
    )


@dataclass
class CustomerProfile:
    customer: Customer
    kept_id: int | None = None  # set when the customer was merged into another one
    addresses: list[CustomerAddress] = field(default_factory=list)
    duplicates: list[Customer] = field(default_factory=list)
    orders: object = None  # donhang.orders.selectors.OrderPage


def customer_profile(
    *, pk: int, after: int | None = None, before: int | None = None, order_limit: int = 50
) -> CustomerProfile:
    """The profile page: the customer with totals, addresses, same-phone customers and every
    order from every channel (newest first, keyset pages, provided by donhang.orders through the
    hook ``customer.orders_page``). A merged customer only says which one was kept. A fixed
    number of queries."""
    customer = customer_get(pk=pk)
    if customer.merged_into_id:
        return CustomerProfile(customer=customer, kept_id=customer_kept_id(customer=customer))
    orders = hooks.first(
        "customer.orders_page", customer=customer, after=after, before=before, limit=order_limit
    )
    return CustomerProfile(
        customer=customer,
        addresses=customer_addresses(customer=customer),
        duplicates=customer_duplicates(customer=customer),
        orders=orders,
    )


def customer_merge_candidates(*, customer: Customer) -> list[Customer]:
    """The customer and every other unmerged customer with its phone, oldest first."""
    return sorted([customer, *customer_duplicates(customer=customer)], key=lambda c: c.pk)


def customer_recent_orders(*, customer: Customer, limit: int = 10) -> list:
    page = hooks.first(
        "customer.orders_page", customer=customer, after=None, before=None, limit=limit
    )
    return page.orders if page is not None else []
