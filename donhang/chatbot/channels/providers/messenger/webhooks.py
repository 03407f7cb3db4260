"""Messenger webhooks: the subscription handshake, the X-Hub-Signature-256 check on the raw
body, and the events of a page (messages, postbacks, echoes). No ORM."""

from __future__ import annotations

import hashlib
import hmac
import json
from datetime import UTC, datetime

from donhang.chatbot.channels.ports import InboundMessage, PermanentError


def verify_subscription(query: dict, verify_token: str) -> str | None:
    """The challenge to echo back when the mode and token match (GET handshake), else None."""
    if not verify_token:
        return None
    if query.get("hub.mode") != "subscribe":
        return None
    given = str(query.get("hub.verify_token", "")).encode("utf-8", "replace")
    if not hmac.compare_digest(given, verify_token.encode("utf-8", "replace")):
        return None
    challenge = _clean(query.get("hub.challenge", ""))
    return challenge if challenge else None


def signature(body: bytes, app_secret: str) -> str:
    return "sha256=" + hmac.new(app_secret.encode(), body, hashlib.sha256).hexdigest()


def verify_signature(headers: dict[str, str], body: bytes, app_secret: str) -> bool:
    """HMAC-SHA256 of the raw body bytes keyed with the App Secret, as sent by Meta in
    X-Hub-Signature-256 ("sha256=<hex>"); never the re-serialised JSON."""
    if not app_secret:
        return False
    lowered = {str(k).lower(): str(v) for k, v in headers.items()}
    sent = lowered.get("x-hub-signature-256", "").strip()
    if not sent.startswith("sha256="):
        return False
    # bytes: compare_digest refuses non-ASCII text, and a forged header must only fail
    expected = signature(body, app_secret).encode()
    return hmac.compare_digest(sent.lower().encode("utf-8", "replace"), expected)


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


def _time(ms) -> datetime | None:
    try:
        return datetime.fromtimestamp(int(ms) / 1000, tz=UTC)
    except (TypeError, ValueError, OverflowError, OSError):
        return None


def parse(body: bytes) -> list[InboundMessage]:
    """Every message and postback of every entry (both arrays iterated). Deliveries and reads
    carry no text and are left out."""
    try:
        payload = json.loads(body)
    except (ValueError, RecursionError) as exc:
        raise PermanentError("not JSON", code="bad_payload") from exc
    if not isinstance(payload, dict) or payload.get("object") != "page":
        raise PermanentError("not a page webhook", code="bad_payload")
    out: list[InboundMessage] = []
    for entry in _items(payload.get("entry")):
        if not isinstance(entry, dict):
            continue
        for item in _items(entry.get("messaging")):
            if not isinstance(item, dict):
                continue
            sender = _clean(_obj(item.get("sender")).get("id"))
            recipient = _clean(_obj(item.get("recipient")).get("id") or entry.get("id"))
            message = item.get("message")
            postback = item.get("postback")
            if isinstance(message, dict):
                echo = message.get("is_echo") is True
                quick = _obj(message.get("quick_reply")).get("payload")
                attachments = [
                    {
                        "type": _clean(a.get("type")),
                        "url": _clean(_obj(a.get("payload")).get("url")),
                    }
                    for a in _items(message.get("attachments"))
                    if isinstance(a, dict)
                ]
                out.append(
                    InboundMessage(
                        channel="messenger",
                        # An echo is sent by the page to the customer: the page is the sender.
                        account_id=sender if echo else recipient,
                        user_id=recipient if echo else sender,
                        message_id=_clean(message.get("mid")),
                        text=_clean(message.get("text") or quick),
                        sent_at=_time(item.get("timestamp")),
                        attachments=attachments,
                        echo=echo,
                    )
                )
            elif isinstance(postback, dict):
                out.append(
                    InboundMessage(
                        channel="messenger",
                        account_id=recipient,
                        user_id=sender,
                        message_id=_clean(postback.get("mid"))
                        or f"postback-{_clean(item.get('timestamp'))}",
                        text=_clean(postback.get("title") or postback.get("payload")),
                        sent_at=_time(item.get("timestamp")),
                        kind="postback",
                    )
                )
    return out
