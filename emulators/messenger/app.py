"""Facebook Messenger Platform emulator (Graph API Send API + page webhooks).

Paths as on ``https://graph.facebook.com`` at the root of the base URL, with or without the
version prefix (``/v25.0/...``; any ``vN.M`` is accepted), so a client pointed at
``http://127.0.0.1:8731`` works unchanged. Written from ``reference/chatbot-channels.md`` §1.1,
not from donhang's code.

What it enforces:

* **Send API** ``POST /{version}/me/messages`` (or ``/{version}/{page-id}/messages``), page
  access token in ``access_token`` (query, form or JSON body; ``Authorization: Bearer`` also
  read). Body as JSON, or form fields whose values are JSON (the docs' curl form). Errors in
  Graph's shape ``{"error": {"message", "type": "OAuthException", "code", "error_subcode",
  "fbtrace_id"}}``:

  - no token → 104; wrong token → 190 (HTTP 400, ``WWW-Authenticate``); a revoked token
    (control ``revoke_token``) → 190/460; another page id → 100/33;
  - missing ``recipient`` / ``message`` / ``messaging_type``, both ``message`` and
    ``sender_action`` (100/2018015), text empty or over 2000 characters, text and attachment
    together, more than 13 quick replies or a title over 20 characters, an unknown tag → 100;
  - an unknown PSID → 100/2018001;
  - **24-hour window**: ``RESPONSE``/``UPDATE`` and sender actions only within 24 h of the
    user's last message; ``MESSAGE_TAG`` + ``HUMAN_AGENT`` within 7 days; the other allowed
    tags (``CONFIRMED_EVENT_UPDATE``, ``POST_PURCHASE_UPDATE``, ``ACCOUNT_UPDATE``) at any time
    once the user has written; never to a user who has not written → 10/2018278
    "(#10) This message is sent outside of allowed window…";
  - a user who blocked the page (control ``users`` ``available: false``) → 551/1545041.

  Success: ``{"recipient_id", "message_id"}`` (sender actions: ``{"recipient_id"}``). Every
  accepted message lands in the transcript and, if the page subscribed ``message_echoes``,
  comes back as an echo (``is_echo``, ``app_id``, ``metadata``), which a bot must skip.
* **Profile** ``GET /{version}/{psid}?fields=first_name,last_name,profile_pic`` (page token);
  ``GET /{version}/me`` → the page. **Page subscriptions** ``GET|POST|DELETE
  /{version}/{page-id}/subscribed_apps`` (``subscribed_fields``). **App subscription**
  ``POST /{version}/{app-id}/subscriptions`` (``object=page``, ``callback_url``,
  ``verify_token``, ``fields``, app token ``{app-id}|{app-secret}``) performs the verification
  handshake and sets the callback (failure → 2200).
* **Verification handshake** (``verify_callback`` / ``POST /_emulator/verify``): ``GET
  <callback>?hub.mode=subscribe&hub.challenge=<int>&hub.verify_token=<token>``; verified iff
  the answer is 200 with exactly the challenge as body.
* **Webhooks** to the callback (``<callback-base>/chatbot/webhooks/messenger/`` in the demo):
  ``{"object":"page","entry":[{"id","time","messaging":[…]}]}``, body bytes as Meta sends them
  (compact, non-ASCII escaped ``\\uXXXX``, ``/`` escaped ``\\/``), header ``X-Hub-Signature-256:
  sha256=<hex HMAC-SHA256(app secret, raw body)>`` and the legacy ``X-Hub-Signature: sha1=…``.
  A 2xx answer is a delivery; anything else (or no answer within 20 s) is retried on the next
  ``pump`` (up to 10 retries). Events: ``message`` (``mid``, ``text``, ``quick_reply.payload``,
  ``attachments``; stickers by the 2026 changelog rules), ``postback``, echoes, ``delivery``
  and ``read`` — each only when the page subscribed its field (default: ``messages``,
  ``messaging_postbacks``, ``message_echoes``).
* **Faults**: ``duplicate`` (every event twice), ``out_of_order`` (one held back until a later
  one went), ``replay`` (re-send delivered events byte for byte, same signature), ``forge``
  (``bad_signature``, ``no_signature``, ``tampered_body``) on a simulated message, Graph errors
  on the next Send API calls (``graph_error_next``: 1200 temporary failure, 613 rate limit, 551,
  any code), and the common 5xx/429/timeouts (``emulators.control``).

Control (``/_emulator/``, no auth), besides ``state``, ``tick``, ``pump``, ``faults``:

| Path | Body | Effect |
|---|---|---|
| ``POST users`` | ``{psid?, first_name?, last_name?, locale?, available?}`` | create or change a simulated user |
| ``POST messages`` | ``{psid?, text?, quick_reply_payload?, attachments?: [{type, url}], sticker_id?, postback?: {title, payload}, forge?, deliver?: true}`` or ``{batch: [...]}`` | the user writes (a new user when no psid); delivered at once unless ``deliver: false`` |
| ``POST read`` | ``{psid}`` | the user read the page's messages (``read`` event) |
| ``POST page-reply`` | ``{psid, text}`` | a person answers in the Page Inbox (echo with the inbox app id) |
| ``GET transcript?psid=`` | | the conversation, both directions, oldest first (all users without ``psid``) |
| ``POST verify`` | ``{url?, verify_token?}`` | run the handshake against the callback |
| ``POST webhooks`` | ``{url?, duplicate?, out_of_order?, replay?, subscribed_fields?}`` | delivery settings; ``replay: n`` re-sends the last n |
| ``GET chat`` | | an HTML page to play a customer in the demo |

Choices where the reference is silent or unsure: the text limit (2000) is enforced; tags other
than the four above are refused; the Page Inbox (human) is held to the 7-day window; several
messages sent in one ``batch`` arrive as one POST with one entry holding all ``messaging``
items; events are delivered whether or not the handshake ran (``require_verification=True``
holds them until it succeeded).
"""

