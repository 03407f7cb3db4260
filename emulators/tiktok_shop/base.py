"""Constants, errors and the endpoint wrapper shared by the tiktok_shop emulator's handlers."""

from __future__ import annotations

import base64
import functools
import json

from werkzeug.wrappers import Request

V = r"(?P<version>\d{6})"
ID = r"(?P<{}>[0-9A-Za-z_-]+)"
PRODUCT_STATUS = {
    "active": "ACTIVATE",
    "inactive": "SELLER_DEACTIVATED",
    "deleted": "DELETED",
    "pending": "PENDING",
}
PRODUCT_FILTERS = {
    "ALL",
    "DRAFT",
    "PENDING",
    "FAILED",
    "ACTIVATE",
    "SELLER_DEACTIVATED",
    "PLATFORM_DEACTIVATED",
    "FREEZE",
    "DELETED",
}
DOCUMENT_TYPES = {"SHIPPING_LABEL", "PACKING_SLIP", "SHIPPING_LABEL_AND_PACKING_SLIP"}
EVENT_TYPES = {
    "ORDER_STATUS_CHANGE": 1,
    "RECIPIENT_ADDRESS_UPDATE": 3,
    "PACKAGE_UPDATE": 4,
    "PRODUCT_STATUS_CHANGE": 5,
    "SELLER_DEAUTHORIZATION": 6,
    "UPCOMING_AUTHORIZATION_EXPIRATION": 7,
    "CANCELLATION_STATUS_CHANGE": 11,
    "RETURN_STATUS_CHANGE": 12,
}


class TiktokError(Exception):
    def __init__(self, code: int, message: str, status: int = 200):
        super().__init__(message)
        self.code = code
        self.message = message
        self.status = status


def bad(message: str) -> TiktokError:
    return TiktokError(40001, message, 400)


def not_found(message: str) -> TiktokError:
    return TiktokError(40004, message, 404)


def conflict(message: str) -> TiktokError:
    return TiktokError(40009, message, 400)


def endpoint(*, cipher: bool = True):
    """Wrap a handler ``(self, request, body, shop, **path)``: signature, token, shop cipher,
    rate limit. ``shop`` is the shop dict (None when ``cipher=False``; then the seller id)."""

    def decorator(fn):
        @functools.wraps(fn)
        def wrapper(self, request: Request, **path):
            try:
                with self.lock:
                    shop = self.authenticate(request, cipher, fn.__name__)
                    body = self.read_body(request)
                    return fn(self, request, body, shop, **path)
            except TiktokError as exc:
                return self.error_response(exc)

        return wrapper

    return decorator


def money(value: int) -> str:
    return str(int(value))


def encode_token(key: tuple) -> str:
    return base64.urlsafe_b64encode(json.dumps(list(key)).encode()).decode().rstrip("=")


def decode_token(token: str) -> tuple:
    try:
        padded = token + "=" * (-len(token) % 4)
        return tuple(json.loads(base64.urlsafe_b64decode(padded)))
    except ValueError:
        raise bad("Invalid page_token") from None
