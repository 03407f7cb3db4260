"""TikTok Shop webhooks: verify the Authorization header (HMAC over app_key + the raw body),
parse into push events. No ORM here."""

from __future__ import annotations

import hmac
import json

from donhang.marketplaces.convert import from_unix, text_id
from donhang.marketplaces.ports import PermanentError, PushEvent
from donhang.marketplaces.providers.tiktok_shop.client import push_signature

ORDER_STATUS_CHANGE = 1
CANCELLATION = 11
RETURN = 12
AUTH_TYPES = {6, 7}


def verify_push(app_key: str, app_secret: str, *, headers: dict[str, str], body: bytes) -> bool:
    if not app_secret:
        return False
    given = {k.lower(): v for k, v in headers.items()}.get("authorization", "")
    return hmac.compare_digest(str(given), push_signature(app_key, app_secret, body))


def parse_push(body: bytes) -> list[PushEvent]:
    try:
        payload = json.loads(body)
    except ValueError as exc:
        raise PermanentError("webhook body is not JSON") from exc
    if not isinstance(payload, dict) or "type" not in payload:
        raise PermanentError("not a TikTok Shop webhook (no type)")
    kind = int(payload.get("type") or 0)
    data = payload.get("data") or {}
    shop_id = text_id(payload.get("shop_id"))
    order_id = text_id(data.get("order_id"))
    if kind in (ORDER_STATUS_CHANGE, CANCELLATION, RETURN) and order_id:
        status = data.get("order_status") or ""
        at = data.get("update_time") or payload.get("timestamp")
        notification = payload.get("tts_notification_id") or ""
        return [
            PushEvent(
                kind="order",
                shop_id=shop_id,
                order_id=order_id,
                platform_status=status,
                updated_at=from_unix(at),
                dedupe_key=f"tiktok:{shop_id}:{kind}:{order_id}:{status}:{at}:{notification}",
            )
        ]
    return [
        PushEvent(
            kind="token" if kind in AUTH_TYPES else "other",
            shop_id=shop_id,
            dedupe_key=f"tiktok:{shop_id}:{kind}:{payload.get('timestamp')}",
        )
    ]
