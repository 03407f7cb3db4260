"""GHN (Giao Hàng Nhanh) HTTP client: Token/ShopId headers, JSON POSTs, the {code, message, data}
envelope (errors arrive inside HTTP 200), explicit timeouts. Signed HTTP only; no mapping here."""

from __future__ import annotations

import httpx

from donhang.core.integrations import (
    PermanentError,
    RetryableError,
    check_http_status,
    http_client,
    translate_transport_errors,
)

HOSTS = {
    "production": "https://online-gateway.ghn.vn",
    "test": "https://dev-online-gateway.ghn.vn",
}
API_PREFIX = "/shiip/public-api"


class GhnClient:
    def __init__(self, *, host: str, token: str, shop_id: int | str | None, timeout: float = 15.0):
        self.host = host.rstrip("/")
        self.token = token
        self.shop_id = shop_id
        self.timeout = timeout

    def _headers(self, shop_scoped: bool) -> dict[str, str]:
        headers = {"Token": self.token, "Content-Type": "application/json"}
        if shop_scoped and self.shop_id is not None:
            headers["ShopId"] = str(self.shop_id)
        return headers

    def post(self, path: str, body: dict, *, shop_scoped: bool = True):
        """POST to `shiip/public-api/<path>` and return the envelope's `data`."""
        with translate_transport_errors(), http_client(self.host, timeout=self.timeout) as client:
            response = client.post(
                f"{API_PREFIX}/{path.lstrip('/')}", json=body, headers=self._headers(shop_scoped)
            )
        return self._data(response)

    def get_raw(self, path: str, *, params: dict, accept: str) -> httpx.Response:
        with translate_transport_errors(), http_client(self.host, timeout=self.timeout) as client:
            response = client.get(
                path, params=params, headers={"Token": self.token, "Accept": accept}
            )
        check_http_status(response)
        if response.status_code >= 400:
            raise PermanentError(
                f"GHN answered HTTP {response.status_code}", code=f"http_{response.status_code}"
            )
        return response

    @staticmethod
    def _data(response: httpx.Response):
        check_http_status(response)
        try:
            envelope = response.json()
        except ValueError as exc:
            raise RetryableError(
                f"GHN answered something that is not JSON (HTTP {response.status_code})"
            ) from exc
        if response.status_code == 401 or envelope.get("code") == 401:
            raise PermanentError(
                "GHN refused the token (check the API token and shop id)", code="unauthorized"
            )
        code = envelope.get("code")
        if code != 200:
            message = envelope.get("message") or "GHN error"
            code_message = envelope.get("code_message") or ""
            if isinstance(code, int) and code >= 500:
                raise RetryableError(message, code=code_message or f"code_{code}", details=envelope)
            raise PermanentError(message, code=code_message or f"code_{code}", details=envelope)
        return envelope.get("data")
