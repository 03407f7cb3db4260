"""GHN status callbacks: not signed by GHN, so a shared secret is checked (header
X-Webhook-Secret, or a `secret` query parameter in the URL given to GHN). Every field is checked
for its kind and size: a callback that does not fit raises PermanentError. No ORM here."""

from __future__ import annotations

import json
import math
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from donhang.shipping.carriers.ports import PermanentError, WebhookEvent
from donhang.shipping.carriers.webhook_fields import amount, secret_matches, text

SECRET_HEADER = "x-webhook-secret"
VN = ZoneInfo("Asia/Ho_Chi_Minh")
# Event times outside these years are not times a parcel moved.
YEARS = (2000, 2100)


def verify_webhook(secret: str, headers: dict[str, str], query: dict) -> bool:
    if not secret:
        return False
    lowered = {str(k).lower(): v for k, v in headers.items()}
    given = lowered.get(SECRET_HEADER) or query.get("secret") or ""
    return secret_matches(given, secret)


def _time(value) -> datetime:
    """GHN's "Time": ISO 8601 (UTC with Z), or a Unix timestamp; absent: now."""
    if value is None or value == "":
        return datetime.now(UTC)
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        raise PermanentError("Time is not a time")
    try:
        if isinstance(value, str):
            if len(value) > 40:
                raise ValueError(value)
            at = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
            if at.tzinfo is None:
                at = at.replace(tzinfo=VN)
        else:
            if not math.isfinite(value):
                raise ValueError(value)
            at = datetime.fromtimestamp(value, tz=UTC)
    except (ValueError, OverflowError, OSError):
        raise PermanentError("Time is not a time") from None
    if not YEARS[0] <= at.year <= YEARS[1]:
        raise PermanentError("Time is out of range")
    return at


def parse_webhook(body: bytes, map_status) -> list[WebhookEvent]:
    try:
        payload = json.loads(body)
    except (ValueError, RecursionError) as exc:
        raise PermanentError("webhook body is not JSON") from exc
    if not isinstance(payload, dict) or "OrderCode" not in payload:
        raise PermanentError("not a GHN callback (no OrderCode)")
    order_code = text(payload, "OrderCode", max_length=40)
    reference = text(payload, "ClientOrderCode", max_length=40)
    if not order_code and not reference:
        raise PermanentError("the callback names no parcel (OrderCode, ClientOrderCode)")
    status = text(payload, "Status", max_length=40)
    kind = text(payload, "Type", max_length=40)
    at = _time(payload.get("Time"))
    if kind and kind.lower() not in ("switch_status", "create") and not status:
        return []
    fee = amount(payload, "TotalFee")
    if fee is None and isinstance(payload.get("Fee"), dict):
        fee = amount(payload["Fee"], "Total")
    description = text(payload, "Description", max_length=500, cut=True) or text(
        payload, "Reason", max_length=500, cut=True
    )
    return [
        WebhookEvent(
            tracking_code=order_code,
            reference=reference,
            carrier_status=status,
            status=map_status(status),
            at=at,
            description=description,
            reason_code=text(payload, "ReasonCode", max_length=40, cut=True),
            cod_amount=amount(payload, "CODAmount"),
            fee=fee,
            dedupe_key=f"ghn:{order_code}:{kind}:{status}:{payload.get('Time')}",
        )
    ]