from __future__ import annotations

import hashlib
import itertools
from collections.abc import Callable

from emulators.common import Clock, url_path
from emulators.marketplace import RouterApp
from emulators.messenger import model as m
from emulators.messenger.chat import (
    ChatEmulatorBase,
    ChatWebhooks,
    hmac_hex,
    http_call,
    json_compact,
)
from emulators.messenger.control import add_messenger_control_routes
from emulators.messenger.graph import GraphApi
from emulators.messenger.model import Message, User

DEMO_PAGE_ID = "104729385610247"
DEMO_PAGE_NAME = "Shop Demo donhang"
DEMO_APP_ID = "1938475610293847"
DEMO_APP_SECRET = "3f9c2a7d5e8b41c6a0d9e7f2b4c81a5d"
DEMO_PAGE_ACCESS_TOKEN = "EAAdemoPageToken0donhang0Messenger0PageAccessToken0104729385610247"
DEMO_VERIFY_TOKEN = "donhang-demo-verify-token"
WEBHOOK_PATH = "/chatbot/webhooks/messenger/"
DEFAULT_FIELDS = ("messages", "messaging_postbacks", "message_echoes")
MID_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-"


def meta_json(payload: dict) -> bytes:
    """Compact JSON with non-ASCII as \\uXXXX and ``/`` as ``\\/``, as Meta's bodies come."""
    return json_compact(payload, ascii_only=True).replace(b"/", b"\\/")


def signature_headers(app_secret: str, body: bytes) -> dict:
    return {
        "X-Hub-Signature-256": "sha256=" + hmac_hex(app_secret, body),
        "X-Hub-Signature": "sha1=" + hmac_hex(app_secret, body, hashlib.sha1),
    }


