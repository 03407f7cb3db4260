"""Viettel S-Invoice HTTP client: log in for an access token (sent as the `access_token`
cookie, and as a Bearer header, which some gateways read), or HTTP Basic for legacy accounts;
errors arrive inside HTTP 200 as `errorCode` + `description`; explicit timeouts (the provider
asks for 60–90 s)."""

from __future__ import annotations

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
    "production": "https://api-vinvoice.viettel.vn",
    # Viettel gives test accounts on the same API; a sandbox host, where one is given, goes in
    # the account's API address.
    "test": "https://api-vinvoice.viettel.vn",
}
API_PREFIX = "/services/einvoiceapplication/api/"
LOGIN_PATH = "/auth/login"
# Renew a token this long before the provider says it expires.
TOKEN_MARGIN_SECONDS = 30
OK_CODES = (None, "", 0, "0", "200", 200)


class TokenInvalid(PermanentError):
    pass


class NotFound(PermanentError):
    pass


def _message(body: dict, default: str) -> str:
    for key in ("description", "message", "error_description", "error", "data"):
        value = body.get(key)
        if value and isinstance(value, str):
            return value
    return default


class SInvoiceClient:
    def __init__(
        self,
        *,
        host: str,
        username: str,
        password: str,
        token: str = "",
        token_expires_at: float = 0.0,
        basic_auth: bool = False,
        on_token: Callable[[str, float], None] | None = None,
        timeout: float = 60.0,
    ):
        self.host = host.rstrip("/")
        self.username = username
        self.password = password
        self.token = token
        self.token_expires_at = token_expires_at
        self.basic_auth = basic_auth
        self.on_token = on_token
        self.timeout = timeout

    # --- transport ------------------------------------------------------------------------

    def _send(self, path: str, *, json=None, data=None, authenticated=True) -> httpx.Response:
        headers = {"Accept": "application/json"}
        cookies = {}
        auth = None
        if authenticated:
            if self.basic_auth:
                auth = httpx.BasicAuth(self.username, self.password)
            else:
                cookies["access_token"] = self.token
                headers["Authorization"] = f"Bearer {self.token}"
        with (
            translate_transport_errors(),
            http_client(self.host, timeout=self.timeout, headers=headers) as client,
        ):
            client.cookies.update(cookies)
            response = client.post(path, json=json, data=data, auth=auth)
        if response.status_code in (401, 403):
            raise TokenInvalid(
                f"S-Invoice refused the credentials (HTTP {response.status_code})",
                code="token_invalid",
            )
        check_http_status(response)
        return response

    @staticmethod
    def _body(response: httpx.Response) -> dict:
        try:
            body = response.json()
        except ValueError as exc:
            if response.status_code >= 400:
                raise PermanentError(
                    f"S-Invoice answered HTTP {response.status_code}", code="http_error"
                ) from exc
            raise RetryableError(
                f"S-Invoice answered something that is not JSON (HTTP {response.status_code})",
                code="bad_answer",
            ) from exc
        if not isinstance(body, dict):
            raise RetryableError("S-Invoice answered an unexpected shape", code="bad_answer")
        return body

    # --- auth -----------------------------------------------------------------------------

    def login(self) -> str:
        response = self._send(
            LOGIN_PATH,
            json={"username": self.username, "password": self.password},
            authenticated=False,
        )
        body = self._body(response)
        token = body.get("access_token")
        if not token:
            raise PermanentError(
                _message(body, "S-Invoice log-in gave no access token"), code="login_failed"
            )
        try:
            lifetime = float(body.get("expires_in") or 300)
        except (TypeError, ValueError):
            lifetime = 300.0
        self.token = str(token)
        self.token_expires_at = time.time() + lifetime
        if self.on_token:
            self.on_token(self.token, self.token_expires_at)
        return self.token

    def _ensure_token(self) -> None:
        if self.basic_auth:
            return
        if not self.token or time.time() > self.token_expires_at - TOKEN_MARGIN_SECONDS:
            self.login()

    # --- calls ----------------------------------------------------------------------------

    def call(self, endpoint: str, *, json=None, data=None) -> dict:
        """An authenticated POST to the API; the envelope checked. A refused token triggers
        one fresh log-in and one retry."""
        self._ensure_token()
        try:
            response = self._send(API_PREFIX + endpoint, json=json, data=data)
        except TokenInvalid:
            if self.basic_auth:
                raise
            self.login()
            response = self._send(API_PREFIX + endpoint, json=json, data=data)
        body = self._body(response)
        code = body.get("errorCode")
        if code in OK_CODES and not (body.get("error") and not body.get("result")):
            return body
        message = _message(body, f"S-Invoice error {code}")
        if code == "NOT_FOUND_DATA":
            raise NotFound(message, code=str(code), details=body)
        raise PermanentError(message, code=str(code or "error"), details=body)
