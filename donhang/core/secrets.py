"""Encryption at rest for connection secrets (tokens, passwords). The key is derived from
SECRET_KEY (or DONHANG_ENCRYPTION_KEY when set, so SECRET_KEY can rotate independently)."""

from __future__ import annotations

import base64
import hashlib
import json
import os

from cryptography.fernet import Fernet, InvalidToken
from django.conf import settings


def _fernet() -> Fernet:
    material = os.environ.get("DONHANG_ENCRYPTION_KEY") or settings.SECRET_KEY
    key = base64.urlsafe_b64encode(
        hashlib.sha256(("donhang-secrets:" + material).encode()).digest()
    )
    return Fernet(key)


def encrypt_json(data: dict) -> str:
    return _fernet().encrypt(json.dumps(data).encode()).decode()


def decrypt_json(token: str) -> dict:
    if not token:
        return {}
    try:
        return json.loads(_fernet().decrypt(token.encode()))
    except InvalidToken as exc:
        raise ValueError("cannot decrypt: the encryption key changed") from exc
