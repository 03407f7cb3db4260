"""TikTok Shop Open API (202309+) HTTP client: the signature is HMAC-SHA256 (lower-case hex) of
app_secret + path + sorted query key/values (without sign and access_token) + raw body +
app_secret; the access token goes in the x-tts-access-token header, the shop in shop_cipher;
the {code, message, data, request_id} envelope (0 is success). Signed HTTP only; no mapping."""

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
    "production": "https://open-api.tiktokglobalshop.com",
    "test": "https://open-api.tiktokglobalshop.com",
}
AUTH_HOST = "https://auth.tiktok-shops.com"
AUTHORIZE_PAGE = "https://services.tiktokshop.com/open/authorize"

TOKEN_ERRORS = {105002}
REAUTHORIZE_ERRORS: set[int] = set()  # a failed refresh says it (adapter)
RATE_ERRORS = {36009002}
RETRYABLE_ERRORS = {36009003, 36009001}


def sign(app_secret: str, path: str, query: dict, body: bytes = b"") -> str:
    pairs = "".join(
        f"{key}{query[key]}" for key in sorted(query) if key not in ("sign", "access_token")
    )
    message = app_secret.encode() + path.encode() + pairs.encode() + body + app_secret.encode()
    return hmac.new(app_secret.encode(), message, hashlib.sha256).hexdigest()


def push_signature(app_key: str, app_secret: str, body: bytes) -> str:
    """A webhook's Authorization header: HMAC(app_secret, app_key + raw body), lower-case hex."""
    return hmac.new(app_secret.encode(), app_key.encode() + body, hashlib.sha256).hexdigest()


def dumps(body) -> bytes:
    """The exact bytes sent and signed."""
    return json.dumps(body, separators=(",", ":"), ensure_ascii=False).encode()


class TikTokShopClient:
    def __init__(
        self,
        *,
        host: str,
        auth_host: str,
        app_key: str,
        app_secret: str,
        shop_cipher: str = "",
        tokens: TokenHolder | None = None,
        throttle: Throttle | None = None,
        clock: Callable[[], float] = time.time,
        timeout: float = 20.0,
    ):
        self.host = host.rstrip("/")
        self.auth_host = auth_host.rstrip("/")
        self.app_key = str(app_key)
        self.app_secret = app_secret
        self.shop_cipher = shop_cipher
        self.tokens = tokens or TokenHolder("")
        self.throttle = throttle
        self.clock = clock
        self.timeout = timeout

    def authorize_url(self, *, service_id: str, state: str, page: str = AUTHORIZE_PAGE) -> str:
        return f"{page}?{urlencode({'service_id': service_id, 'state': state})}"

    # --- calls -----------------------------------------------------------------------------

    def token(self, path: str, params: dict) -> dict:
        """Token creation and refresh: GET on the auth host with the app secret, unsigned."""
        query = {"app_key": self.app_key, "app_secret": self.app_secret, **params}
        if self.throttle:
            self.throttle.wait()
        with (
            translate_transport_errors(),
            http_client(self.auth_host, timeout=self.timeout) as client,
        ):
            response = client.get(path, params=query)
        return self._envelope(response)

    def call(
        self,
        method: str,
        path: str,
        *,
        params: dict | None = None,
        body: dict | None = None,
        shop: bool = True,
    ) -> dict:
        return self.tokens.call(
            lambda token: with_rate_limit_retries(
                lambda: self._call(token, method, path, params, body, shop), self.throttle
            )
        )

    def upload(self, path: str, *, files: dict, fields: dict | None = None) -> dict:
        """A multipart upload: the body is not signed (TikTok's rule for multipart)."""

        def attempt(token: str) -> dict:
            query = {"app_key": self.app_key, "timestamp": str(int(self.clock()))}
            if self.shop_cipher:
                query["shop_cipher"] = self.shop_cipher
            query["sign"] = sign(self.app_secret, path, query)
            if self.throttle:
                self.throttle.wait()
            with (
                translate_transport_errors(),
                http_client(self.host, timeout=self.timeout) as client,
            ):
                response = client.post(
                    path,
                    params=query,
                    files=files,
                    data=fields or {},
                    headers={"x-tts-access-token": token},
                )
            return self._envelope(response)

        return self.tokens.call(
            lambda token: with_rate_limit_retries(lambda: attempt(token), self.throttle)
        )

    def call_raw(self, url: str) -> httpx.Response:
        """Download a document from the URL TikTok handed out (signed by TikTok, not by us)."""
        with translate_transport_errors(), http_client(self.host, timeout=self.timeout) as client:
            response = client.get(url)
        if response.status_code >= 500 or response.status_code == 429:
            raise RetryableError(f"TikTok Shop answered HTTP {response.status_code}")
        if response.status_code >= 400:
            raise PermanentError(f"TikTok Shop answered HTTP {response.status_code}")
        return response

    def _call(self, token, method, path, params, body, shop) -> dict:
        query = {"app_key": self.app_key, "timestamp": str(int(self.clock()))}
        if shop and self.shop_cipher:
            query["shop_cipher"] = self.shop_cipher
        for key, value in (params or {}).items():
            if value is None:
                continue
            if isinstance(value, list | tuple):
                value = ",".join(str(v) for v in value)
            query[key] = str(value)
        content = dumps(body) if body is not None else b""
        query["sign"] = sign(self.app_secret, path, query, content)
        headers = {"content-type": "application/json", "x-tts-access-token": token}
        if self.throttle:
            self.throttle.wait()
        with translate_transport_errors(), http_client(self.host, timeout=self.timeout) as client:
            response = client.request(method, path, params=query, content=content, headers=headers)
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
            raise RetryableError(f"TikTok Shop answered HTTP {response.status_code} without JSON")
        try:
            code = int(envelope.get("code", -1))
        except (TypeError, ValueError):
            code = -1
        if code == 0 and response.status_code < 400:
            return envelope
        message = envelope.get("message") or f"code {code}"
        if code in TOKEN_ERRORS:
            raise TokenExpired(message, code=str(code), details=envelope)
        if code in REAUTHORIZE_ERRORS:
            raise ReauthorizationNeeded(message, code=str(code), details=envelope)
        if code in RATE_ERRORS or response.status_code == 429:
            raise RetryableError(
                message,
                code="rate_limited",
                details={"retry_after": retry_after_seconds(response)},
            )
        if code in RETRYABLE_ERRORS or response.status_code >= 500:
            raise RetryableError(message, code=str(code), details=envelope)
        raise PermanentError(message, code=str(code), details=envelope)
