"""The web chat widget's visitor tokens and the shop's identity hash for logged-in customers.

A visitor token is "<widget id>:<visitor id>" signed with Django's TimestampSigner: the widget
script keeps it (localStorage) and sends it with every call; nothing else identifies the
visitor. A shop that knows its customer passes identifier + identifier_hash =
hex(HMAC-SHA256(widget secret, identifier)), computed on its server, never in the browser."""

from __future__ import annotations

import hashlib
import hmac
import secrets

from django.conf import settings
from django.core import signing

SALT = "donhang.chatbot.visitor"


def max_age() -> int:
    return int(getattr(settings, "CHATBOT_VISITOR_TOKEN_MAX_AGE", 60 * 60 * 24 * 90))


def new_visitor_id() -> str:
    return secrets.token_urlsafe(12)


def visitor_token(*, widget_id: int, visitor_id: str) -> str:
    return signing.TimestampSigner(salt=SALT).sign(f"{widget_id}:{visitor_id}")


def visitor_from_token(token: str, *, widget_id: int) -> str | None:
    """The visitor id of a valid, unexpired token of this widget, else None."""
    try:
        value = signing.TimestampSigner(salt=SALT).unsign(token or "", max_age=max_age())
    except signing.BadSignature:
        return None
    owner, _, visitor = value.partition(":")
    if owner != str(widget_id) or not visitor:
        return None
    return visitor


def identifier_hash(secret: str, identifier: str) -> str:
    return hmac.new(secret.encode(), identifier.encode(), hashlib.sha256).hexdigest()


def identifier_ok(secret: str, identifier: str, given_hash: str) -> bool:
    if not secret or not identifier or not given_hash:
        return False
    expected = identifier_hash(secret, identifier).encode()
    return hmac.compare_digest(expected, given_hash.lower().encode("utf-8", "replace"))
