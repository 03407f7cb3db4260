"""Zalo Official Account through our chat channel port."""

from __future__ import annotations

from collections.abc import Callable

from donhang.chatbot.channels.ports import InboundMessage, SentMessage, TokenExpired, Tokens
from donhang.chatbot.channels.providers.zalo import webhooks
from donhang.chatbot.channels.providers.zalo.client import ZaloClient

MAX_TEXT = 2000


class ZaloAdapter:
    kind = "zalo"

    def __init__(
        self,
        *,
        account_id: str,
        base_url: str,
        credentials: dict,
        auth_url: str = "",
        on_tokens: Callable[[Tokens], None] | None = None,
        max_age_seconds: int = 86400,
        **_ignored,
    ):
        self.oa_id = account_id
        self.credentials = dict(credentials)
        self.client = ZaloClient(api_url=base_url, oauth_url=auth_url)
        self.on_tokens = on_tokens
        self.max_age_seconds = max_age_seconds

    def verify_webhook(self, headers: dict[str, str], body: bytes) -> bool:
        return webhooks.verify(
            headers,
            body,
            app_id=self.credentials.get("app_id", ""),
            oa_secret_key=self.credentials.get("oa_secret_key", ""),
            max_age_seconds=self.max_age_seconds,
        )

    def parse_webhook(self, body: bytes) -> list[InboundMessage]:
        return webhooks.parse(body)

    def refresh_tokens(self) -> Tokens:
        tokens = self.client.refresh(
            app_id=self.credentials.get("app_id", ""),
            app_secret=self.credentials.get("app_secret", ""),
            refresh_token=self.credentials.get("refresh_token", ""),
        )
        self.credentials["access_token"] = tokens.access_token
        self.credentials["refresh_token"] = tokens.refresh_token
        if self.on_tokens:
            self.on_tokens(tokens)
        return tokens

    def send_text(
        self, recipient_id: str, text: str, *, tag: str = "", reply_to: str = ""
    ) -> SentMessage:
        """A consultation message ("tin tư vấn"); on -216 the token is refreshed once and the
        message sent again."""
        message: dict = {"text": text[:MAX_TEXT]}
        if reply_to:
            message["quote_message_id"] = reply_to
        body = {"recipient": {"user_id": recipient_id}, "message": message}
        try:
            data = self.client.send(
                access_token=self.credentials.get("access_token", ""), body=body
            )
        except TokenExpired:
            self.refresh_tokens()
            data = self.client.send(access_token=self.credentials["access_token"], body=body)
        return SentMessage(message_id=str(data.get("message_id") or ""))
