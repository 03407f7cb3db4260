"""Signed HTTP to Zalo's OA API (access_token header) and its OAuth v4 token endpoint."""

from __future__ import annotations

from donhang.chatbot.channels.ports import PermanentError, RetryableError, TokenExpired, Tokens
from donhang.core.integrations import check_http_status, http_client, translate_transport_errors

DEFAULT_API_URL = "https://openapi.zalo.me"
DEFAULT_OAUTH_URL = "https://oauth.zaloapp.com"
TOKEN_INVALID = -216


class ZaloClient:
    def __init__(self, *, api_url: str, oauth_url: str, timeout: float = 10):
        self.api_url = (api_url or DEFAULT_API_URL).rstrip("/")
        self.oauth_url = (oauth_url or DEFAULT_OAUTH_URL).rstrip("/")
        self.timeout = timeout

    def send(self, *, access_token: str, body: dict) -> dict:
        with translate_transport_errors(), http_client(self.api_url, timeout=self.timeout) as c:
            response = c.post(
                "/v3.0/oa/message/cs",
                json=body,
                headers={"access_token": access_token, "Content-Type": "application/json"},
            )
        check_http_status(response)
        try:
            data = response.json()
        except ValueError as exc:
            raise RetryableError("Zalo answered something that is not JSON") from exc
        error = int(data.get("error") or 0)
        if error == TOKEN_INVALID:
            raise TokenExpired(str(data.get("message") or "access token invalid"), code=str(error))
        if error != 0:
            raise PermanentError(
                str(data.get("message") or "refused"), code=str(error), details=data
            )
        return data.get("data") or {}

    def refresh(self, *, app_id: str, app_secret: str, refresh_token: str) -> Tokens:
        with translate_transport_errors(), http_client(self.oauth_url, timeout=self.timeout) as c:
            response = c.post(
                "/v4/oa/access_token",
                data={
                    "app_id": app_id,
                    "grant_type": "refresh_token",
                    "refresh_token": refresh_token,
                },
                headers={"secret_key": app_secret},
            )
        check_http_status(response)
        try:
            data = response.json()
        except ValueError as exc:
            raise RetryableError("Zalo OAuth answered something that is not JSON") from exc
        if not data.get("access_token"):
            raise PermanentError(
                str(data.get("error_description") or data.get("message") or "refresh refused"),
                code=str(data.get("error") or "refresh_failed"),
                details=data,
            )
        return Tokens(
            access_token=str(data["access_token"]),
            refresh_token=str(data.get("refresh_token") or refresh_token),
            expires_in=int(data.get("expires_in") or data.get("expire_in") or 90000),
        )
