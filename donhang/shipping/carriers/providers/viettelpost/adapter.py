"""Viettel Post adapter. Addresses use VTP's 2025 ("new") province and ward ids, looked up by
name from /v3/categories/listProvinceNew and listWardsNew; the shipping service caches them in
per-carrier mappings."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

from donhang.core.text import fold
from donhang.shipping.carriers.ports import (
    Capabilities,
    CreatedShipment,
    Label,
    PermanentError,
    Quote,
    ShipmentRequest,
    ShipmentStatus,
    TrackingInfo,
    Unsupported,
)
from donhang.shipping.carriers.providers.viettelpost.client import (
    HOSTS,
    PRINT_HOSTS,
    ViettelPostClient,
)
from donhang.shipping.carriers.providers.viettelpost.webhooks import parse_webhook, verify_webhook


def _status_map(code: int) -> ShipmentStatus:
    if code in (-100, 100, 102):
        return ShipmentStatus.READY_TO_PICK
    if code in (-108, -109, -110, 105, 200):
        return ShipmentStatus.PICKED
    if code in (103, 104):
        return ShipmentStatus.PICKING
    if code in (101, 106, 107, 201, 503):
        return ShipmentStatus.CANCELLED
    if code == 501:
        return ShipmentStatus.DELIVERED
    if code in (500, 508, 550):
        return ShipmentStatus.DELIVERING
    if code in (505, 506, 507):
        return ShipmentStatus.DELIVERY_FAILED
    if code in (502, 515):
        return ShipmentStatus.RETURNING
    if code == 504:
        return ShipmentStatus.RETURNED
    if code == 202 or 300 <= code <= 320 or 400 <= code <= 403 or code in (509, 510):
        return ShipmentStatus.IN_TRANSIT
    raise PermanentError(f"unknown Viettel Post status {code}", code="unknown_status")


# Names of Viettel Post's usual services (quotes carry the carrier's own wording too).
SERVICE_NAMES = {
    "VCN": "VTP Chuyển phát nhanh",
    "VTK": "VTP Tiết kiệm",
    "VHT": "VTP Hỏa tốc",
    "PHS": "VTP Nội vùng",
    "PTN": "VTP Nội tỉnh",
}

INSPECTION_NOTE = {
    "none": "Không cho xem hàng",
    "view": "Cho xem hàng, không cho thử",
    "try": "Cho thử hàng",
}


class ViettelPostAdapter:
    provider = "viettelpost"
    # No lookup by our reference and no tracking call in the published API: create relies on
    # ORDER_NUMBER + CHECK_UNIQUE for idempotency, and statuses come by webhook.
    capabilities = Capabilities(
        quote=True, cancel=True, label_pdf=True, track=False, webhooks=True, find_by_reference=False
    )

    def __init__(
        self,
        *,
        environment: str,
        base_url: str,
        credentials: dict,
        options: dict,
        webhook_secret: str = "",
        on_token=None,
        **_,
    ):
        host = base_url or HOSTS.get(environment, HOSTS["production"])
        self.print_host = options.get("print_base_url") or (
            base_url if base_url else PRINT_HOSTS.get(environment, PRINT_HOSTS["production"])
        )
        self.client = ViettelPostClient(
            host=host,
            username=credentials.get("username", ""),
            password=credentials.get("password", ""),
            token=credentials.get("token", ""),
            on_token=on_token,
        )
        self.webhook_secret = webhook_secret
        self.options = options

    def service_label(self, service_code: str) -> str:
        code = service_code or self.options.get("default_service", "VCN")
        return SERVICE_NAMES.get(code, code)

    def map_status(self, carrier_status: str) -> ShipmentStatus:
        try:
            return _status_map(int(carrier_status))
        except ValueError:
            raise PermanentError(
                f"unknown Viettel Post status {carrier_status!r}", code="unknown_status"
            ) from None

    # --- addresses -------------------------------------------------------------------------

    def lookup_ward(self, *, province_name: str, ward_name: str) -> dict:
        """VTP ids of a (province, ward) of the 2025 units, matched by name without diacritics."""
        provinces = self.client.call("GET", "/v3/categories/listProvinceNew") or []
        want = fold(province_name).removeprefix("thanh pho ").removeprefix("tinh ")
        province = next(
            (
                p
                for p in provinces
                if fold(p.get("PROVINCE_NAME", "")).removeprefix("thanh pho ").removeprefix("tinh ")
                == want
            ),
            None,
        )
        if province is None:
            raise PermanentError(
                f"Viettel Post has no province {province_name!r}", code="unknown_province"
            )
        wards = (
            self.client.call(
                "GET", "/v3/categories/listWardsNew", params={"provinceId": province["PROVINCE_ID"]}
            )
            or []
        )
        ward = next((w for w in wards if fold(w.get("WARDS_NAME", "")) == fold(ward_name)), None)
        if ward is None:
            raise PermanentError(
                f"Viettel Post has no ward {ward_name!r} in {province_name!r}", code="unknown_ward"
            )
        return {
            "province_id": str(province["PROVINCE_ID"]),
            "district_id": str(ward.get("DISTRICT_ID") or 0),
            "ward_id": str(ward["WARDS_ID"]),
            "ward_name": ward.get("WARDS_NAME", ""),
        }

    @staticmethod
    def _ids(address) -> dict:
        ids = address.carrier_ids or {}
        if not ids.get("ward_id"):
            raise PermanentError("address not mapped to Viettel Post ids", code="unmapped_address")
        return ids

    def _payment(self, req: ShipmentRequest) -> int:
        # 1 no collection · 2 goods + fee · 3 goods only · 4 fee only. Our COD already holds what
        # the buyer owes for shipping, so VTP collects exactly it (3) or nothing (1).
        return 3 if req.cod_amount > 0 else 1

    def quote(self, request: ShipmentRequest) -> list[Quote]:
        sender, receiver = self._ids(request.sender), self._ids(request.receiver)
        rows = (
            self.client.call(
                "POST",
                "/v2/order/getPriceAll",
                json={
                    "SENDER_PROVINCE": int(sender["province_id"]),
                    "SENDER_DISTRICT": int(sender["district_id"] or 0),
                    "RECEIVER_PROVINCE": int(receiver["province_id"]),
                    "RECEIVER_DISTRICT": int(receiver["district_id"] or 0),
                    "PRODUCT_TYPE": "HH",
                    "PRODUCT_WEIGHT": request.weight_g,
                    "PRODUCT_PRICE": request.goods_value,
                    "MONEY_COLLECTION": request.cod_amount,
                    "PRODUCT_LENGTH": request.length_cm,
                    "PRODUCT_WIDTH": request.width_cm,
                    "PRODUCT_HEIGHT": request.height_cm,
                    "TYPE": 1,
                },
            )
            or []
        )
        quotes = []
        for row in rows:
            hours = _hours(row.get("THOI_GIAN"))
            quotes.append(
                Quote(
                    service_code=str(row.get("MA_DV_CHINH", "")),
                    service_name=str(row.get("TEN_DICHVU", "")),
                    fee=int(row.get("GIA_CUOC") or 0),
                    lead_time_hours=hours,
                    expected_delivery_at=datetime.now(UTC) + timedelta(hours=hours)
                    if hours
                    else None,
                )
            )
        return quotes

    def create(self, request: ShipmentRequest) -> CreatedShipment:
        sender, receiver = self._ids(request.sender), self._ids(request.receiver)
        body = {
            "ORDER_NUMBER": request.reference,
            "CHECK_UNIQUE": True,
            "GROUPADDRESS_ID": int(self.options.get("groupaddress_id") or 0),
            "CUS_ID": int(self.options.get("cus_id") or 0),
            "SENDER_FULLNAME": request.sender.name,
            "SENDER_PHONE": request.sender.phone,
            "SENDER_ADDRESS": request.sender.line[:150],
            "SENDER_PROVINCE": int(sender["province_id"]),
            "SENDER_DISTRICT": int(sender["district_id"] or 0),
            "SENDER_WARD": int(sender["ward_id"]),
            "RECEIVER_FULLNAME": request.receiver.name,
            "RECEIVER_PHONE": request.receiver.phone,
            "RECEIVER_ADDRESS": request.receiver.line[:150],
            "RECEIVER_PROVINCE": int(receiver["province_id"]),
            "RECEIVER_DISTRICT": int(receiver["district_id"] or 0),
            "RECEIVER_WARD": int(receiver["ward_id"]),
            "PRODUCT_NAME": ", ".join(f"{i.name} x{i.quantity}" for i in request.items)[:200]
            or "Hàng hóa",
            "PRODUCT_QUANTITY": sum(i.quantity for i in request.items) or 1,
            "PRODUCT_PRICE": request.goods_value,
            "PRODUCT_WEIGHT": request.weight_g,
            "PRODUCT_LENGTH": request.length_cm,
            "PRODUCT_WIDTH": request.width_cm,
            "PRODUCT_HEIGHT": request.height_cm,
            "PRODUCT_TYPE": "HH",
            "ORDER_PAYMENT": self._payment(request),
            "ORDER_SERVICE": request.service_code or self.options.get("default_service", "VCN"),
            "ORDER_SERVICE_ADD": "",
            "ORDER_NOTE": "; ".join(
                p for p in (INSPECTION_NOTE.get(request.inspection, ""), request.note) if p
            )[:150],
            "MONEY_COLLECTION": request.cod_amount,
            "LIST_ITEM": [
                {
                    "PRODUCT_NAME": i.name[:100],
                    "PRODUCT_QUANTITY": i.quantity,
                    "PRODUCT_PRICE": i.price,
                    "PRODUCT_WEIGHT": i.weight_g,
                }
                for i in request.items
            ],
        }
        data = self.client.call("POST", "/v2/order/createOrder", json=body) or {}
        hours = _hours(data.get("KPI_HT"))
        return CreatedShipment(
            tracking_code=str(data["ORDER_NUMBER"]),
            fee=int(data.get("MONEY_TOTAL") or 0),
            expected_delivery_at=datetime.now(UTC) + timedelta(hours=hours) if hours else None,
            raw=data,
        )

    def find_by_reference(self, reference: str):
        raise Unsupported(
            "Viettel Post has no lookup by our reference; create is idempotent by ORDER_NUMBER"
        )

    def cancel(self, tracking_code: str) -> None:
        self.client.call(
            "POST",
            "/v2/order/UpdateOrder",
            json={"TYPE": 4, "ORDER_NUMBER": tracking_code, "NOTE": "Hủy đơn"},
        )

    def redeliver(self, tracking_code: str) -> None:
        """TYPE 3: deliver again (allowed at status 505)."""
        self.client.call(
            "POST",
            "/v2/order/UpdateOrder",
            json={"TYPE": 3, "ORDER_NUMBER": tracking_code, "NOTE": "Giao lại"},
        )

    def return_to_sender(self, tracking_code: str) -> None:
        """TYPE 2: approve the return (allowed at status 505)."""
        self.client.call(
            "POST",
            "/v2/order/UpdateOrder",
            json={"TYPE": 2, "ORDER_NUMBER": tracking_code, "NOTE": "Duyệt hoàn"},
        )

    def label(self, tracking_codes: list[str], *, size: str = "A5") -> Label:
        expiry = int((time.time() + 3600) * 1000)
        envelope = self.client.call_raw(
            "POST",
            "/v2/order/printing-code",
            json={"EXPIRY_TIME": expiry, "ORDER_ARRAY": tracking_codes},
        )
        code = envelope.get("message")
        kind = {"A5": 1, "A6": 2, "A7": 100}.get(size, 1)
        url = f"{self.print_host.rstrip('/')}/DigitalizePrint/report.do?type={kind}&bill={code}&showPostage=1"
        response = self.client.get_page(url, accept="application/pdf")
        return Label(
            content=response.content,
            content_type=response.headers.get("content-type", "application/pdf").split(";")[0],
            url=url,
        )

    def track(self, tracking_code: str) -> TrackingInfo:
        raise Unsupported("Viettel Post sends statuses by webhook only")

    def verify_webhook(
        self, headers: dict[str, str], body: bytes, query: dict | None = None
    ) -> bool:
        return verify_webhook(self.webhook_secret, headers, body)

    def parse_webhook(self, body: bytes):
        return parse_webhook(body, self.map_status)


def _hours(value) -> int | None:
    try:
        return int(float(str(value).split()[0])) if value not in (None, "") else None
    except ValueError:
        return None
