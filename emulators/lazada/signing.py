"""Lazada Open Platform (LAZOP) signatures (reference §2.3, §2.7), written from the documentation.

Every parameter of the call (system and business, query or form) except ``sign`` and files,
sorted by key (ASCII), concatenated ``key1value1key2value2…`` with raw values, prefixed with the
API path (``/orders/get``, without ``/rest``): ``sign = HEX_UPPER(HMAC_SHA256(app_secret, …))``.
Pushes: ``Authorization = hex_lower(HMAC_SHA256(app_secret, app_key + raw_body))``.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Mapping


def string_to_sign(api_path: str, params: Mapping[str, str]) -> str:
    return api_path + "".join(f"{k}{params[k]}" for k in sorted(params) if k != "sign")


def sign(app_secret: str, api_path: str, params: Mapping[str, str]) -> str:
    message = string_to_sign(api_path, params).encode()
    return hmac.new(app_secret.encode(), message, hashlib.sha256).hexdigest().upper()


def push_signature(app_key: str, app_secret: str, raw_body: bytes) -> str:
    return hmac.new(app_secret.encode(), app_key.encode() + raw_body, hashlib.sha256).hexdigest()


def signed_params(
    app_key: str,
    app_secret: str,
    api_path: str,
    params: Mapping,
    *,
    timestamp_ms: int,
    access_token=None,
) -> dict:
    """System parameters plus ``params``, signed (all values as strings)."""
    out = {"app_key": app_key, "timestamp": str(timestamp_ms), "sign_method": "sha256"}
    if access_token:
        out["access_token"] = access_token
    out.update({k: str(v) for k, v in params.items()})
    out["sign"] = sign(app_secret, api_path, out)
    return out
