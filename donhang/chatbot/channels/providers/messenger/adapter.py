"""Facebook Messenger through our chat channel port."""

from __future__ import annotations

from donhang.chatbot.channels.ports import InboundMessage, SentMessage
from donhang.chatbot.channels.providers.messenger import webhooks
from donhang.chatbot.channels.providers.messenger.client import MessengerClient

# Meta's text limit is not stated on current pages; longer replies are split (reference 1.1).
MAX_TEXT = 2000


def split_text(text: str, limit: int = MAX_TEXT) -> list[str]:
    parts, rest = [], text.strip()
    while len(rest) > limit:
        cut = rest.rfind("\n", 0, limit)
        if cut < limit // 2:
            cut = rest.rfind(" ", 0, limit)
        if cut <= 0:
            cut = limit
        parts.append(rest[:cut].strip())
        rest = rest[cut:].strip()
    if rest:
        parts.append(rest)
    return parts


class MessengerAdapter:
    kind = "messenger"

    def __init__(self, *, account_id: str, base_url: str, credentials: dict, **_ignored):
        self.page_id = account_id
        self.credentials = credentials
        self.client = MessengerClient(
            base_url=base_url,
            page_id=account_id,
            page_access_token=credentials.get("page_access_token", ""),
        )

    def verify_subscription(self, query: dict) -> str | None:
        return webhooks.verify_subscription(query, self.credentials.get("verify_token", ""))

    def verify_webhook(self, headers: dict[str, str], body: bytes) -> bool:
        return webhooks.verify_signature(headers, body, self.credentials.get("app_secret", ""))

    def parse_webhook(self, body: bytes) -> list[InboundMessage]:
        return webhooks.parse(body)

    def send_text(
        self, recipient_id: str, text: str, *, tag: str = "", reply_to: str = ""
    ) -> SentMessage:
        """Send API: RESPONSE inside the 24-hour window, MESSAGE_TAG (HUMAN_AGENT) after it."""
        last = ""
        for part in split_text(text):
            body = {
                "recipient": {"id": recipient_id},
                "messaging_type": "MESSAGE_TAG" if tag else "RESPONSE",
                "message": {"text": part},
            }
            if tag:
                body["tag"] = tag
            data = self.client.post(f"/{self.page_id}/messages", body)
            last = str(data.get("message_id") or "")
        return SentMessage(message_id=last)
