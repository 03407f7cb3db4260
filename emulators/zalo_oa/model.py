"""Zalo OA emulator state: users (followers or not), messages and the webhook MAC."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import datetime


def zalo_mac(app_id: str, body: bytes, timestamp: str, oa_secret: str) -> str:
    """``sha256(app_id + raw_body + timestamp + oa_secret)`` as lower-case hex."""
    return hashlib.sha256(
        app_id.encode() + body + str(timestamp).encode() + oa_secret.encode()
    ).hexdigest()


@dataclass
class ZaloUser:
    user_id: str
    user_id_by_app: str
    display_name: str
    follower: bool = False
    last_interaction: datetime | None = None
    replies_left: int = 0

    def detail(self) -> dict:
        last = self.last_interaction
        return {
            "user_id": self.user_id,
            "user_id_by_app": self.user_id_by_app,
            "display_name": self.display_name,
            "user_alias": "",
            "is_sensitive": False,
            "user_last_interaction_date": last.strftime("%d/%m/%Y") if last else "",
            "user_is_follower": self.follower,
            "avatar": f"https://s120-ava-talk.zadn.vn/demo/{self.user_id}.jpg",
            "avatars": {
                "120": f"https://s120-ava-talk.zadn.vn/demo/{self.user_id}.jpg",
                "240": f"https://s240-ava-talk.zadn.vn/demo/{self.user_id}.jpg",
            },
            "tags_and_notes_info": {"tag_names": [], "notes": []},
            "shared_info": {},
        }


@dataclass
class ZaloMessage:
    msg_id: str
    user_id: str
    direction: str  # in | out
    kind: str  # text, image, sticker, template
    at: datetime
    text: str | None = None
    attachments: list[dict] = field(default_factory=list)
    quote: str | None = None

    def describe(self) -> dict:
        out = {
            "msg_id": self.msg_id,
            "user_id": self.user_id,
            "direction": self.direction,
            "kind": self.kind,
            "text": self.text,
            "at": self.at.isoformat(),
            "timestamp": str(int(self.at.timestamp() * 1000)),
        }
        if self.attachments:
            out["attachments"] = self.attachments
        if self.quote:
            out["quote_message_id"] = self.quote
        return out
