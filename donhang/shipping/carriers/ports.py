"""The carrier port: what every carrier adapter offers, in our own types.

Adapters translate between these types and a carrier's API; they never touch models and never
decide outcomes. Errors: RetryableError, PermanentError, Unsupported (donhang.core.integrations).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Protocol

from donhang.core.integrations import PermanentError, RetryableError, Unsupported

__all__ = [
    "Address",
    "Capabilities",
    "CarrierAdapter",
    "CreatedShipment",
    "Item",
    "Label",
    "PermanentError",
    "Quote",
    "RetryableError",
    "ShipmentRequest",
    "ShipmentStatus",
    "TrackingEvent",
    "TrackingInfo",
    "Unsupported",
    "WebhookEvent",
]


class ShipmentStatus(StrEnum):
    """Our statuses. Every carrier status maps to exactly one."""

    PENDING = "pending"  # we have not got a tracking number yet
    READY_TO_PICK = "ready_to_pick"  # created at the carrier, waiting for pickup
    PICKING = "picking"
    PICKED = "picked"  # handed over: the carrier has the parcel
    IN_TRANSIT = "in_transit"
    DELIVERING = "delivering"
    DELIVERED = "delivered"
    DELIVERY_FAILED = "delivery_failed"
    RETURNING = "returning"
    RETURNED = "returned"
    CANCELLED = "cancelled"
    LOST = "lost"  # lost or damaged: a claim

    @property
    def is_terminal(self) -> bool:
        return self in (
            ShipmentStatus.DELIVERED,
            ShipmentStatus.RETURNED,
            ShipmentStatus.CANCELLED,
            ShipmentStatus.LOST,
        )

    @property
    def carrier_has_parcel(self) -> bool:
        return self in (
            ShipmentStatus.PICKED,
            ShipmentStatus.IN_TRANSIT,
            ShipmentStatus.DELIVERING,
            ShipmentStatus.DELIVERED,
            ShipmentStatus.DELIVERY_FAILED,
            ShipmentStatus.RETURNING,
            ShipmentStatus.RETURNED,
            ShipmentStatus.LOST,
        )


# Progress order, to never move a shipment backwards when events arrive out of order (two
# events stamped in the same second are ordered by it).
PROGRESS = {
    ShipmentStatus.PENDING: 0,
    ShipmentStatus.READY_TO_PICK: 1,
    ShipmentStatus.PICKING: 2,
    ShipmentStatus.PICKED: 3,
    ShipmentStatus.IN_TRANSIT: 4,
    ShipmentStatus.DELIVERING: 5,
    ShipmentStatus.DELIVERY_FAILED: 6,
    ShipmentStatus.RETURNING: 7,
    ShipmentStatus.DELIVERED: 8,
    ShipmentStatus.RETURNED: 8,
    ShipmentStatus.CANCELLED: 8,
    ShipmentStatus.LOST: 8,
}


@dataclass(frozen=True)
class Capabilities:
    quote: bool = True
    cancel: bool = True
    label_pdf: bool = True
    track: bool = True
    webhooks: bool = True
    find_by_reference: bool = True


@dataclass
class Address:
    name: str
    phone: str  # national format 0xxx, as carriers expect
    line: str
    ward_code: int  # our (government) ward code
    province_code: int
    ward_name: str = ""
    province_name: str = ""
    carrier_ids: dict | None = None  # the carrier's own ids for this ward, from our mappings


@dataclass
class Item:
    name: str
    sku: str
    quantity: int
    price: int
    weight_g: int = 0


@dataclass
class ShipmentRequest:
    reference: str  # our idempotency key, sent as the carrier's client order code
    sender: Address
    receiver: Address
    weight_g: int
    length_cm: int
    width_cm: int
    height_cm: int
    cod_amount: int  # what the carrier collects from the receiver
    goods_value: int  # declared value (insurance basis)
    fee_payer: str  # "seller" or "buyer"
    service_code: str = ""
    inspection: str = "view"  # "none", "view" (look, no try) or "try"
    note: str = ""
    items: list[Item] = field(default_factory=list)


@dataclass
class Quote:
    service_code: str
    service_name: str
    fee: int
    expected_delivery_at: datetime | None = None
    lead_time_hours: int | None = None


@dataclass
class CreatedShipment:
    tracking_code: str
    fee: int
    expected_delivery_at: datetime | None = None
    sort_code: str = ""
    raw: dict = field(default_factory=dict)
    status: ShipmentStatus | None = None  # where known (a parcel found by our reference)


@dataclass
class TrackingEvent:
    at: datetime
    carrier_status: str
    status: ShipmentStatus
    description: str = ""
    reason_code: str = ""


@dataclass
class TrackingInfo:
    tracking_code: str
    reference: str
    carrier_status: str
    status: ShipmentStatus
    events: list[TrackingEvent] = field(default_factory=list)
    cod_amount: int | None = None
    fee: int | None = None
    cod_transferred: bool = False


@dataclass
class WebhookEvent:
    tracking_code: str
    reference: str
    carrier_status: str
    status: ShipmentStatus
    at: datetime
    description: str = ""
    reason_code: str = ""
    cod_amount: int | None = None
    fee: int | None = None
    dedupe_key: str = ""


@dataclass
class Label:
    content: bytes
    content_type: str  # application/pdf or text/html
    url: str = ""


class CarrierAdapter(Protocol):
    provider: str
    capabilities: Capabilities

    def quote(self, request: ShipmentRequest) -> list[Quote]: ...

    def create(self, request: ShipmentRequest) -> CreatedShipment: ...

    def find_by_reference(self, reference: str) -> CreatedShipment | None: ...

    def cancel(self, tracking_code: str) -> None: ...

    def redeliver(self, tracking_code: str) -> None: ...

    def return_to_sender(self, tracking_code: str) -> None: ...

    def label(self, tracking_codes: list[str], *, size: str = "A5") -> Label: ...

    def track(self, tracking_code: str) -> TrackingInfo: ...

    def map_status(self, carrier_status: str) -> ShipmentStatus: ...

    def service_label(self, service_code: str) -> str: ...

    def verify_webhook(self, headers: dict[str, str], body: bytes) -> bool: ...

    def parse_webhook(self, body: bytes) -> list[WebhookEvent]: ...
