"""Constants, errors and the endpoint wrapper shared by the shopee emulator's handlers."""

from __future__ import annotations

import functools

from werkzeug.wrappers import Request

from emulators.marketplace import (
    as_int,
)

BASE = "/api/v2/"
CANCEL_REASONS = {"OUT_OF_STOCK", "CUSTOMER_REQUEST", "UNDELIVERABLE_AREA", "COD_NOT_SUPPORTED"}
DOCUMENT_TYPES = ["NORMAL_AIR_WAYBILL", "THERMAL_AIR_WAYBILL"]
ITEM_STATUS = {
    "active": "NORMAL",
    "inactive": "UNLIST",
    "deleted": "SELLER_DELETE",
    "pending": "REVIEWING",
    "banned": "BANNED",
}
CHANNEL = {
    "logistics_channel_id": 50021,
    "logistics_channel_name": "SPX Express",
    "cod_enabled": True,
    "enabled": True,
    "fee_type": "SIZE_INPUT",
    "mask_channel_id": 0,
    "force_enable": False,
}
MAX_WINDOW = 15 * 86400


class ShopeeError(Exception):
    def __init__(self, error: str, message: str, status: int | None = None):
        super().__init__(message)
        self.error = error
        self.message = message
        self.status = status


def endpoint(kind: str = "shop"):
    """Wrap a handler ``(self, request, data, shop_id)``: signature, token, rate limit, JSON."""

    def decorator(fn):
        @functools.wraps(fn)
        def wrapper(self, request: Request):
            try:
                with self.lock:
                    shop_id = self.authenticate(request, kind)
                    data = self.read_body(request)
                    return fn(self, request, data, shop_id)
            except ShopeeError as exc:
                return self.error_response(exc)

        return wrapper

    return decorator


def need(data: dict, key: str):
    value = data.get(key)
    if value is None or value == "" or value == []:
        raise ShopeeError("error_param", f"{key} is required.")
    return value


def need_int(data: dict, key: str, *, minimum: int | None = None, maximum: int | None = None):
    value = as_int(need(data, key))
    if value is None:
        raise ShopeeError("error_param", f"{key} should be an integer.")
    if (minimum is not None and value < minimum) or (maximum is not None and value > maximum):
        raise ShopeeError("error_param", f"{key} should be between {minimum} and {maximum}.")
    return value
