"""Lazada Open Platform (LAZOP) HTTP client: every parameter (system and business) sorted by
key, concatenated key+value after the API path, HMAC-SHA256 with the app secret, UPPER-case hex;
timestamps in milliseconds; reads as GET query, writes as POST form fields; the
{code, data, request_id} envelope ("0" is success). Signed HTTP only; no mapping here."""

from __future__ import annotations

import hashlib
import hmac
import json
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
    "production": "https://api.lazada.vn/rest",
    "test": "https://api.lazada.vn/rest",
}
AUTH_HOST = "https://auth.lazada.com/rest"
AUTHORIZE_PAGE = "https://auth.lazada.com/oauth/authorize"

TOKEN_ERRORS = {"IllegalAccessToken", "InvalidAccessToken", "AccessTokenExpired"}
REAUTHORIZE_ERRORS = {"IllegalRefreshToken", "InvalidRefreshToken", "RefreshTokenExpired"}
RATE_ERRORS = {"ApiCallLimit", "E901", "AppCallLimit", "AppWhiteListLimit"}
RETRYABLE_ERRORS = {"ServiceTimeout", "InternalError", "ServiceUnavailable", "E500"}


def sign(app_secret: str, api_path: str, params: dict) -> str:
    """HEX_UPPER(HMAC_SHA256(secret, path + k1v1k2v2…)) over every parameter but `sign`."""
    message = api_path + "".join(f"{key}{params[key]}" for key in sorted(params) if key != "sign")
    return hmac.new(app_secret.encode(), message.encode(), hashlib.sha256).hexdigest().upper()


def push_signature(app_key: str, app_secret: str, body: bytes) -> str:
    """A push's Authorization header: HMAC(app_secret, app_key + raw body), lower-case hex."""
    return hmac.new(app_secret.encode(), app_key.encode() + body, hashlib.sha256).hexdigest()


class LazadaClient:
    def __init__(
        self,
        *,
        host: str,
        auth_host: str,
        app_key: str,
        app_secret: str,
        tokens: TokenHolder | None = None,
        throttle: Throttle | None = None,
        clock: Callable[[], float] = time.time,
        timeout: float = 20.0,
    ):
        self.host = host.rstrip("/")
        self.auth_host = auth_host.rstrip("/")
        self.app_key = str(app_key)
        self.app_secret = app_secret
        self.tokens = tokens or TokenHolder("")
        self.throttle = throttle
        self.clock = clock
        self.timeout = timeout

    def signed_params(self, api_path: str, params: dict, access_token: str = "") -> dict:
        signed = {
            "app_key": self.app_key,
            "timestamp": str(int(self.clock() * 1000)),
            "sign_method": "sha256",
        }
        if access_token:
            signed["access_token"] = access_token
        for key, value in params.items():
            if value is None:
                continue
            signed[key] = value if isinstance(value, str) else _text(value)
        signed["sign"] = sign(self.app_secret, api_path, signed)
        return signed

    def authorize_url(self, *, redirect_uri: str, state: str, page: str = AUTHORIZE_PAGE) -> str:
        query = {
            "response_type": "code",
            "force_auth": "true",
            "redirect_uri": redirect_uri,
            "client_id": self.app_key,
            "state": state,
        }
        return f"{page}?{urlencode(query)}"

    # --- calls -----------------------------------------------------------------------------

    def auth(self, api_path: str, params: dict) -> dict:
        """Token creation and refresh on the auth host (signed, no access token)."""
        return self._send(self.auth_host, "POST", api_path, self.signed_params(api_path, params))

    def get(self, api_path: str, params: dict | None = None) -> dict:
        return self.tokens.call(
            lambda token: self._send(
                self.host, "GET", api_path, self.signed_params(api_path, params or {}, token)
            )
        )

    def post(self, api_path: str, params: dict | None = None) -> dict:
        return self.tokens.call(
            lambda token: self._send(
                self.host, "POST", api_path, self.signed_params(api_path, params or {}, token)
            )
        )

    def _send(self, host: str, method: str, api_path: str, params: dict) -> dict:
        return with_rate_limit_retries(
            lambda: self._send_once(host, method, api_path, params), self.throttle
        )

    def _send_once(self, host: str, method: str, api_path: str, params: dict) -> dict:
        if self.throttle:
            self.throttle.wait()
        with translate_transport_errors(), http_client(host, timeout=self.timeout) as client:
            # httpx joins the base URL's path (…/rest) and the API path.
            url = api_path.lstrip("/")
            if method == "GET":
                response = client.get(url, params=params)
            else:
                response = client.post(url, data=params)
        return self._envelope(response)

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
            raise RetryableError(f"Lazada answered HTTP {response.status_code} without JSON")
        code = str(envelope.get("code", ""))
        if code == "0" and response.status_code < 400:
            return envelope
        message = envelope.get("message") or code or f"HTTP {response.status_code}"
        if code in TOKEN_ERRORS:
            raise TokenExpired(message, code=code, details=envelope)
        if code in REAUTHORIZE_ERRORS:
            raise ReauthorizationNeeded(message, code=code, details=envelope)
        if code in RATE_ERRORS or response.status_code == 429:
            raise RetryableError(
                message,
                code="rate_limited",
                details={"retry_after": retry_after_seconds(response)},
            )
        if (
            code in RETRYABLE_ERRORS
            or response.status_code >= 500
            or envelope.get("type") in ("ISP", "SYSTEM")
        ):
            raise RetryableError(message, code=code or "server_error", details=envelope)
        raise PermanentError(message, code=code or "error", details=envelope)


def _text(value) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dict | list):
        return json.dumps(value, separators=(",", ":"), ensure_ascii=False)
    return str(value)
