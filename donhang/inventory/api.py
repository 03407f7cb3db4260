"""Warehouses over the API: /api/v1/warehouses."""

from __future__ import annotations

from datetime import datetime

from ninja import Field, Query, Router, Schema, Status

from donhang.core.errors import DomainError
from donhang.inventory import selectors, services
from donhang.inventory.models import Warehouse

router = Router(tags=["warehouses"])


class AddressIn(Schema):
    line: str = Field("", max_length=255, description="House number, street, building.")
    province: int | None = Field(None, description="Province code (GET /provinces).")
    ward: int | None = Field(
        None, description="Ward code (GET /provinces/{code}/wards); must be in the province."
    )


class AddressOut(Schema):
    line: str
    province: int | None
    province_name: str | None
    ward: int | None
    ward_name: str | None


class WarehouseOut(Schema):
    code: str
    name: str
    kind: Warehouse.Kind
    address: AddressOut
    contact_name: str
    phone: str = Field(description="E.164, for example +84912345678; empty if none.")
    is_active: bool
    allow_negative_stock: bool
    priority: int
    on_hand: int = Field(description="Units on hand over all variants.")
    reserved: int
    available: int
    created_at: datetime
    updated_at: datetime


class WarehouseCreateIn(Schema):
    code: str = Field(..., min_length=1, max_length=20, examples=["HN"])
    name: str = Field(..., min_length=1, max_length=120)
    kind: Warehouse.Kind = Warehouse.Kind.BRANCH
    address: AddressIn | None = None
    contact_name: str = Field("", max_length=120)
    phone: str = Field("", max_length=32, description="Any common format; stored as E.164.")
    is_active: bool = True
    allow_negative_stock: bool = False
    priority: int = Field(100, ge=0, le=32767, description="Lower ships first.")


class WarehousePatchIn(Schema):
    """Only the fields sent change. `address` fields too: send `{"ward": 70}` alone to move
    within the same province."""

    code: str | None = Field(None, min_length=1, max_length=20)
    name: str | None = Field(None, min_length=1, max_length=120)
    kind: Warehouse.Kind | None = None
    address: AddressIn | None = None
    contact_name: str | None = Field(None, max_length=120)
    phone: str | None = Field(None, max_length=32)
    is_active: bool | None = None
    allow_negative_stock: bool | None = None
    priority: int | None = Field(None, ge=0, le=32767)


class WarehouseListQuery(Schema):
    active: bool | None = Field(None, description="Only active (true) or inactive (false) ones.")


def _out(warehouse: Warehouse) -> dict:
    return {
        "code": warehouse.code,
        "name": warehouse.name,
        "kind": warehouse.kind,
        "address": {
            "line": warehouse.address_line,
            "province": warehouse.province_id,
            "province_name": warehouse.province.name if warehouse.province_id else None,
            "ward": warehouse.ward_id,
            "ward_name": warehouse.ward.name if warehouse.ward_id else None,
        },
        "contact_name": warehouse.contact_name,
        "phone": warehouse.phone,
        "is_active": warehouse.is_active,
        "allow_negative_stock": warehouse.allow_negative_stock,
        "priority": warehouse.priority,
        "on_hand": warehouse.total_on_hand,
        "reserved": warehouse.total_reserved,
        "available": warehouse.total_available,
        "created_at": warehouse.created_at,
        "updated_at": warehouse.updated_at,
    }


_ADDRESS_FIELDS = {
    "province": "address.province",
    "ward": "address.ward",
    "address_line": "address.line",
}


def _as_sent(error: DomainError) -> DomainError:
    """Name the fields as the client sent them (address.ward, not ward)."""
    error.fields = {_ADDRESS_FIELDS.get(k, k): v for k, v in error.fields.items()}
    return error


def _address_arguments(address: dict | None) -> dict:
    if address is None:
        return {}
    names = {"line": "address_line", "province": "province", "ward": "ward"}
    return {names[key]: value for key, value in address.items()}


@router.get("/warehouses", response=list[WarehouseOut], summary="List warehouses")
def warehouse_list(request, query: Query[WarehouseListQuery]):
    request.principal.require("inventory.view_warehouse")
    return [_out(w) for w in selectors.warehouse_list(active=query.active)]


@router.get("/warehouses/{code}", response=WarehouseOut, summary="Get a warehouse")
def warehouse_get(request, code: str):
    request.principal.require("inventory.view_warehouse")
    return _out(selectors.warehouse_get(code=code))


@router.post(
    "/warehouses",
    response={201: WarehouseOut},
    summary="Create a warehouse",
    description="409 when the code is taken; 422 when a field is invalid, for example a ward "
    "that is not in the province.",
)
def warehouse_create(request, payload: WarehouseCreateIn):
    request.principal.require("inventory.add_warehouse")
    data = payload.dict(exclude={"address"})
    try:
        warehouse = services.warehouse_create(
            **data,
            **_address_arguments(payload.address.dict() if payload.address else None),
            actor=request.principal,
        )
    except DomainError as error:
        raise _as_sent(error) from None
    return Status(201, _out(selectors.warehouse_get(code=warehouse.code)))


@router.patch(
    "/warehouses/{code}",
    response=WarehouseOut,
    summary="Change a warehouse",
    description="Only the fields sent change. Deactivating (`is_active: false`) a warehouse "
    "that still holds stock or reservations is refused with 409.",
)
def warehouse_update(request, code: str, payload: WarehousePatchIn):
    request.principal.require("inventory.change_warehouse")
    warehouse = selectors.warehouse_get(code=code)
    data = payload.dict(exclude_unset=True)
    address = data.pop("address", None)
    # null means "leave as it is" for fields that cannot be empty.
    data = {key: value for key, value in data.items() if value is not None}
    try:
        warehouse = services.warehouse_update(
            warehouse=warehouse, **data, **_address_arguments(address), actor=request.principal
        )
    except DomainError as error:
        raise _as_sent(error) from None
    return _out(selectors.warehouse_get(code=warehouse.code))
