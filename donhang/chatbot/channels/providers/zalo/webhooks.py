"""Zalo OA webhooks: the MAC check and the user events. No ORM.

X-ZEvent-Signature: mac=<hex>, hex = SHA-256(app_id + raw body + timestamp + OA secret key),
a plain SHA-256 over the concatenation (not an HMAC), app_id and timestamp read from the body,
keyed with the OA secret key (not the app secret)."""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from datetime import UTC, datetime

from donhang.chatbot.channels.ports import InboundMessage, PermanentError

TEXT_EVENTS = {"user_send_text", "anonymous_send_text"}
MEDIA_EVENTS = {
    "user_send_image",
    "user_send_link",
    "user_send_audio",
    "user_send_video",
    "user_send_sticker",
    "user_send_gif",
    "user_send_location",
    "user_send_file",
    "user_send_business_card",
}


def mac(app_id: str, body: bytes, timestamp: str, oa_secret_key: str) -> str:
    data = app_id.encode() + body + str(timestamp).encode() + oa_secret_key.encode()
    return hashlib.sha256(data).hexdigest()


def verify(
    headers: dict[str, str],
    body: bytes,
    *,
    app_id: str,
    oa_secret_key: str,
    max_age_seconds: int,
    now: float | None = None,
) -> bool:
    if not oa_secret_key:
        return False
    lowered = {str(k).lower(): str(v) for k, v in headers.items()}
    sent = lowered.get("x-zevent-signature", "").strip()
    if not sent.startswith("mac="):
        return False
    try:
        payload = json.loads(body)
    except (ValueError, RecursionError):
        return False
    if not isinstance(payload, dict):
        return False
    body_app = _clean(payload.get("app_id"))
    timestamp = _clean(payload.get("timestamp"))
    if not body_app or not timestamp or (app_id and body_app != app_id):
        return False
    expected = "mac=" + mac(body_app, body, timestamp, oa_secret_key)
    # bytes: compare_digest refuses non-ASCII text, and a forged header must only fail
    if not hmac.compare_digest(sent.lower().encode("utf-8", "replace"), expected.encode()):
        return False
    # A replay window on the event's own time (milliseconds).
    try:
        sent_at = int(timestamp) / 1000
    except (ValueError, OverflowError):
        return False
    current = time.time() if now is None else now
    return abs(current - sent_at) <= max_age_seconds


def _clean(value) -> str:
    """Text a database can store from a JSON scalar: NUL and lone surrogates dropped; objects
    and lists (a field of the wrong kind) give ""."""
    if value is None or isinstance(value, dict | list):
        return ""
    return "".join(ch for ch in str(value) if ch != "\x00" and not 0xD800 <= ord(ch) <= 0xDFFF)


def _obj(value) -> dict:
    return value if isinstance(value, dict) else {}


def _items(value) -> list:
    return value if isinstance(value, list) else []


def parse(body: bytes) -> list[InboundMessage]:
    try:
        payload = json.loads(body)
    except (ValueError, RecursionError) as exc:
        raise PermanentError("not JSON", code="bad_payload") from exc
    if not isinstance(payload, dict):
        raise PermanentError("not an event", code="bad_payload")
    event = _clean(payload.get("event_name"))
    try:
        sent_at = datetime.fromtimestamp(int(payload.get("timestamp")) / 1000, tz=UTC)
    except (TypeError, ValueError, OverflowError, OSError):
        sent_at = None
    sender = _clean(_obj(payload.get("sender")).get("id"))
    recipient = _clean(_obj(payload.get("recipient")).get("id"))
    message = _obj(payload.get("message"))
    if event in TEXT_EVENTS or event in MEDIA_EVENTS:
        attachments = [
            {"type": _clean(a.get("type")), "url": _clean(_obj(a.get("payload")).get("url"))}
            for a in _items(message.get("attachments"))
            if isinstance(a, dict)
        ]
        return [
            InboundMessage(
                channel="zalo",
                account_id=recipient,
                user_id=sender,
                message_id=_clean(message.get("msg_id")),
                text=_clean(message.get("text")) if event in TEXT_EVENTS else "",
                sent_at=sent_at,
                attachments=attachments,
            )
        ]
    if event == "oa_send_text":
        return [
            InboundMessage(
                channel="zalo",
                account_id=sender,
                user_id=recipient,
                message_id=_clean(message.get("msg_id")),
                text=_clean(message.get("text")),
                sent_at=sent_at,
                echo=True,
            )
        ]
    if event == "follow":
        follower = _clean(_obj(payload.get("follower")).get("id"))
        return [
            InboundMessage(
                channel="zalo",
                account_id=_clean(payload.get("oa_id")) or recipient,
                user_id=follower,
                message_id=f"follow-{follower}-{_clean(payload.get('timestamp'))}",
                text="",
                sent_at=sent_at,
                kind="follow",
            )
        ]
    return []
