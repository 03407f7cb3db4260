"""Viettel Post status callbacks: {"DATA": {...}, "TOKEN": "<your secret>"}; the secret may also
come in the Authorization header. No events follow 101/107/201/501/503/504. No ORM here."""

from __future__ import annotations

import hmac
import json
from datetime import datetime
from zoneinfo import ZoneInfo

from donhang.shipping.carriers.ports import PermanentError, WebhookEvent

VN = ZoneInfo("Asia/Ho_Chi_Minh")


def verify_webhook(secret: str, headers: dict[str, str], body: bytes) -> bool:
    if not secret:
        return False
    lowered = {k.lower(): v for k, v in headers.items()}
    candidates = [lowered.get("authorization", "").removeprefix("Bearer ").strip()]
    try:
        payload = json.loads(body)
        if isinstance(payload, dict):
            candidates.append(str(payload.get("TOKEN") or ""))
    except ValueError:
        pass
    return any(c and hmac.compare_digest(c, secret) for c in candidates)


def _time(text: str | None) -> datetime:
    try:
        return datetime.strptime(text or "", "%d/%m/%Y %H:%M:%S").replace(tzinfo=VN)
    except ValueError:
        return datetime.now(VN)


def parse_webhook(body: bytes, map_status) -> list[WebhookEvent]:
    try:
        payload = json.loads(body)
    except ValueError as exc:
        raise PermanentError("webhook body is not JSON") from exc
    data = payload.get("DATA") if isinstance(payload, dict) else None
    if not isinstance(data, dict) or "ORDER_NUMBER" not in data:
        raise PermanentError("not a Viettel Post callback (no DATA.ORDER_NUMBER)")
    status = str(data.get("ORDER_STATUS", ""))
    return [
        WebhookEvent(
            tracking_code=str(data["ORDER_NUMBER"]),
            reference=str(data.get("ORDER_REFERENCE") or ""),
            carrier_status=status,
            status=map_status(status),
            at=_time(data.get("ORDER_STATUSDATE")),
            description=str(data.get("STATUS_NAME") or data.get("NOTE") or ""),
            reason_code=str(data.get("REASON_CODE") or ""),
            cod_amount=data.get("MONEY_COLLECTION"),
            fee=data.get("MONEY_TOTAL"),
            dedupe_key=f"vtp:{data['ORDER_NUMBER']}:{status}:{data.get('ORDER_STATUSDATE')}",
        )
    ]
