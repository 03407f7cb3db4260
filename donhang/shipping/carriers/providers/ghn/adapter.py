"""GHN adapter: our shipment types ↔ GHN's fields and statuses (2025 address model: ward and
province names, no district)."""

from __future__ import annotations

from datetime import UTC, datetime

from donhang.shipping.carriers.ports import (
    Capabilities,
    CreatedShipment,
    Label,
    PermanentError,
    Quote,
    ShipmentRequest,
    ShipmentStatus,
    TrackingEvent,
    TrackingInfo,
)
from donhang.shipping.carriers.providers.ghn.client import HOSTS, GhnClient
from donhang.shipping.carriers.providers.ghn.webhooks import parse_webhook, verify_webhook

STATUS_MAP: dict[str, ShipmentStatus] = {
    "ready_to_pick": ShipmentStatus.READY_TO_PICK,
    "picking": ShipmentStatus.PICKING,
    "money_collect_picking": ShipmentStatus.PICKING,
    "picked": ShipmentStatus.PICKED,
    "storing": ShipmentStatus.IN_TRANSIT,
    "transporting": ShipmentStatus.IN_TRANSIT,
    "sorting": ShipmentStatus.IN_TRANSIT,
    "delivering": ShipmentStatus.DELIVERING,
    "money_collect_delivering": ShipmentStatus.DELIVERING,
    "delivered": ShipmentStatus.DELIVERED,
    "delivery_fail": ShipmentStatus.DELIVERY_FAILED,
    "waiting_to_return": ShipmentStatus.DELIVERY_FAILED,
    "return": ShipmentStatus.RETURNING,
    "return_transporting": ShipmentStatus.RETURNING,
    "return_sorting": ShipmentStatus.RETURNING,
    "returning": ShipmentStatus.RETURNING,
    "return_fail": ShipmentStatus.RETURNING,
    "returned": ShipmentStatus.RETURNED,
    "cancel": ShipmentStatus.CANCELLED,
    "exception": ShipmentStatus.DELIVERY_FAILED,
    "lost": ShipmentStatus.LOST,
    "damage": ShipmentStatus.LOST,
}

REQUIRED_NOTE = {"none": "KHONGCHOXEMHANG", "view": "CHOXEMHANGKHONGTHU", "try": "CHOTHUHANG"}
SERVICE_TYPES = {"2": "GHN Hàng nhẹ", "5": "GHN Hàng nặng"}


def _parse_time(value) -> datetime | None:
    if not value:
        return None
    if isinstance(value, int | float):
        return datetime.fromtimestamp(value, tz=UTC)
    try:
        return datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        return None


