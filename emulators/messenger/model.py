"""Messenger emulator state: simulated users (PSIDs) and the conversation transcript."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

STANDARD_WINDOW = timedelta(hours=24)
HUMAN_AGENT_WINDOW = timedelta(days=7)
MESSAGING_TYPES = ("RESPONSE", "UPDATE", "MESSAGE_TAG")
# Tags still documented for non-promotional updates outside the window; HUMAN_AGENT only lets a
# person answer, for 7 days after the user's last message.
DEFAULT_TAGS = ("CONFIRMED_EVENT_UPDATE", "POST_PURCHASE_UPDATE", "ACCOUNT_UPDATE", "HUMAN_AGENT")
SENDER_ACTIONS = ("typing_on", "typing_off", "mark_seen")
QUICK_REPLY_TYPES = ("text", "user_phone_number", "user_email")
ATTACHMENT_TYPES = ("image", "audio", "video", "file", "template")
TEXT_LIMIT = 2000
QUICK_REPLY_LIMIT = 13
QUICK_REPLY_TITLE_LIMIT = 20
METADATA_LIMIT = 1000
# Messages a person writes in the Page Inbox echo with the Page Inbox's own app id.
PAGE_INBOX_APP_ID = 263902037430900
# 2026-06-01 changelog: stickers arrive as attachment type "sticker"; until 2026-08-30 an
# "image" attachment with the same sticker_id comes along; before June only the image.
STICKER_TYPE_FROM = datetime(2026, 6, 1).date()
STICKER_IMAGE_UNTIL = datetime(2026, 8, 30).date()


@dataclass
class User:
    psid: str
    first_name: str
    last_name: str
    created: datetime
    locale: str = "vi_VN"
    timezone: int = 7
    available: bool = True  # False: blocked the page / deactivated (Graph code 551)
    last_inbound: datetime | None = None

    @property
    def profile_pic(self) -> str:
        return f"https://platform-lookaside.fbsbx.com/platform/profilepic/?psid={self.psid}"

    def describe(self) -> dict:
        return {
            "psid": self.psid,
            "first_name": self.first_name,
            "last_name": self.last_name,
            "locale": self.locale,
            "available": self.available,
            "last_inbound": self.last_inbound.isoformat() if self.last_inbound else None,
        }


@dataclass
class Message:
    mid: str
    psid: str
    direction: str  # "in" (user → page) | "out" (page → user)
    kind: str  # text, quick_reply, attachment, postback, sender_action
    at: datetime
    text: str | None = None
    source: str = "user"  # user | send_api | page_inbox
    messaging_type: str | None = None
    tag: str | None = None
    payload: str | None = None
    attachments: list[dict] = field(default_factory=list)
    quick_replies: list[dict] = field(default_factory=list)
    metadata: str | None = None
    sender_action: str | None = None

    def describe(self) -> dict[str, Any]:
        out = {
            "mid": self.mid,
            "psid": self.psid,
            "direction": self.direction,
            "kind": self.kind,
            "text": self.text,
            "source": self.source,
            "at": self.at.isoformat(),
            "timestamp": int(self.at.timestamp() * 1000),
        }
        for key in ("messaging_type", "tag", "payload", "metadata", "sender_action"):
            if getattr(self, key) is not None:
                out[key] = getattr(self, key)
        if self.attachments:
            out["attachments"] = self.attachments
        if self.quick_replies:
            out["quick_replies"] = self.quick_replies
        return out


FIRST_NAMES = ("Lan", "Hùng", "Mai", "Tuấn", "Linh", "Nam", "Thảo", "Quang", "Hà", "Minh")
LAST_NAMES = ("Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Vũ", "Đặng", "Bùi", "Đỗ", "Ngô")
