"""Shopee Open Platform v2 signatures (reference §1.3, §1.7), written from the documentation.

``sign = hex_lower(HMAC_SHA256(partner_key, base))`` where base is the plain concatenation
``partner_id + path + timestamp`` (public), ``+ access_token + shop_id`` (shop) or
``+ access_token + merchant_id`` (merchant). Pushes: ``HMAC_SHA256(partner_key, callback_url +
"|" + raw_body)`` in the ``Authorization`` header.
"""

from __future__ import annotations

import hashlib
import hmac


def hmac_hex(key: str, message: str | bytes) -> str:
    msg = message.encode() if isinstance(message, str) else message
    return hmac.new(key.encode(), msg, hashlib.sha256).hexdigest()


def public_base(partner_id, path: str, timestamp) -> str:
    return f"{partner_id}{path}{timestamp}"


def shop_base(partner_id, path: str, timestamp, access_token: str, shop_id) -> str:
    return f"{partner_id}{path}{timestamp}{access_token}{shop_id}"


def merchant_base(partner_id, path: str, timestamp, access_token: str, merchant_id) -> str:
    return f"{partner_id}{path}{timestamp}{access_token}{merchant_id}"


def sign(partner_key: str, base: str) -> str:
    return hmac_hex(partner_key, base)


def push_signature(partner_key: str, callback_url: str, raw_body: bytes) -> str:
    return hmac_hex(partner_key, callback_url.encode() + b"|" + raw_body)


def signed_query(
    partner_id, partner_key: str, path: str, timestamp, access_token=None, shop_id=None
) -> dict:
    """The common query parameters of a call (shop-level when a token and shop are given)."""
    if access_token is None:
        base = public_base(partner_id, path, timestamp)
        query = {"partner_id": partner_id, "timestamp": timestamp}
    else:
        base = shop_base(partner_id, path, timestamp, access_token, shop_id)
        query = {
            "partner_id": partner_id,
            "timestamp": timestamp,
            "access_token": access_token,
            "shop_id": shop_id,
        }
    query["sign"] = sign(partner_key, base)
    return query
