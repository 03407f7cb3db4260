"""Warehouses, transfers and stocktakes over the API: /api/v1/warehouses, /api/v1/transfers,
/api/v1/stocktakes."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema, Status
from pydantic import WithJsonSchema

from donhang.core.errors import DomainError, NotFound, ValidationFailed
from donhang.inventory import selectors, services, stocktakes, transfers
from donhang.inventory.models import Stocktake, Transfer, Warehouse

router = Router(tags=["warehouses"])

# Both models call their choices "Status": by that name alone the OpenAPI schema would publish
# one of the two enums for both. Inline each under its own title.
TransferStatus = Annotated[
    Transfer.Status,
    WithJsonSchema({"title": "TransferStatus", "type": "string", "enum": Transfer.Status.values}),
]
StocktakeStatus = Annotated[
    Stocktake.Status,
    WithJsonSchema({"title": "StocktakeStatus", "type": "string", "enum": Stocktake.Status.values}),
]


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
    returned: int = Field(0, description="Units of returned parcels waiting for inspection.")
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
        "returned": warehouse.total_returned,
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


# --- transfers: /api/v1/transfers --------------------------------------------------------------


class TransferLineIn(Schema):
    sku: str = Field(..., min_length=1, max_length=64, examples=["AO-DEN-M"])
    quantity: int = Field(..., ge=1, le=10_000_000)


class TransferCreateIn(Schema):
    source: str = Field(
        ..., min_length=1, max_length=20, description="Warehouse code the goods leave."
    )
    destination: str = Field(
        ..., min_length=1, max_length=20, description="Warehouse code the goods go to."
    )
    lines: list[TransferLineIn] = Field(
        ..., min_length=1, description="The same SKU twice adds up."
    )
    note: str = Field("", max_length=2000)


class TransferLineOut(Schema):
    sku: str
    product: str
    options: str
    quantity: int = Field(description="Units sent.")
    received: int | None = Field(description="Units that arrived; null until received.")
    discrepancy: int = Field(description="received − quantity; 0 until received.")


class TransferOut(Schema):
    code: str
    status: TransferStatus
    source: str = Field(description="Warehouse code.")
    destination: str = Field(description="Warehouse code.")
    note: str
    discrepancy_note: str
    created_at: datetime
    sent_at: datetime | None
    received_at: datetime | None
    lines: list[TransferLineOut]


class TransferSummaryOut(Schema):
    code: str
    status: TransferStatus
    source: str
    destination: str
    lines: int
    units: int = Field(description="Units sent over all lines.")
    created_at: datetime
    sent_at: datetime | None
    received_at: datetime | None


class TransferPageOut(Schema):
    items: list[TransferSummaryOut]
    next_cursor: int | None = Field(description="Pass as `cursor` for the next (older) page.")


class TransferListQuery(Schema):
    status: TransferStatus | None = None
    cursor: int | None = Field(None, ge=1, le=2**62, description="next_cursor of the previous page")
    limit: int = Field(50, ge=1, le=200)


class TransferReceiveLineIn(Schema):
    sku: str = Field(..., min_length=1, max_length=64)
    received: int = Field(..., ge=0, le=10_000_000)


class TransferReceiveIn(Schema):
    """Lines not listed arrived in full. A difference needs `discrepancy_note`."""

    lines: list[TransferReceiveLineIn] = []
    discrepancy_note: str = Field("", max_length=2000)


def _transfer_out(transfer) -> dict:
    return {
        "code": transfer.code,
        "status": transfer.status,
        "source": transfer.source.code,
        "destination": transfer.destination.code,
        "note": transfer.note,
        "discrepancy_note": transfer.discrepancy_note,
        "created_at": transfer.created_at,
        "sent_at": transfer.sent_at,
        "received_at": transfer.received_at,
        "lines": [
            {
                "sku": line.variant.sku,
                "product": line.variant.product.name,
                "options": line.variant.options_label,
                "quantity": line.quantity,
                "received": line.received_quantity,
                "discrepancy": line.discrepancy,
            }
            for line in transfer.line_list
        ],
    }


def _warehouse_field(field: str, code: str) -> Warehouse:
    """A warehouse named in a request body: unknown → 422 on that field (not 404)."""
    try:
        return selectors.warehouse_get(code=code)
    except NotFound as error:
        raise ValidationFailed(error.message, fields={field: _("Unknown warehouse.")}) from None


def _page(rows: list, limit: int) -> tuple[list, int | None]:
    has_more = len(rows) > limit
    rows = rows[:limit]
    return rows, (rows[-1].pk if rows and has_more else None)


@router.get(
    "/transfers",
    response=TransferPageOut,
    summary="List transfers, newest first",
    tags=["transfers"],
)
def transfer_list(request, query: Query[TransferListQuery]):
    request.principal.require("inventory.view_transfer")
    transfers_qs = selectors.transfer_list(status=query.status or "")
    if query.cursor:
        transfers_qs = transfers_qs.filter(id__lt=query.cursor)
    rows, next_cursor = _page(list(transfers_qs[: query.limit + 1]), query.limit)
    return {
        "items": [
            {
                "code": t.code,
                "status": t.status,
                "source": t.source.code,
                "destination": t.destination.code,
                "lines": t.line_count,
                "units": t.units,
                "created_at": t.created_at,
                "sent_at": t.sent_at,
                "received_at": t.received_at,
            }
            for t in rows
        ],
        "next_cursor": next_cursor,
    }


@router.post(
    "/transfers",
    response={201: TransferOut},
    summary="Create a draft transfer",
    description="Nothing moves yet: stock leaves the source when the transfer is sent. 422 when "
    "a warehouse or SKU is unknown, or source and destination are the same.",
    tags=["transfers"],
)
def transfer_create(request, payload: TransferCreateIn):
    request.principal.require("inventory.add_transfer")
    transfer = transfers.transfer_create(
        source=_warehouse_field("source", payload.source),
        destination=_warehouse_field("destination", payload.destination),
        lines=[
            transfers.TransferLineInput(sku=line.sku, quantity=line.quantity)
            for line in payload.lines
        ],
        note=payload.note,
        actor=request.principal,
    )
    return Status(201, _transfer_out(selectors.transfer_get(code=transfer.code)))


@router.get(
    "/transfers/{code}",
    response=TransferOut,
    summary="One transfer with its lines",
    tags=["transfers"],
)
def transfer_get(request, code: str):
    request.principal.require("inventory.view_transfer")
    return _transfer_out(selectors.transfer_get(code=code))


@router.post(
    "/transfers/{code}/send",
    response=TransferOut,
    summary="Send a draft transfer: the goods leave the source",
    description="409 when the transfer is not a draft, or the source lacks available stock.",
    tags=["transfers"],
)
def transfer_send(request, code: str):
    request.principal.require("inventory.add_transfer")
    transfers.transfer_send(transfer=selectors.transfer_get(code=code), actor=request.principal)
    return _transfer_out(selectors.transfer_get(code=code))


@router.post(
    "/transfers/{code}/receive",
    response=TransferOut,
    summary="Receive a transfer in transit into the destination",
    description="List what arrived per SKU; SKUs not listed arrived in full. When a quantity "
    "differs from what was sent, `discrepancy_note` is required (422 otherwise). 409 when the "
    "transfer is not in transit.",
    tags=["transfers"],
)
def transfer_receive(request, code: str, payload: TransferReceiveIn):
    request.principal.require("inventory.receive_transfer")
    transfer = selectors.transfer_get(code=code)
    line_by_sku = {line.variant.sku.lower(): line.pk for line in transfer.line_list}
    received, errors = {}, {}
    for index, line in enumerate(payload.lines):
        key = services.code_lookup(line.sku)
        line_id = line_by_sku.get(key.lower()) if key else None
        if line_id is None:
            errors[f"lines.{index}.sku"] = _("%(sku)s is not on this transfer.") % {"sku": line.sku}
        else:
            received[line_id] = line.received
    if errors:
        raise ValidationFailed(_("Some lines are not valid."), fields=errors)
    transfers.transfer_receive(
        transfer=transfer,
        received=received,
        discrepancy_note=payload.discrepancy_note,
        actor=request.principal,
    )
    return _transfer_out(selectors.transfer_get(code=code))


# --- stocktakes: /api/v1/stocktakes ------------------------------------------------------------


class StocktakeCreateIn(Schema):
    warehouse: str = Field(..., min_length=1, max_length=20, description="Warehouse code.")
    category: int | None = Field(
        None, description="Category id: count it and its subcategories only; null: everything."
    )
    note: str = Field("", max_length=2000)


class StocktakeLineOut(Schema):
    sku: str
    barcode: str
    product: str
    options: str
    expected: int = Field(
        description="On hand when the line was counted (until then, when the sheet was made)."
    )
    counted: int | None
    counted_at: datetime | None = Field(None, description="When the count was entered.")
    variance: int | None = Field(
        description="counted − expected: what posting writes; null until counted."
    )


class StocktakeSummaryOut(Schema):
    code: str
    status: StocktakeStatus
    warehouse: str = Field(description="Warehouse code.")
    category: int | None
    category_name: str | None
    note: str
    created_at: datetime
    posted_at: datetime | None
    line_count: int
    counted_count: int
    variance_count: int = Field(description="Counted lines whose count differs from expected.")


class StocktakeOut(StocktakeSummaryOut):
    lines: list[StocktakeLineOut]


class StocktakePageOut(Schema):
    items: list[StocktakeSummaryOut]
    next_cursor: int | None


class StocktakeListQuery(Schema):
    status: StocktakeStatus | None = None
    warehouse: str = Field("", description="Warehouse code")
    cursor: int | None = Field(None, ge=1, le=2**62, description="next_cursor of the previous page")
    limit: int = Field(50, ge=1, le=200)


class StocktakeCountLineIn(Schema):
    sku: str = Field(..., min_length=1, max_length=64, description="SKU or barcode.")
    counted: int | None = Field(..., ge=0, le=10_000_000, description="null clears the count.")


class StocktakeCountIn(Schema):
    """Counts replace what was entered before for these SKUs (they do not add up)."""

    counts: list[StocktakeCountLineIn] = Field(..., min_length=1)


def _stocktake_summary(stocktake) -> dict:
    return {
        "code": stocktake.code,
        "status": stocktake.status,
        "warehouse": stocktake.warehouse.code,
        "category": stocktake.category_id,
        "category_name": stocktake.category.name if stocktake.category_id else None,
        "note": stocktake.note,
        "created_at": stocktake.created_at,
        "posted_at": stocktake.posted_at,
        "line_count": stocktake.line_count,
        "counted_count": stocktake.counted_count,
        "variance_count": stocktake.variance_count,
    }


def _stocktake_out(code: str) -> dict:
    stocktake = selectors.stocktake_get(code=code)
    lines = selectors.stocktake_sheet_lines(stocktake=stocktake)
    return {
        **_stocktake_summary(stocktake),
        "lines": [
            {
                "sku": line.variant.sku,
                "barcode": line.variant.barcode,
                "product": line.variant.product.name,
                "options": line.variant.options_label,
                "expected": line.expected,
                "counted": line.counted,
                "counted_at": line.counted_at,
                "variance": line.variance,
            }
            for line in lines
        ],
    }


@router.get(
    "/stocktakes",
    response=StocktakePageOut,
    summary="List stocktakes, newest first",
    tags=["stocktakes"],
)
def stocktake_list(request, query: Query[StocktakeListQuery]):
    request.principal.require("inventory.view_stocktake")
    warehouse_id = None
    if query.warehouse:
        warehouse_id = selectors.warehouse_get(code=query.warehouse).pk
    stocktakes_qs = selectors.stocktake_list(status=query.status or "", warehouse_id=warehouse_id)
    if query.cursor:
        stocktakes_qs = stocktakes_qs.filter(id__lt=query.cursor)
    rows, next_cursor = _page(list(stocktakes_qs[: query.limit + 1]), query.limit)
    return {"items": [_stocktake_summary(s) for s in rows], "next_cursor": next_cursor}


@router.post(
    "/stocktakes",
    response={201: StocktakeOut},
    summary="Start a stocktake (make the count sheet)",
    description="Each line expects what is on hand now, and again when it is counted (stock "
    "moving while the sheet is open is not counted twice). 409 when a count of the same warehouse "
    "(and category) is already in progress.",
    tags=["stocktakes"],
)
def stocktake_create(request, payload: StocktakeCreateIn):
    request.principal.require("inventory.add_stocktake")
    category = None
    if payload.category is not None:
        category = selectors.category_for_stocktake(category_id=payload.category)
        if category is None:
            raise ValidationFailed(
                _("There is no category %(id)s.") % {"id": payload.category},
                fields={"category": _("Unknown category.")},
            )
    stocktake = stocktakes.stocktake_create(
        warehouse=_warehouse_field("warehouse", payload.warehouse),
        category=category,
        note=payload.note,
        actor=request.principal,
    )
    return Status(201, _stocktake_out(stocktake.code))


@router.get(
    "/stocktakes/{code}",
    response=StocktakeOut,
    summary="One stocktake with its count sheet",
    tags=["stocktakes"],
)
def stocktake_get(request, code: str):
    request.principal.require("inventory.view_stocktake")
    return _stocktake_out(code)


@router.post(
    "/stocktakes/{code}/counts",
    response=StocktakeOut,
    summary="Enter counts by SKU (or barcode)",
    description="422 when a SKU is not on the count sheet (nothing is saved then); 409 when the "
    "stocktake is posted or cancelled.",
    tags=["stocktakes"],
)
def stocktake_count(request, code: str, payload: StocktakeCountIn):
    request.principal.require("inventory.count_stocktake")
    stocktake = selectors.stocktake_get(code=code)
    line_ids = selectors.stocktake_line_ids_by_code(stocktake=stocktake)
    counts, errors = {}, {}
    for index, row in enumerate(payload.counts):
        key = services.code_lookup(row.sku)
        line_id = line_ids.get(key.lower()) if key else None
        if line_id is None:
            errors[f"counts.{index}.sku"] = _("“%(code)s” is not on this count sheet.") % {
                "code": row.sku
            }
        else:
            counts[line_id] = row.counted
    if errors:
        raise ValidationFailed(_("Some counts are not valid."), fields=errors)
    stocktakes.stocktake_count(stocktake=stocktake, counts=counts, actor=request.principal)
    return _stocktake_out(code)


@router.post(
    "/stocktakes/{code}/post",
    response=StocktakeOut,
    summary="Post the variances as stock corrections (once)",
    description="Each counted line whose count differs from expected becomes a stocktake "
    "movement; uncounted lines are left as they are. 409 when already posted or cancelled.",
    tags=["stocktakes"],
)
def stocktake_post(request, code: str):
    request.principal.require("inventory.post_stocktake")
    stocktakes.stocktake_post(stocktake=selectors.stocktake_get(code=code), actor=request.principal)
    return _stocktake_out(code)
