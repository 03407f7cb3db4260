"""Lazada pushes (LPM): verify the Authorization header (HMAC over app_key + the raw body),
parse into push events. No ORM here."""

from __future__ import annotations

import hmac
import json

from donhang.marketplaces.convert import from_unix, text_id
from donhang.marketplaces.ports import PermanentError, PushEvent
from donhang.marketplaces.providers.lazada.client import push_signature

TRADE_ORDER = 0
TOKEN_EXPIRY = 8


def verify_push(app_key: str, app_secret: str, *, headers: dict[str, str], body: bytes) -> bool:
    if not app_secret:
        return False
    given = {k.lower(): v for k, v in headers.items()}.get("authorization", "")
    return hmac.compare_digest(str(given), push_signature(app_key, app_secret, body))


def parse_push(body: bytes) -> list[PushEvent]:
    try:
        payload = json.loads(body)
    except ValueError as exc:
        raise PermanentError("push body is not JSON") from exc
    if not isinstance(payload, dict) or "message_type" not in payload:
        raise PermanentError("not a Lazada push (no message_type)")
    kind = int(payload.get("message_type") or 0)
    data = payload.get("data") or {}
    seller = text_id(payload.get("seller_id"))
    if kind == TRADE_ORDER:
        order_id = text_id(data.get("trade_order_id"))
        status = data.get("order_status") or ""
        at = data.get("status_update_time") or payload.get("timestamp")
        line = text_id(data.get("trade_order_line_id"))
        return [
            PushEvent(
                kind="order",
                shop_id=seller,
                order_id=order_id,
                platform_status=status,
                updated_at=from_unix(at),
                dedupe_key=f"lazada:{seller}:{order_id}:{line}:{status}:{at}",
            )
        ]
    return [
        PushEvent(
            kind="token" if kind == TOKEN_EXPIRY else "other",
            shop_id=seller,
            dedupe_key=f"lazada:{seller}:{kind}:{payload.get('timestamp')}",
        )
    ]