class MessengerEmulator(GraphApi, ChatEmulatorBase):
    """In-memory Messenger page. ``wsgi_app`` serves the Graph API; methods drive the users."""

    KNOWN_FIELDS = frozenset(
        {
            "messages",
            "messaging_postbacks",
            "message_echoes",
            "message_deliveries",
            "message_reads",
            "messaging_handovers",
            "standby",
            "messaging_optins",
            "messaging_referrals",
            "message_reactions",
        }
    )

    def __init__(
        self,
        *,
        page_id: str = DEMO_PAGE_ID,
        page_name: str = DEMO_PAGE_NAME,
        page_access_token: str = DEMO_PAGE_ACCESS_TOKEN,
        app_id: str = DEMO_APP_ID,
        app_secret: str = DEMO_APP_SECRET,
        verify_token: str = DEMO_VERIFY_TOKEN,
        app_name: str = "donhang chatbot",
        clock: Clock | None = None,
        seed: int = 0,
        webhook_target: str | Callable | None = None,
        webhook_path: str = WEBHOOK_PATH,
        subscribed_fields=DEFAULT_FIELDS,
        allowed_tags=m.DEFAULT_TAGS,
        require_verification: bool = False,
        delivery_timeout: float = 20.0,
        max_retries: int = 10,
    ):
        self._init_base(clock=clock, seed=seed)
        self.page_id, self.page_name = str(page_id), page_name
        self.page_access_token = page_access_token
        self.revoked_tokens: set[str] = set()
        self.app_id, self.app_secret, self.app_name = str(app_id), app_secret, app_name
        self.verify_token = verify_token
        self.subscribed_fields = set(subscribed_fields)
        self.allowed_tags = tuple(allowed_tags)
        self.require_verification = require_verification
        self.verified = False
        self.verifications: list[dict] = []
        self.users: dict[str, User] = {}
        self.messages: list[Message] = []
        self.graph_errors: list[dict] = []
        self._names = itertools.count()
        self.webhooks = ChatWebhooks(
            None,
            signer=lambda body: signature_headers(self.app_secret, body),
            serialise=meta_json,
            path=webhook_path,
            timeout=delivery_timeout,
            max_retries=max_retries,
        )
        self.set_callback(webhook_target)
        self.app = RouterApp(self.faults)
        self.wsgi_app = self.app
        self._routes()
        add_messenger_control_routes(self)

    # ------------------------------------------------------------------ configuration

    @property
    def callback_url(self) -> str | None:
        target = self.webhooks.target
        return target if isinstance(target, str) else None

    def set_callback(self, target: str | Callable | None) -> None:
        self.webhooks.target = target or None
        if isinstance(target, str) and target:
            self.webhooks.path = url_path(target)

    # ------------------------------------------------------------------ users

    def add_user(
        self,
        psid: str | None = None,
        *,
        first_name: str | None = None,
        last_name: str | None = None,
        locale: str = "vi_VN",
    ) -> User:
        with self.lock:
            psid = str(psid or self.digits(16))
            user = self.users.get(psid)
            if user is None:
                n = next(self._names)
                user = User(
                    psid=psid,
                    first_name=first_name or m.FIRST_NAMES[n % len(m.FIRST_NAMES)],
                    last_name=last_name or m.LAST_NAMES[(n * 7) % len(m.LAST_NAMES)],
                    created=self.clock.now(),
                    locale=locale,
                )
                self.users[psid] = user
            else:
                user.first_name = first_name or user.first_name
                user.last_name = last_name or user.last_name
            return user

    def user(self, psid: str) -> User:
        try:
            return self.users[str(psid)]
        except KeyError:
            raise KeyError(f"unknown psid {psid!r}") from None

    def new_mid(self) -> str:
        return "m_" + self.token(86, MID_ALPHABET)

    def window_open(self, user: User, messaging_type: str | None, tag: str | None) -> bool:
        if user.last_inbound is None:
            return False
        age = self.clock.now() - user.last_inbound
        if messaging_type == "MESSAGE_TAG":
            return age <= m.HUMAN_AGENT_WINDOW if tag == "HUMAN_AGENT" else True
        return age <= m.STANDARD_WINDOW

    # ------------------------------------------------------------------ the user acts

    def _inbound_item(
        self,
        psid: str | None,
        text: str | None,
        quick_reply_payload: str | None,
        attachments: list[dict] | None,
        sticker_id: int | str | None,
        postback: dict | None,
    ) -> tuple[dict, Message, str]:
        user = self.add_user(psid)
        now = self.clock.now()
        mid = self.new_mid()
        item: dict = {
            "sender": {"id": user.psid},
            "recipient": {"id": self.page_id},
            "timestamp": int(now.timestamp() * 1000),
        }
        msg = Message(mid=mid, psid=user.psid, direction="in", kind="text", at=now, text=text)
        field_name = "messages"
        if postback is not None:
            title, payload = postback.get("title") or "", postback.get("payload") or ""
            item["postback"] = {"title": title, "payload": payload, "mid": mid}
            msg.kind, msg.text, msg.payload = "postback", title, payload
            field_name = "messaging_postbacks"
        else:
            body: dict = {"mid": mid}
            if text:
                body["text"] = text
            if quick_reply_payload:
                body["quick_reply"] = {"payload": quick_reply_payload}
                msg.kind, msg.payload = "quick_reply", quick_reply_payload
            files = [
                {"type": a.get("type", "image"), "payload": {"url": a.get("url", "")}}
                for a in attachments or []
            ]
            if sticker_id is not None:
                files += self._sticker(int(sticker_id))
            if files:
                body["attachments"] = files
                msg.attachments = files
                msg.kind = "attachment" if not text else msg.kind
            if not text and not files:
                raise ValueError("a message needs text, attachments or a sticker")
            item["message"] = body
        user.last_inbound = now
        self.messages.append(msg)
        return item, msg, field_name

    def _sticker(self, sticker_id: int) -> list[dict]:
        url = f"https://scontent.xx.fbcdn.net/v/t39.1997-6/sticker_{sticker_id}.png"
        payload = {"url": url, "sticker_id": sticker_id}
        today = self.clock.now().date()
        if today < m.STICKER_TYPE_FROM:
            return [{"type": "image", "payload": payload}]
        if today < m.STICKER_IMAGE_UNTIL:
            return [{"type": "sticker", "payload": payload}, {"type": "image", "payload": payload}]
        return [{"type": "sticker", "payload": payload}]

    def user_sends(
        self,
        psid: str | None = None,
        text: str | None = None,
        *,
        quick_reply_payload: str | None = None,
        attachments: list[dict] | None = None,
        sticker_id: int | str | None = None,
        postback: dict | None = None,
        forge: str | None = None,
        deliver: bool = False,
    ) -> Message:
        """A simulated user writes to the page (a new user when ``psid`` is None)."""
        with self.lock:
            item, msg, field_name = self._inbound_item(
                psid, text, quick_reply_payload, attachments, sticker_id, postback
            )
            self._emit([item], field_name, forge=forge)
        if deliver:
            self.pump()
        return msg

    def user_sends_batch(self, items: list[dict], *, deliver: bool = False) -> list[Message]:
        """Several messages arriving in one POST (one entry, several ``messaging`` items)."""
        with self.lock:
            built = [
                self._inbound_item(
                    i.get("psid"),
                    i.get("text"),
                    i.get("quick_reply_payload"),
                    i.get("attachments"),
                    i.get("sticker_id"),
                    i.get("postback"),
                )
                for i in items
            ]
            self._emit([b[0] for b in built], "messages")
        if deliver:
            self.pump()
        return [b[1] for b in built]

    def user_reads(self, psid: str, *, deliver: bool = False) -> None:
        with self.lock:
            user = self.user(psid)
            now = self.ms()
            item = {
                "sender": {"id": user.psid},
                "recipient": {"id": self.page_id},
                "timestamp": now,
                "read": {"watermark": now},
            }
            self._emit([item], "message_reads")
        if deliver:
            self.pump()

    def page_reply(self, psid: str, text: str) -> Message:
        """A person answers from the Page Inbox (7-day human window)."""
        with self.lock:
            user = self.user(psid)
            if not self.window_open(user, "MESSAGE_TAG", "HUMAN_AGENT"):
                raise ValueError("outside the 7-day window for a human reply")
            return self.record_outbound(
                Message(
                    mid="",
                    psid=user.psid,
                    direction="out",
                    kind="text",
                    at=self.clock.now(),
                    text=text,
                    source="page_inbox",
                ),
                echo=True,
            )

    # ------------------------------------------------------------------ the page sends

    def record_outbound(self, msg: Message, *, echo: bool) -> Message:
        if msg.kind != "sender_action":
            msg.mid = self.new_mid()
        self.messages.append(msg)
        if echo:
            body: dict = {
                "is_echo": True,
                "app_id": m.PAGE_INBOX_APP_ID if msg.source == "page_inbox" else int(self.app_id),
                "mid": msg.mid,
            }
            if msg.metadata is not None:
                body["metadata"] = msg.metadata
            if msg.text is not None:
                body["text"] = msg.text
            if msg.attachments:
                body["attachments"] = msg.attachments
            ts = int(msg.at.timestamp() * 1000)
            self._emit(
                [
                    {
                        "sender": {"id": self.page_id},
                        "recipient": {"id": msg.psid},
                        "timestamp": ts,
                        "message": body,
                    }
                ],
                "message_echoes",
            )
            self._emit(
                [
                    {
                        "sender": {"id": msg.psid},
                        "recipient": {"id": self.page_id},
                        "timestamp": ts,
                        "delivery": {"mids": [msg.mid], "watermark": ts},
                    }
                ],
                "message_deliveries",
            )
        return msg

    def _emit(self, items: list[dict], field_name: str, *, forge: str | None = None) -> None:
        if field_name not in self.subscribed_fields:
            return
        if self.require_verification and not self.verified:
            return
        payload = {
            "object": "page",
            "entry": [{"id": self.page_id, "time": self.ms(), "messaging": items}],
        }
        self.webhooks.enqueue(payload, forge=forge)

    # ------------------------------------------------------------------ reading

    def transcript(self, psid: str | None = None) -> list[dict]:
        with self.lock:
            return [x.describe() for x in self.messages if psid is None or x.psid == str(psid)]

    def replies_to(self, psid: str) -> list[str]:
        """Texts the page sent to ``psid`` (Send API and Page Inbox), oldest first."""
        with self.lock:
            return [
                x.text
                for x in self.messages
                if x.psid == str(psid) and x.direction == "out" and x.text is not None
            ]

    # ------------------------------------------------------------------ handshake, replay

    def verify_callback(self, url: str | None = None, verify_token: str | None = None) -> dict:
        """Meta's verification GET against the callback; sets it when verified."""
        target = url or self.webhooks.target
        token = verify_token or self.verify_token
        challenge = str(self.rng.randint(10**8, 2 * 10**9))
        query = {"hub.mode": "subscribe", "hub.challenge": challenge, "hub.verify_token": token}
        path = url_path(target) if isinstance(target, str) else self.webhooks.path
        status, body = http_call(
            target, "GET", path=path, query=query, timeout=20.0, transport=self.webhooks.transport
        )
        received = body.decode("utf-8", "replace").strip()
        verified = status == 200 and received == challenge
        if verified:
            reason = ""
        elif status == 0:
            reason = "The URL couldn't be reached (connection failed or timed out)"
        elif status != 200:
            reason = f"Received HTTP code: {status}"
        else:
            reason = (
                "The URL couldn't be validated. Response does not match challenge, expected "
                f'value="{challenge}", received="{received[:40]}"'
            )
        with self.lock:
            self.verified = verified or self.verified
            if verified and url:
                self.set_callback(url)
            result = {
                "verified": verified,
                "status": status,
                "challenge": challenge,
                "reason": reason,
            }
            self.verifications.append(result)
        return result

    def replay(self, n: int = 1, *, deliver: bool = False) -> int:
        copies = self.webhooks.replay(n)
        if deliver:
            self.pump()
        return len(copies)

    # ------------------------------------------------------------------ control

    def control_fault(self, action: str, data: dict) -> None:
        with self.lock:
            if action == "graph_error_next":
                spec = {
                    k: data[k]
                    for k in ("code", "subcode", "message", "status", "type")
                    if data.get(k) is not None
                }
                self.graph_errors.extend(dict(spec) for _ in range(int(data.get("n", 1))))
            elif action == "revoke_token":
                self.revoked_tokens.add(self.page_access_token)
                self.page_access_token = data.get("new_token") or self.token(64)
            else:
                raise ValueError(f"unknown action {action!r}")

    def state(self) -> dict:
        with self.lock:
            return {
                "provider": "messenger",
                "now": self.clock.now().isoformat(),
                "page": {"id": self.page_id, "name": self.page_name},
                "app_id": self.app_id,
                "verified": self.verified,
                "subscribed_fields": sorted(self.subscribed_fields),
                "users": [u.describe() for u in self.users.values()],
                "messages": len(self.messages),
                "webhooks": self.webhooks.describe(),
                "faults": self.faults.to_dict(),
            }
