"""Viettel Post HTTP client: `Token` header, the {status, error, message, data} envelope
(errors inside HTTP 200), login → long-lived owner token, explicit timeouts."""

from __future__ import annotations

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
    "production": "https://partner.viettelpost.vn",
    "test": "https://partnerdev.viettelpost.vn",
}
PRINT_HOSTS = {
    "production": "https://digitalize.viettelpost.vn",
    "test": "https://dev-print.viettelpost.vn",
}


class TokenInvalid(PermanentError):
    pass


class ViettelPostClient:
    def __init__(
        self,
        *,
        host: str,
        username: str,
        password: str,
        token: str = "",
        on_token: Callable[[str], None] | None = None,
        timeout: float = 20.0,
    ):
        self.host = host.rstrip("/")
        self.username = username
        self.password = password
        self.token = token
        self.on_token = on_token
        self.timeout = timeout

    def _send(
        self,
        method: str,
        path: str,
        *,
        json: dict | list | None = None,
        params: dict | None = None,
        token: str | None = None,
    ) -> httpx.Response:
        headers = {"Content-Type": "application/json"}
        if token:
            headers["Token"] = token
        with translate_transport_errors(), http_client(self.host, timeout=self.timeout) as client:
            response = client.request(method, path, json=json, params=params, headers=headers)
        check_http_status(response)
        return response

    @staticmethod
    def _envelope(response: httpx.Response):
        try:
            body = response.json()
        except ValueError as exc:
            raise RetryableError(
                f"Viettel Post answered something that is not JSON (HTTP {response.status_code})"
            ) from exc
        if isinstance(body, list):  # getPriceAll answers a bare array
            return body
        if response.status_code == 401 or (
            body.get("error") and "token" in str(body.get("message", "")).lower()
        ):
            raise TokenInvalid(
                str(body.get("message") or "Token invalid"), code="token_invalid", details=body
            )
        if body.get("error"):
            message = str(body.get("message") or "Viettel Post error")
            status = body.get("status")
            if isinstance(status, int) and status >= 500:
                raise RetryableError(message, code=f"status_{status}", details=body)
            raise PermanentError(message, code="rejected", details=body)
        return body.get("data")

    def login(self) -> str:
        """Short token from /v2/user/Login, then the long-lived owner token from /v2/user/ownerconnect."""
        body = {"USERNAME": self.username, "PASSWORD": self.password}
        short = self._envelope(self._send("POST", "/v2/user/Login", json=body))
        short_token = short.get("token") if isinstance(short, dict) else None
        if not short_token:
            raise PermanentError("Viettel Post login gave no token", code="login_failed")
        data = self._envelope(
            self._send("POST", "/v2/user/ownerconnect", json=body, token=short_token)
        )
        token = data.get("token") if isinstance(data, dict) else None
        if not token:
            raise PermanentError("Viettel Post gave no owner token", code="login_failed")
        self.token = token
        if self.on_token:
            self.on_token(token)
        return token

    def call(
        self, method: str, path: str, *, json: dict | list | None = None, params: dict | None = None
    ):
        """An authenticated call; a rejected token triggers one fresh login and one retry."""
        if not self.token:
            self.login()
        try:
            return self._envelope(
                self._send(method, path, json=json, params=params, token=self.token)
            )
        except TokenInvalid:
            self.login()
            return self._envelope(
                self._send(method, path, json=json, params=params, token=self.token)
            )

    def call_raw(self, method: str, path: str, *, json: dict | None = None):
        """The whole envelope (printing-code returns its code in `message`)."""
        if not self.token:
            self.login()
        response = self._send(method, path, json=json, token=self.token)
        self._envelope(response)
        return response.json()

    def get_page(self, url: str, *, accept: str) -> httpx.Response:
        host = url.split("/", 3)
        base = "/".join(host[:3])
        with translate_transport_errors(), http_client(base, timeout=self.timeout) as client:
            response = client.get(url[len(base) :], headers={"Accept": accept})
        check_http_status(response)
        if response.status_code >= 400:
            raise PermanentError(f"label page answered HTTP {response.status_code}")
        return response
