"""The chat channel port: what every channel adapter (Messenger, Zalo OA) offers, in our own
types. Adapters translate between these and a platform's API; they never touch models and
never decide outcomes. Errors: RetryableError, PermanentError, Unsupported
(donhang.core.integrations), and TokenExpired (refresh the access token, then try once more).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol

from donhang.core.integrations import PermanentError, RetryableError, Unsupported

__all__ = [
    "ChannelAdapter",
    "InboundMessage",
    "PermanentError",
    "RetryableError",
    "SentMessage",
    "TokenExpired",
    "Tokens",
    "Unsupported",
]


class TokenExpired(PermanentError):
    """The access token is invalid or expired (Zalo error -216): refresh it and resend once."""


@dataclass
class InboundMessage:
    channel: str
    account_id: str  # the page or OA the message was sent to
    user_id: str  # the customer (Messenger PSID, Zalo user id)
    message_id: str  # the platform's id: de-duplication
    text: str
    sent_at: datetime | None = None
    attachments: list = field(default_factory=list)
    echo: bool = False  # a message the page itself sent (from another tool or our own send)
    kind: str = "message"  # "message", "postback", "follow"


@dataclass
class SentMessage:
    message_id: str


@dataclass
class Tokens:
    access_token: str
    refresh_token: str
    expires_in: int


class ChannelAdapter(Protocol):
    kind: str

    def verify_webhook(self, headers: dict[str, str], body: bytes) -> bool: ...

    def parse_webhook(self, body: bytes) -> list[InboundMessage]: ...

    def send_text(
        self, recipient_id: str, text: str, *, tag: str = "", reply_to: str = ""
    ) -> SentMessage: ...
