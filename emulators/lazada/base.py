"""Constants, errors and the endpoint wrapper shared by the lazada emulator's handlers."""

from __future__ import annotations

import functools
import json
import xml.etree.ElementTree as ET
from datetime import datetime

from werkzeug.wrappers import Request

from emulators.common import VN_TZ

PROVIDERS = [{"name": "LEX VN", "provider_code": "LEXVN", "cod": True, "is_default": True}]
ITEM_STATUS = {
    "active": "Active",
    "inactive": "InActive",
    "deleted": "Deleted",
    "pending": "Pending QC",
}
FILTERS = {"all", "live", "inactive", "deleted", "pending", "rejected", "sold-out"}
ORDER_FILTER_ALIASES = {
    "topack": {"pending"},
    "toship": {"packed", "ready_to_ship"},
    "shipping": {"shipped"},
    "lost": {"lost_by_3pl"},
}
ORDER_STATUSES = {
    "unpaid",
    "pending",
    "packed",
    "repacked",
    "ready_to_ship",
    "shipped",
    "delivered",
    "failed_delivery",
    "canceled",
    "returned",
    "confirmed",
    "shipped_back_success",
    "lost_by_3pl",
    "damaged_by_3pl",
}
CANCEL_REASONS = [
    {"reason_id": 10000001, "reason_name": "Hết hàng"},
    {"reason_id": 10000002, "reason_name": "Sai giá"},
    {"reason_id": 10000003, "reason_name": "Khách hàng yêu cầu"},
]
SKU_KEYS = {
    "SellerSku",
    "SkuId",
    "ItemId",
    "quantity",
    "price",
    "special_price",
    "special_from_date",
    "special_to_date",
    "package_height",
    "package_length",
    "package_width",
    "package_weight",
    "package_content",
    "Images",
    "Status",
    "saleProp",
}


class LazadaError(Exception):
    def __init__(self, code: str, message: str, *, type_="ISV", status=200, detail=None):
        super().__init__(message)
        self.code = code
        self.message = message
        self.type = type_
        self.status = status
        self.detail = detail


def lz_time(dt: datetime | None) -> str:
    return dt.astimezone(VN_TZ).strftime("%Y-%m-%d %H:%M:%S %z") if dt else ""


def money(value: int) -> str:
    return f"{int(value)}.00"


def parse_iso(value: str, name: str) -> datetime:
    try:
        dt = datetime.fromisoformat(str(value).strip().replace("Z", "+00:00"))
    except ValueError:
        raise LazadaError("E017", f"E017: Invalid Date Format for {name}") from None
    return dt if dt.tzinfo else dt.replace(tzinfo=VN_TZ)


def as_list(value) -> list:
    if value is None or value == "":
        return []
    return value if isinstance(value, list) else [value]


def xml_to_value(element: ET.Element):
    children = list(element)
    if not children:
        return (element.text or "").strip()
    out: dict = {}
    for child in children:
        value = xml_to_value(child)
        if child.tag in out:
            out[child.tag] = [*as_list(out[child.tag]), value]
        else:
            out[child.tag] = value
    return out


def parse_payload(text: str | None) -> dict:
    if not text or not str(text).strip():
        raise LazadaError("MissingParameter", 'The input parameter "payload" is not supplied')
    text = str(text).strip()
    try:
        if text.startswith("<"):
            root = ET.fromstring(text)
            return {root.tag: xml_to_value(root)}
        data = json.loads(text)
    except (ET.ParseError, ValueError):
        raise LazadaError("InvalidParameter", "payload is neither valid XML nor JSON") from None
    if not isinstance(data, dict):
        raise LazadaError("InvalidParameter", "payload must be an object")
    return data


def payload_product(payload: dict) -> tuple[dict, list[dict]]:
    request = payload.get("Request", payload)
    product = request.get("Product") if isinstance(request, dict) else None
    if not isinstance(product, dict):
        raise LazadaError("InvalidParameter", "payload needs Request.Product")
    skus = (product.get("Skus") or {}).get("Sku") if isinstance(product.get("Skus"), dict) else None
    skus = [s for s in as_list(skus) if isinstance(s, dict)]
    return product, skus


def json_param(p: dict, name: str):
    raw = p.get(name)
    if raw is None or raw == "":
        raise LazadaError("MissingParameter", f'The input parameter "{name}" is not supplied')
    try:
        return json.loads(raw)
    except ValueError:
        raise LazadaError("InvalidParameter", f"{name} is not valid JSON") from None


def endpoint(seller: bool = True):
    """Wrap a handler ``(self, request, p, seller_id)``; ``p`` holds every parameter."""

    def decorator(fn):
        @functools.wraps(fn)
        def wrapper(self, request: Request, api: str):
            try:
                p = self.params_of(request)
                with self.lock:
                    seller_id = self.authenticate(api, p, seller)
                    return fn(self, request, p, seller_id)
            except LazadaError as exc:
                return self.error_response(exc)

        return wrapper

    return decorator
