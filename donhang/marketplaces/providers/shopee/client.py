"""Shopee Open Platform v2 HTTP client: the partner signature (HMAC-SHA256, lower-case hex) over
partner_id + path + timestamp [+ access_token + shop_id], common parameters in the query, JSON
bodies unsigned, the {error, message, response, request_id} envelope (errors often in HTTP 200).
Signed HTTP only; no mapping here."""

from __future__ import annotations

import hashlib
import hmac
import time
from collections.abc import Callable
from urllib.parse import urlencode

import httpx

from donhang.core.integrations import (
    PermanentError,
    RetryableError,
    http_client,
    translate_transport_errors,
)
from donhang.marketplaces.http import (
    Throttle,
    TokenHolder,
    retry_after_seconds,
    with_rate_limit_retries,
)
from donhang.marketplaces.ports import ReauthorizationNeeded, TokenExpired

HOSTS = {
    "production": "https://partner.shopeemobile.com",
    "test": "https://openplatform.sandbox.test-stable.shopee.sg",
}
PREFIX = "/api/v2/"

# "invalid_acceess_token" (sic) is what Shopee says of an expired token; "error_auth" also
# covers unknown partners and shops, so only its access-token messages mean "refresh".
TOKEN_ERRORS = {"invalid_acceess_token", "invalid_access_token"}
REAUTHORIZE_ERRORS = {
    "refresh_token_expired",
    "shop_access_expired",
    "error_shop_refresh_token",
    "error_refresh_token",
    "invalid_refresh_token",
}
RETRYABLE_ERRORS = {"error_server", "error_busy", "error_inner", "error_system_busy"}
RATE_ERRORS = {"error_rate_limit", "error_limit"}


def sign(partner_key: str, base: str) -> str:
    return hmac.new(partner_key.encode(), base.encode(), hashlib.sha256).hexdigest()


def base_string(
    partner_id: str | int, path: str, timestamp: int, access_token: str = "", shop_id: str = ""
) -> str:
    """Public calls: partner_id + path + timestamp; shop calls add access_token + shop_id."""
    return f"{partner_id}{path}{timestamp}{access_token}{shop_id}"


def push_signature(partner_key: str, callback_url: str, body: bytes) -> str:
    """A push's Authorization header: HMAC(partner_key, callback_url + "|" + raw body)."""
    message = callback_url.encode() + b"|" + body
    return hmac.new(partner_key.encode(), message, hashlib.sha256).hexdigest()


