"""Viettel Post status callbacks: {"DATA": {...}, "TOKEN": "<your secret>"}; the secret may also
come in the Authorization header. No events follow 101/107/201/501/503/504. Every field is
checked for its kind and size: a callback that does not fit raises PermanentError. No ORM here."""

from __future__ import annotations

import json
from datetime import datetime
from zoneinfo import ZoneInfo

from donhang.shipping.carriers.ports import PermanentError, WebhookEvent
from donhang.shipping.carriers.webhook_fields import amount, secret_matches, text

VN = ZoneInfo("Asia/Ho_Chi_Minh")
TIME_FORMATS = ("%d/%m/%Y %H:%M:%S", "%d/%m/%Y %H:%M")


def verify_webhook(secret: str, headers: dict[str, str], body: bytes) -> bool:
    if not secret:
        return False
    lowered = {str(k).lower(): v for k, v in headers.items()}
    candidates = [str(lowered.get("authorization", "")).removeprefix("Bearer ").strip()]
    try:
        payload = json.loads(body)
    except (ValueError, RecursionError):
        payload = None
    if isinstance(payload, dict):
        candidates.append(payload.get("TOKEN"))
    return any(secret_matches(c, secret) for c in candidates)


def _time(value) -> datetime:
    """ "dd/mm/yyyy HH:MM:SS" in Vietnam's time; absent: now."""
    if value is None or value == "":
        return datetime.now(VN)
    if not isinstance(value, str) or len(value) > 40:
        raise PermanentError("ORDER_STATUSDATE is not a time")
    for fmt in TIME_FORMATS:
        try:
            return datetime.strptime(value.strip(), fmt).replace(tzinfo=VN)
        except ValueError:
            continue
    raise PermanentError("ORDER_STATUSDATE is not a time")


def parse_webhook(body: bytes, map_status) -> list[WebhookEvent]:
    try:
        payload = json.loads(body)
    except (ValueError, RecursionError) as exc:
        raise PermanentError("webhook body is not JSON") from exc
    data = payload.get("DATA") if isinstance(payload, dict) else None
    if not isinstance(data, dict) or "ORDER_NUMBER" not in data:
        raise PermanentError("not a Viettel Post callback (no DATA.ORDER_NUMBER)")
    number = text(data, "ORDER_NUMBER", max_length=40)
    reference = text(data, "ORDER_REFERENCE", max_length=40)
    if not number and not reference:
        raise PermanentError("the callback names no parcel (ORDER_NUMBER, ORDER_REFERENCE)")
    status = text(data, "ORDER_STATUS", max_length=10)
    at = _time(data.get("ORDER_STATUSDATE"))
    description = text(data, "STATUS_NAME", max_length=500, cut=True) or text(
        data, "NOTE", max_length=500, cut=True
    )
    return [
        WebhookEvent(
            tracking_code=number,
            reference=reference,
            carrier_status=status,
            status=map_status(status),
            at=at,
            description=description,
            reason_code=text(data, "REASON_CODE", max_length=40, cut=True),
            cod_amount=amount(data, "MONEY_COLLECTION"),
            fee=amount(data, "MONEY_TOTAL"),
            dedupe_key=f"vtp:{number}:{status}:{data.get('ORDER_STATUSDATE')}",
        )
    ]
