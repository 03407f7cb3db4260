"""TikTok Shop Open API (202309+) signatures (reference §3.3, §3.7), written from the documentation.

Query parameters except ``sign`` and ``access_token``, sorted by key (repeated keys keep their
order), concatenated ``keyvalue``; the URL path in front; the raw body appended unless the
content type is ``multipart/form-data``; the whole wrapped in the app secret:
``sign = hex_lower(HMAC_SHA256(app_secret, app_secret + path + pairs + body + app_secret))``.
Webhooks: ``Authorization = hex_lower(HMAC_SHA256(app_secret, app_key + raw_body))``.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Iterable

EXCLUDED = frozenset({"sign", "access_token"})


def string_to_sign(
    app_secret: str,
    path: str,
    query: Iterable[tuple[str, str]],
    body: bytes | str | None = b"",
    content_type: str | None = "application/json",
) -> str:
    pairs = sorted((p for p in query if p[0] not in EXCLUDED), key=lambda p: p[0])
    parts = [app_secret, path, *(f"{k}{v}" for k, v in pairs)]
    if body and not (content_type or "").lower().startswith("multipart/form-data"):
        parts.append(body.decode() if isinstance(body, bytes | bytearray) else body)
    parts.append(app_secret)
    return "".join(parts)


def sign(
    app_secret: str,
    path: str,
    query: Iterable[tuple[str, str]],
    body: bytes | str | None = b"",
    content_type: str | None = "application/json",
) -> str:
    message = string_to_sign(app_secret, path, query, body, content_type).encode()
    return hmac.new(app_secret.encode(), message, hashlib.sha256).hexdigest()


def webhook_signature(app_key: str, app_secret: str, raw_body: bytes) -> str:
    return hmac.new(app_secret.encode(), app_key.encode() + raw_body, hashlib.sha256).hexdigest()


def signed_query(
    app_key: str,
    app_secret: str,
    path: str,
    params: Iterable[tuple[str, str]] | dict = (),
    *,
    timestamp: int,
    body: bytes = b"",
    shop_cipher: str | None = None,
) -> list[tuple[str, str]]:
    """``params`` plus ``app_key``, ``timestamp`` (and ``shop_cipher``), then ``sign``."""
    items = list(params.items()) if isinstance(params, dict) else list(params)
    query = [(k, str(v)) for k, v in items]
    if shop_cipher:
        query.append(("shop_cipher", shop_cipher))
    query += [("app_key", app_key), ("timestamp", str(timestamp))]
    query.append(("sign", sign(app_secret, path, query, body)))
    return query
