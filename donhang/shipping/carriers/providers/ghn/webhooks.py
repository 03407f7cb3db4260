"""GHN status callbacks: not signed by GHN, so a shared secret is checked (header
X-Webhook-Secret, or a `secret` query parameter in the URL given to GHN). No ORM here."""

from __future__ import annotations

import hmac
import json
from datetime import UTC, datetime

from donhang.shipping.carriers.ports import PermanentError, WebhookEvent

SECRET_HEADER = "x-webhook-secret"


def verify_webhook(secret: str, headers: dict[str, str], query: dict) -> bool:
    if not secret:
        return False
    lowered = {k.lower(): v for k, v in headers.items()}
    given = lowered.get(SECRET_HEADER) or query.get("secret") or ""
    return hmac.compare_digest(str(given), secret)


def _time(value) -> datetime:
    if isinstance(value, int | float):
        return datetime.fromtimestamp(value, tz=UTC)
    try:
        return datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        return datetime.now(UTC)


def parse_webhook(body: bytes, map_status) -> list[WebhookEvent]:
    try:
        payload = json.loads(body)
    except ValueError as exc:
        raise PermanentError("webhook body is not JSON") from exc
    if not isinstance(payload, dict) or "OrderCode" not in payload:
        raise PermanentError("not a GHN callback (no OrderCode)")
    status = payload.get("Status") or ""
    kind = payload.get("Type") or ""
    if kind and kind.lower() not in ("switch_status", "create") and not status:
        return []
    fee = payload.get("TotalFee")
    if fee is None and isinstance(payload.get("Fee"), dict):
        fee = payload["Fee"].get("Total")
    return [
        WebhookEvent(
            tracking_code=payload["OrderCode"],
            reference=payload.get("ClientOrderCode") or "",
            carrier_status=status,
            status=map_status(status),
            at=_time(payload.get("Time")),
            description=payload.get("Description") or payload.get("Reason") or "",
            reason_code=payload.get("ReasonCode") or "",
            cod_amount=payload.get("CODAmount"),
            fee=fee,
            dedupe_key=f"ghn:{payload['OrderCode']}:{kind}:{status}:{payload.get('Time')}",
        )
    ]