class GhnAdapter:
    provider = "ghn"
    capabilities = Capabilities(
        quote=True, cancel=True, label_pdf=True, track=True, webhooks=True, find_by_reference=True
    )

    def __init__(
        self,
        *,
        environment: str,
        base_url: str,
        credentials: dict,
        options: dict,
        webhook_secret: str = "",
        **_,
    ):
        host = base_url or HOSTS.get(environment, HOSTS["production"])
        self.client = GhnClient(
            host=host, token=credentials.get("token", ""), shop_id=options.get("shop_id")
        )
        self.webhook_secret = webhook_secret

    # --- mapping ---------------------------------------------------------------------------

    def map_status(self, carrier_status: str) -> ShipmentStatus:
        try:
            return STATUS_MAP[carrier_status]
        except KeyError:
            raise PermanentError(
                f"unknown GHN status {carrier_status!r}", code="unknown_status"
            ) from None

    def _body(self, req: ShipmentRequest, *, service_type: str | None = None) -> dict:
        return {
            "client_order_code": req.reference,
            "to_name": req.receiver.name,
            "to_phone": req.receiver.phone,
            "to_address": req.receiver.line,
            "is_new_to_address": True,
            "to_ward_name": req.receiver.ward_name,
            "to_province_name": req.receiver.province_name,
            "from_name": req.sender.name,
            "from_phone": req.sender.phone,
            "from_address": req.sender.line,
            "is_new_from_address": True,
            "from_ward_name": req.sender.ward_name,
            "from_province_name": req.sender.province_name,
            "weight": req.weight_g,
            "length": req.length_cm,
            "width": req.width_cm,
            "height": req.height_cm,
            "service_type_id": int(service_type or req.service_code or 2),
            # The shop always pays GHN; what the buyer owes for shipping is already in the COD.
            "payment_type_id": 1,
            "required_note": REQUIRED_NOTE.get(req.inspection, "CHOXEMHANGKHONGTHU"),
            "cod_amount": req.cod_amount,
            "insurance_value": min(req.goods_value, 5_000_000),
            "note": req.note[:500],
            "content": ", ".join(f"{i.name} x{i.quantity}" for i in req.items)[:2000],
            "items": [
                {
                    "name": i.name[:200],
                    "code": i.sku,
                    "quantity": i.quantity,
                    "price": i.price,
                    "weight": i.weight_g,
                }
                for i in req.items
            ],
        }

    def service_label(self, service_code: str) -> str:
        return SERVICE_TYPES.get(str(service_code or "2"), str(service_code))

    # --- operations ------------------------------------------------------------------------

    def quote(self, request: ShipmentRequest) -> list[Quote]:
        quotes = []
        types = ["2", "5"] if request.weight_g >= 20_000 else ["2"]
        for service_type in types:
            data = self.client.post(
                "v2/shipping-order/preview", self._body(request, service_type=service_type)
            )
            quotes.append(
                Quote(
                    service_code=service_type,
                    service_name=SERVICE_TYPES[service_type],
                    fee=int(data.get("total_fee") or 0),
                    expected_delivery_at=_parse_time(data.get("expected_delivery_time")),
                )
            )
        return quotes

    def create(self, request: ShipmentRequest) -> CreatedShipment:
        data = self.client.post("v2/shipping-order/create", self._body(request))
        return CreatedShipment(
            tracking_code=data["order_code"],
            fee=int(data.get("total_fee") or 0),
            expected_delivery_at=_parse_time(data.get("expected_delivery_time")),
            sort_code=data.get("sort_code") or "",
            raw=data,
        )

    def find_by_reference(self, reference: str) -> CreatedShipment | None:
        try:
            data = self.client.post(
                "v2/shipping-order/detail-by-client-code", {"client_order_code": reference}
            )
        except PermanentError:
            return None
        if isinstance(data, list):
            data = data[0] if data else None
        if not data or not data.get("order_code"):
            return None
        return CreatedShipment(
            tracking_code=data["order_code"],
            fee=int(data.get("total_fee") or 0),
            expected_delivery_at=_parse_time(data.get("leadtime")),
            raw=data,
            status=STATUS_MAP.get(data.get("status") or ""),
        )

    def cancel(self, tracking_code: str) -> None:
        results = (
            self.client.post("v2/switch-status/cancel", {"order_codes": [tracking_code]}) or []
        )
        for result in results:
            if result.get("order_code") == tracking_code and not result.get("result"):
                raise PermanentError(
                    result.get("message") or "GHN refused to cancel", code="cancel_refused"
                )

    def redeliver(self, tracking_code: str) -> None:
        """Deliver again (from storing / waiting-to-return, within GHN's window)."""
        self._switch("v2/switch-status/storing", tracking_code)

    def return_to_sender(self, tracking_code: str) -> None:
        self._switch("v2/switch-status/return", tracking_code)

    def _switch(self, path: str, tracking_code: str) -> None:
        results = self.client.post(path, {"order_codes": [tracking_code]}) or []
        for result in results if isinstance(results, list) else []:
            if result.get("order_code") == tracking_code and result.get("result") is False:
                raise PermanentError(result.get("message") or "GHN refused", code="refused")

    def label(self, tracking_codes: list[str], *, size: str = "A5") -> Label:
        data = self.client.post(
            "v2/a5/gen-token", {"order_codes": tracking_codes}, shop_scoped=False
        )
        token = data["token"] if isinstance(data, dict) else data
        page = {"A5": "printA5", "80x80": "print80x80", "52x70": "print52x70"}.get(size, "printA5")
        path = f"/a5/public-api/{page}"
        response = self.client.get_raw(path, params={"token": token}, accept="application/pdf")
        content_type = response.headers.get("content-type", "application/pdf").split(";")[0]
        return Label(
            content=response.content,
            content_type=content_type,
            url=f"{self.client.host}{path}?token={token}",
        )

    def track(self, tracking_code: str) -> TrackingInfo:
        data = self.client.post("v2/shipping-order/detail", {"order_code": tracking_code})
        events = [
            TrackingEvent(
                at=_parse_time(entry.get("updated_date")) or datetime.now(UTC),
                carrier_status=entry.get("status", ""),
                status=self.map_status(entry.get("status", "")),
            )
            for entry in data.get("log") or []
            if entry.get("status") in STATUS_MAP
        ]
        return TrackingInfo(
            tracking_code=data.get("order_code", tracking_code),
            reference=data.get("client_order_code") or "",
            carrier_status=data.get("status", ""),
            status=self.map_status(data.get("status", "")),
            events=events,
            cod_amount=data.get("cod_amount"),
            fee=data.get("total_fee"),
            cod_transferred=bool(data.get("is_cod_transferred")),
        )

    def verify_webhook(
        self, headers: dict[str, str], body: bytes, query: dict | None = None
    ) -> bool:
        return verify_webhook(self.webhook_secret, headers, query or {})

    def parse_webhook(self, body: bytes):
        return parse_webhook(body, self.map_status)
