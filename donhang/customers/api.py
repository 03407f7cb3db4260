"""Vietnam's administrative units over the API (provinces and their wards, with codes) and the
customers: list, one customer with addresses and orders, create."""

from datetime import datetime

from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.validators import validate_email
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema, Status

from donhang.core.errors import ValidationFailed
from donhang.customers.selectors import (
    customer_addresses,
    customer_get,
    customer_list,
    customer_recent_orders,
    province_get,
    province_list,
    ward_list,
)
from donhang.customers.services import customer_create

router = Router(tags=["addresses"])


class ProvinceOut(Schema):
    code: int
    name: str


class WardOut(Schema):
    code: int
    name: str
    province: int


class SearchQuery(Schema):
    q: str = ""


@router.get(
    "/provinces",
    response=list[ProvinceOut],
    summary="List provinces",
    description="The 34 provinces and cities since 1 July 2025 with official codes; `q` searches "
    "names without diacritics.",
)
def provinces(request, query: Query[SearchQuery]):
    return [{"code": p.code, "name": p.name} for p in province_list(search=query.q)]


@router.get(
    "/provinces/{code}/wards",
    response=list[WardOut],
    summary="List wards of a province",
    description="Wards, communes and special zones of one province with official codes; `q` "
    "searches names without diacritics (`hoan kiem` finds Phường Hoàn Kiếm).",
)
def wards(request, code: int, query: Query[SearchQuery]):
    province = province_get(code=code)
    return [
        {"code": w.code, "name": w.name, "province": w.province_id}
        for w in ward_list(province_code=province.code, search=query.q)
    ]


# --- customers -------------------------------------------------------------------------------


class CustomerListQuery(Schema):
    q: str = Field("", description="Phone in any format, name without diacritics, or email")
    duplicates: bool = Field(
        False, description="Only customers whose phone another (unmerged) customer shares"
    )
    limit: int = Field(50, ge=1, le=200)
    offset: int = Field(0, ge=0, le=1_000_000_000)


class CustomerListItem(Schema):
    id: int
    name: str
    phone: str = Field(description="E.164, for example +84912345678; empty if none")
    email: str
    tags: list[str]
    orders_count: int
    total_spent: int = Field(description="VND: totals of orders not cancelled nor returned")
    returns_count: int
    last_contact_at: datetime | None
    created_at: datetime


class CustomerPage(Schema):
    count: int
    limit: int
    offset: int
    items: list[CustomerListItem]


class CustomerAddressOut(Schema):
    id: int
    recipient_name: str
    phone: str
    line: str
    ward: int
    ward_name: str
    province: int
    province_name: str
    is_default: bool


class CustomerOrderSummary(Schema):
    code: str
    channel: str
    status: str
    total: int
    created_at: datetime


class CustomerOut(CustomerListItem):
    note: str
    merged_into: int | None = Field(description="The customer this one was merged into, if any")
    addresses: list[CustomerAddressOut]
    recent_orders: list[CustomerOrderSummary] = Field(description="The 10 newest orders")


class CustomerIn(Schema):
    name: str = Field(..., min_length=1, max_length=150)
    phone: str = Field("", max_length=32, description="Any common format; stored as E.164")
    email: str = Field("", max_length=254)
    tags: list[str] = Field(default_factory=list)
    note: str = ""


def _customer_item(customer) -> dict:
    return {
        "id": customer.pk,
        "name": customer.name,
        "phone": customer.phone,
        "email": customer.email,
        "tags": list(customer.tags or []),
        "orders_count": customer.orders_count,
        "total_spent": customer.total_spent,
        "returns_count": customer.returns_count,
        "last_contact_at": customer.last_contact_at,
        "created_at": customer.created_at,
    }


def _customer_out(pk: int) -> dict:
    customer = customer_get(pk=pk)
    data = _customer_item(customer)
    data["note"] = customer.note
    data["merged_into"] = customer.merged_into_id
    data["addresses"] = [
        {
            "id": a.pk,
            "recipient_name": a.recipient_name,
            "phone": a.phone,
            "line": a.line,
            "ward": a.ward_id,
            "ward_name": a.ward.name,
            "province": a.province_id,
            "province_name": a.province.name,
            "is_default": a.is_default,
        }
        for a in customer_addresses(customer=customer)
    ]
    data["recent_orders"] = [
        {
            "code": o.code or "",
            "channel": o.channel,
            "status": o.status,
            "total": o.total,
            "created_at": o.created_at,
        }
        for o in customer_recent_orders(customer=customer)
    ]
    return data


@router.get(
    "/customers",
    response=CustomerPage,
    tags=["customers"],
    summary="List customers",
    description="Customers not merged away, newest first (with `duplicates`: grouped by phone), "
    "with their order count, total spent (VND) and returns.",
)
def customers(request, query: Query[CustomerListQuery]):
    request.principal.require("customers.view_customer")
    rows = customer_list(q=query.q, duplicates=query.duplicates)
    return {
        "count": rows.count(),
        "limit": query.limit,
        "offset": query.offset,
        "items": [_customer_item(c) for c in rows[query.offset : query.offset + query.limit]],
    }


@router.get(
    "/customers/{customer_id}",
    response=CustomerOut,
    tags=["customers"],
    summary="One customer",
    description="Contact details, tags, note, addresses and a summary of orders. A merged "
    "customer names the one it was merged into in `merged_into`.",
)
def customer(request, customer_id: int):
    request.principal.require("customers.view_customer")
    return _customer_out(customer_id)


@router.post(
    "/customers",
    response={201: CustomerOut},
    tags=["customers"],
    summary="Create a customer",
    description="422 with `fields` naming `phone`, `email` or `name` when one is not valid.",
)
def customer_create_endpoint(request, payload: CustomerIn):
    request.principal.require("customers.add_customer")
    if payload.email:
        try:
            validate_email(payload.email)
        except DjangoValidationError:
            raise ValidationFailed(
                _("Enter a valid email address."),
                fields={"email": _("Enter a valid email address.")},
            ) from None
    created = customer_create(
        name=payload.name,
        phone=payload.phone,
        email=payload.email,
        tags=payload.tags,
        note=payload.note,
        actor=request.principal,
    )
    return Status(201, _customer_out(created.pk))
