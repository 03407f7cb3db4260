"""Lazada pushes (LPM): verify the Authorization header (HMAC over app_key + the raw body),
parse into push events. No ORM here."""

from __future__ import annotations

import hmac
import json

from donhang.marketplaces.convert import push_int, push_object, push_text, push_time
from donhang.marketplaces.ports import PermanentError, PushEvent
from donhang.marketplaces.providers.lazada.client import push_signature

TRADE_ORDER = 0
TOKEN_EXPIRY = 8


def verify_push(app_key: str, app_secret: str, *, headers: dict[str, str], body: bytes) -> bool:
    if not app_secret:
        return False
    given = {k.lower(): v for k, v in headers.items()}.get("authorization", "")
    # bytes: compare_digest refuses non-ASCII text (a forged header must answer 401)
    expected = push_signature(app_key, app_secret, body)
    return hmac.compare_digest(str(given).encode("utf-8", "replace"), expected.encode())


def parse_push(body: bytes) -> list[PushEvent]:
    try:
        payload = json.loads(body)
    except (ValueError, RecursionError) as exc:
        raise PermanentError("push body is not JSON") from exc
    if not isinstance(payload, dict) or "message_type" not in payload:
        raise PermanentError("not a Lazada push (no message_type)")
    kind = push_int(payload.get("message_type"), "message_type")
    data = push_object(payload.get("data"), "data")
    seller = push_text(payload.get("seller_id"), "seller_id")
    timestamp = push_text(payload.get("timestamp"), "timestamp")
    if kind == TRADE_ORDER:
        order_id = push_text(data.get("trade_order_id"), "trade_order_id")
        status = push_text(data.get("order_status"), "order_status")
        at = data.get("status_update_time") or payload.get("timestamp")
        updated_at = push_time(at, "status_update_time")
        line = push_text(data.get("trade_order_line_id"), "trade_order_line_id")
        return [
            PushEvent(
                kind="order",
                shop_id=seller,
                order_id=order_id,
                platform_status=status,
                updated_at=updated_at,
                dedupe_key=f"lazada:{seller}:{order_id}:{line}:{status}:{at}",
            )
        ]
    return [
        PushEvent(
            kind="token" if kind == TOKEN_EXPIRY else "other",
            shop_id=seller,
            dedupe_key=f"lazada:{seller}:{kind}:{timestamp}",
        )
    ]
