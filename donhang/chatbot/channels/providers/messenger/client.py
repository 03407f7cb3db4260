"""Signed HTTP to the Messenger Send API (Graph API): the page access token as a parameter."""

from __future__ import annotations

from donhang.core.integrations import (
    PermanentError,
    check_http_status,
    http_client,
    translate_transport_errors,
)

DEFAULT_BASE_URL = "https://graph.facebook.com/v25.0"


class MessengerClient:
    def __init__(self, *, base_url: str, page_id: str, page_access_token: str, timeout: float = 10):
        self.base_url = (base_url or DEFAULT_BASE_URL).rstrip("/")
        self.page_id = page_id
        self.token = page_access_token
        self.timeout = timeout

    def post(self, path: str, body: dict) -> dict:
        with translate_transport_errors(), http_client(self.base_url, timeout=self.timeout) as c:
            response = c.post(path, params={"access_token": self.token}, json=body)
        check_http_status(response)
        try:
            data = response.json()
        except ValueError:
            data = {}
        if response.status_code >= 400 or (isinstance(data, dict) and data.get("error")):
            error = (data or {}).get("error") or {}
            raise PermanentError(
                str(error.get("message") or f"HTTP {response.status_code}"),
                code=str(error.get("code") or response.status_code),
                details={"error": error},
            )
        return data