class ShopeeClient:
    def __init__(
        self,
        *,
        host: str,
        partner_id: str,
        partner_key: str,
        shop_id: str = "",
        tokens: TokenHolder | None = None,
        throttle: Throttle | None = None,
        clock: Callable[[], float] = time.time,
        timeout: float = 20.0,
    ):
        self.host = host.rstrip("/")
        self.partner_id = str(partner_id)
        self.partner_key = partner_key
        self.shop_id = str(shop_id or "")
        self.tokens = tokens or TokenHolder("")
        self.throttle = throttle
        self.clock = clock
        self.timeout = timeout

    def path(self, name: str) -> str:
        return PREFIX + name.lstrip("/")

    def common(self, path: str, *, access_token: str = "", shop: bool = False) -> dict:
        timestamp = int(self.clock())
        params = {"partner_id": self.partner_id, "timestamp": timestamp}
        if shop:
            base = base_string(self.partner_id, path, timestamp, access_token, self.shop_id)
            params.update(access_token=access_token, shop_id=self.shop_id)
        else:
            base = base_string(self.partner_id, path, timestamp)
        params["sign"] = sign(self.partner_key, base)
        return params

    def auth_link(self, redirect: str) -> str:
        path = self.path("shop/auth_partner")
        params = self.common(path)
        params["redirect"] = redirect
        return f"{self.host}{path}?{urlencode(params)}"

    # --- calls -----------------------------------------------------------------------------

    def public(self, method: str, name: str, *, params: dict | None = None, body=None) -> dict:
        """A call signed without a shop (token exchange, refresh)."""
        path = self.path(name)
        return self._send(method, path, self.common(path), params, body)

    def shop(self, method: str, name: str, *, params: dict | None = None, body=None) -> dict:
        """A shop call with the access token (refreshed once when Shopee says it expired)."""
        path = self.path(name)

        def attempt(token: str) -> dict:
            return self._send(
                method, path, self.common(path, access_token=token, shop=True), params, body
            )

        return self.tokens.call(attempt)

    def upload(self, name: str, *, files: dict) -> dict:
        """A public multipart upload (media_space/upload_image): only the query is signed."""
        path = self.path(name)
        query = self.common(path)

        def send() -> dict:
            if self.throttle:
                self.throttle.wait()
            with (
                translate_transport_errors(),
                http_client(self.host, timeout=self.timeout) as client,
            ):
                return self._envelope(client.post(path, params=query, files=files))

        return with_rate_limit_retries(send, self.throttle)

    def raw(self, method: str, name: str, *, body=None) -> httpx.Response:
        """A shop call answering bytes (the shipping document): no envelope unless it failed."""
        path = self.path(name)

        def attempt(token: str) -> httpx.Response:
            query = self.common(path, access_token=token, shop=True)
            response = self._request(method, path, query, None, body)
            if "json" in response.headers.get("content-type", ""):
                self._envelope(response)
            elif response.status_code >= 400:
                raise PermanentError(f"Shopee answered HTTP {response.status_code}")
            return response

        return self.tokens.call(attempt)

    def _request(self, method, path, query, params, body) -> httpx.Response:
        query = dict(query)
        for key, value in (params or {}).items():
            if value is None:
                continue
            if isinstance(value, list | tuple):
                value = ",".join(str(v) for v in value)
            elif isinstance(value, bool):
                value = "true" if value else "false"
            query[key] = value
        if self.throttle:
            self.throttle.wait()
        with translate_transport_errors(), http_client(self.host, timeout=self.timeout) as client:
            return client.request(
                method,
                path,
                params=query,
                json=body if method != "GET" else None,
                headers={"Content-Type": "application/json"},
            )

    def _send(self, method, path, query, params, body) -> dict:
        return with_rate_limit_retries(
            lambda: self._envelope(self._request(method, path, query, params, body)),
            self.throttle,
        )

    @staticmethod
    def _envelope(response: httpx.Response) -> dict:
        try:
            envelope = response.json()
        except ValueError:
            envelope = None
        if not isinstance(envelope, dict):
            if response.status_code == 429:
                raise RetryableError(
                    "rate limited (HTTP 429)",
                    code="rate_limited",
                    details={"retry_after": retry_after_seconds(response)},
                )
            if response.status_code >= 500:
                raise RetryableError(f"Shopee answered HTTP {response.status_code}")
            raise RetryableError(
                f"Shopee answered something that is not JSON ({response.status_code})"
            )
        error = envelope.get("error") or ""
        message = envelope.get("message") or error
        if not error:
            if response.status_code == 429:
                raise RetryableError(
                    "rate limited (HTTP 429)",
                    code="rate_limited",
                    details={"retry_after": retry_after_seconds(response)},
                )
            if response.status_code >= 500:
                raise RetryableError(f"Shopee answered HTTP {response.status_code}")
            return envelope
        if error in TOKEN_ERRORS or (
            error == "error_auth" and "access_token" in str(message).lower()
        ):
            raise TokenExpired(message, code=error, details=envelope)
        if error in REAUTHORIZE_ERRORS:
            raise ReauthorizationNeeded(message, code=error, details=envelope)
        if error in RATE_ERRORS or response.status_code == 429:
            raise RetryableError(
                message,
                code="rate_limited",
                details={"retry_after": retry_after_seconds(response)},
            )
        if error in RETRYABLE_ERRORS or response.status_code >= 500:
            raise RetryableError(message, code=error, details=envelope)
        raise PermanentError(message, code=error, details=envelope)
