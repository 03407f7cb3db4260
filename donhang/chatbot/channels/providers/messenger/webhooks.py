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
    if not hmac.compare_digest(str(query.get("hub.verify_token", "")), verify_token):
        return None
    challenge = str(query.get("hub.challenge", ""))
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
    return hmac.compare_digest(sent.lower(), signature(body, app_secret))


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
    except ValueError as exc:
        raise PermanentError("not JSON", code="bad_payload") from exc
    if not isinstance(payload, dict) or payload.get("object") != "page":
        raise PermanentError("not a page webhook", code="bad_payload")
    out: list[InboundMessage] = []
    for entry in payload.get("entry") or []:
        if not isinstance(entry, dict):
            continue
        for item in entry.get("messaging") or []:
            if not isinstance(item, dict):
                continue
            sender = str((item.get("sender") or {}).get("id") or "")
            recipient = str((item.get("recipient") or {}).get("id") or entry.get("id") or "")
            message = item.get("message")
            postback = item.get("postback")
            if isinstance(message, dict):
                echo = bool(message.get("is_echo"))
                quick = (message.get("quick_reply") or {}).get("payload")
                attachments = [
                    {"type": a.get("type"), "url": (a.get("payload") or {}).get("url", "")}
                    for a in message.get("attachments") or []
                    if isinstance(a, dict)
                ]
                out.append(
                    InboundMessage(
                        channel="messenger",
                        # An echo is sent by the page to the customer: the page is the sender.
                        account_id=sender if echo else recipient,
                        user_id=recipient if echo else sender,
                        message_id=str(message.get("mid") or ""),
                        text=str(message.get("text") or quick or ""),
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
                        message_id=str(postback.get("mid") or f"postback-{item.get('timestamp')}"),
                        text=str(postback.get("title") or postback.get("payload") or ""),
                        sent_at=_time(item.get("timestamp")),
                        kind="postback",
                    )
                )
    return out
