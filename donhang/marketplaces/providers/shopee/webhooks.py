"""Shopee pushes: verify the Authorization header (HMAC over the registered callback URL, "|"
and the raw body), parse into push events. No ORM here."""

from __future__ import annotations

import hmac
import json

from donhang.marketplaces.convert import push_int, push_object, push_text, push_time
from donhang.marketplaces.ports import PermanentError, PushEvent
from donhang.marketplaces.providers.shopee.client import push_signature

ORDER_STATUS = 3
TRACKING_NUMBER = 4
AUTH_CODES = {1: "authorized", 2: "deauthorized", 12: "authorization_expiring"}


def verify_push(partner_key: str, *, headers: dict[str, str], body: bytes, url: str) -> bool:
    if not partner_key:
        return False
    given = {k.lower(): v for k, v in headers.items()}.get("authorization", "")
    # bytes: compare_digest refuses non-ASCII text (a forged header must answer 401)
    expected = push_signature(partner_key, url, body)
    return hmac.compare_digest(str(given).encode("utf-8", "replace"), expected.encode())


def parse_push(body: bytes) -> list[PushEvent]:
    try:
        payload = json.loads(body)
    except (ValueError, RecursionError) as exc:
        raise PermanentError("push body is not JSON") from exc
    if not isinstance(payload, dict) or "code" not in payload:
        raise PermanentError("not a Shopee push (no code)")
    code = push_int(payload.get("code"), "code")
    data = push_object(payload.get("data"), "data")
    shop_id = push_text(payload.get("shop_id") or data.get("shop_id"), "shop_id")
    order_id = push_text(data.get("ordersn") or data.get("order_sn"), "ordersn")
    timestamp = push_text(payload.get("timestamp"), "timestamp")
    if code in (ORDER_STATUS, TRACKING_NUMBER) and order_id:
        status = push_text(data.get("status"), "status")
        update_time = data.get("update_time") or payload.get("timestamp")
        updated_at = push_time(update_time, "update_time")
        detail = (
            status if code == ORDER_STATUS else push_text(data.get("tracking_no"), "tracking_no")
        )
        return [
            PushEvent(
                kind="order",
                shop_id=shop_id,
                order_id=order_id,
                platform_status=status,
                updated_at=updated_at,
                dedupe_key=f"shopee:{shop_id}:{code}:{order_id}:{detail}:{update_time}",
            )
        ]
    kind = "token" if code in AUTH_CODES else "other"
    return [
        PushEvent(
            kind=kind,
            shop_id=shop_id,
            dedupe_key=f"shopee:{shop_id}:{code}:{timestamp}",
        )
    ]
