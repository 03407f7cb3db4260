"""TikTok Shop webhooks: verify the Authorization header (HMAC over app_key + the raw body),
parse into push events. No ORM here."""

from __future__ import annotations

import hmac
import json

from donhang.marketplaces.convert import push_int, push_object, push_text, push_time
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
    # bytes: compare_digest refuses non-ASCII text (a forged header must answer 401)
    expected = push_signature(app_key, app_secret, body)
    return hmac.compare_digest(str(given).encode("utf-8", "replace"), expected.encode())


def parse_push(body: bytes) -> list[PushEvent]:
    try:
        payload = json.loads(body)
    except (ValueError, RecursionError) as exc:
        raise PermanentError("webhook body is not JSON") from exc
    if not isinstance(payload, dict) or "type" not in payload:
        raise PermanentError("not a TikTok Shop webhook (no type)")
    kind = push_int(payload.get("type"), "type")
    data = push_object(payload.get("data"), "data")
    shop_id = push_text(payload.get("shop_id"), "shop_id")
    order_id = push_text(data.get("order_id"), "order_id")
    timestamp = push_text(payload.get("timestamp"), "timestamp")
    if kind in (ORDER_STATUS_CHANGE, CANCELLATION, RETURN) and order_id:
        status = push_text(data.get("order_status"), "order_status")
        at = data.get("update_time") or payload.get("timestamp")
        updated_at = push_time(at, "update_time")
        notification = push_text(payload.get("tts_notification_id"), "tts_notification_id")
        return [
            PushEvent(
                kind="order",
                shop_id=shop_id,
                order_id=order_id,
                platform_status=status,
                updated_at=updated_at,
                dedupe_key=f"tiktok:{shop_id}:{kind}:{order_id}:{status}:{at}:{notification}",
            )
        ]
    return [
        PushEvent(
            kind="token" if kind in AUTH_TYPES else "other",
            shop_id=shop_id,
            dedupe_key=f"tiktok:{shop_id}:{kind}:{timestamp}",
        )
    ]
