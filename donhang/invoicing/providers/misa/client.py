"""MISA meInvoice HTTP client: a token from /auth/token (app id, tax code, user, password;
about 14 days) sent as `Authorization: Bearer` with the seller's `CompanyTaxCode`; answers are
`{success, errorCode, descriptionErrorCode, data…}` inside HTTP 200, with key casing that
varies (read case-insensitively) and lists that may come as JSON strings."""

from __future__ import annotations

import json as jsonlib
import time
from collections.abc import Callable

import httpx

from donhang.core.integrations import (
    PermanentError,
    RetryableError,
    check_http_status,
    http_client,
    translate_transport_errors,
)

HOSTS = {
    "production": "https://api.meinvoice.vn/api/integration",
    "test": "https://testapi.meinvoice.vn/api/integration",
}
TOKEN_LIFETIME_SECONDS = 13 * 24 * 3600  # MISA's tokens last about 14 days
TOKEN_ERRORS = {"TokenExpiredCode", "InvalidTokenCode", "InvalidToken", "TokenExpired"}
RETRY_LATER = {"InvoiceNumberNotCotinuous", "InvoiceNumberNotContinuous", "SystemBusy"}
DUPLICATES = {"InvoiceDuplicated", "DuplicateInvoiceRefID"}


class TokenInvalid(PermanentError):
    pass


class Duplicate(PermanentError):
    """The invoice was issued before under the same RefID: look it up."""


def get(body, key: str, default=None):
    """A key of a MISA answer in any casing ("Success", "success", "SUCCESS")."""
    if not isinstance(body, dict):
        return default
    if key in body:
        return body[key]
    wanted = key.lower()
    for k, v in body.items():
        if isinstance(k, str) and k.lower() == wanted:
            return v
    return default


def as_list(value) -> list:
    """A list that MISA may send as a JSON string."""
    if isinstance(value, str):
        text = value.strip()
        if not text:
            return []
        try:
            value = jsonlib.loads(text)
        except ValueError:
            return []
    if isinstance(value, dict):
        return [value]
    return value if isinstance(value, list) else []


def error_for(code: str, message: str, details: dict | None = None):
    """The error kind of a MISA error code."""
    if code in TOKEN_ERRORS:
        return TokenInvalid(message, code=code, details=details)
    if code in RETRY_LATER:
        return RetryableError(message, code=code, details=details)
    if code in DUPLICATES:
        return Duplicate(message, code=code, details=details)
    return PermanentError(message, code=code or "refused", details=details)


class MisaClient:
    def __init__(
        self,
        *,
        base_url: str,
        app_id: str,
        tax_code: str,
        username: str,
        password: str,
        token: str = "",
        token_expires_at: float = 0.0,
        on_token: Callable[[str, float], None] | None = None,
        timeout: float = 60.0,
    ):
        self.base_url = base_url.rstrip("/")
        self.app_id = app_id
        self.tax_code = tax_code
        self.username = username
        self.password = password
        self.token = token
        self.token_expires_at = token_expires_at
        self.on_token = on_token
        self.timeout = timeout

    def _send(
        self, method: str, path: str, *, json=None, params=None, authenticated=True
    ) -> httpx.Response:
        headers = {"Accept": "application/json", "CompanyTaxCode": self.tax_code}
        if authenticated:
            headers["Authorization"] = f"Bearer {self.token}"
        with (
            translate_transport_errors(),
            http_client(self.base_url, timeout=self.timeout, headers=headers) as client,
        ):
            response = client.request(method, path, json=json, params=params)
        if response.status_code == 401:
            raise TokenInvalid("MISA refused the token (HTTP 401)", code="InvalidTokenCode")
        check_http_status(response)
        return response

    @staticmethod
    def _body(response: httpx.Response):
        try:
            body = response.json()
        except ValueError as exc:
            if response.status_code >= 400:
                raise PermanentError(
                    f"MISA answered HTTP {response.status_code}", code="http_error"
                ) from exc
            raise RetryableError(
                f"MISA answered something that is not JSON (HTTP {response.status_code})",
                code="bad_answer",
            ) from exc
        if response.status_code >= 400 and not isinstance(body, dict):
            raise PermanentError(f"MISA answered HTTP {response.status_code}", code="http_error")
        return body

    @staticmethod
    def check(body) -> dict:
        """The answer when `success` is true, else the error of its code (a bare list is an
        answer too)."""
        if isinstance(body, list):
            return {"success": True, "data": body}
        if not isinstance(body, dict):
            raise RetryableError("MISA answered an unexpected shape", code="bad_answer")
        if get(body, "success") is False or (
            get(body, "success") is None and get(body, "errorCode")
        ):
            code = str(get(body, "errorCode") or "")
            message = str(
                get(body, "descriptionErrorCode")
                or get(body, "description")
                or code
                or "MISA error"
            )
            raise error_for(code, message, body)
        return body

    def login(self) -> str:
        body = self.check(
            self._body(
                self._send(
                    "POST",
                    "/auth/token",
                    json={
                        "appid": self.app_id,
                        "taxcode": self.tax_code,
                        "username": self.username,
                        "password": self.password,
                    },
                    authenticated=False,
                )
            )
        )
        token = get(body, "data")
        if isinstance(token, dict):  # some answers wrap it: {"data": {"token": …}}
            token = get(token, "token") or get(token, "access_token")
        if not token:
            raise PermanentError("MISA log-in gave no token", code="login_failed")
        self.token = str(token)
        self.token_expires_at = time.time() + TOKEN_LIFETIME_SECONDS
        if self.on_token:
            self.on_token(self.token, self.token_expires_at)
        return self.token

    def call(self, method: str, path: str, *, json=None, params=None) -> dict:
        """An authenticated call, the envelope checked; a refused token gets one fresh log-in."""
        if not self.token or time.time() > self.token_expires_at:
            self.login()
        try:
            return self.check(self._body(self._send(method, path, json=json, params=params)))
        except TokenInvalid:
            self.login()
            return self.check(self._body(self._send(method, path, json=json, params=params)))
