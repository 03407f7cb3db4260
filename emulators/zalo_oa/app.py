"""Zalo Official Account emulator (OA API v3 + OAuth v4 + OA webhooks).

Written from ``reference/chatbot-channels.md`` §1.2, not from donhang's code. One base URL
serves the paths of both Zalo hosts: ``openapi.zalo.me`` (``/v3.0/oa/...``, ``/v2.0/oa/...``)
and ``oauth.zaloapp.com`` (``/v4/oa/permission``, ``/v4/oa/access_token``).

What it enforces:

* **Webhooks** to the callback (``<callback-base>/chatbot/webhooks/zalo/`` in the demo): compact
  JSON, raw UTF-8 (no escaping), ``timestamp`` a string of milliseconds, header
  ``X-ZEvent-Signature: mac=<hex>`` with ``hex = SHA-256(app_id + raw_body + timestamp +
  OA secret key)`` — a plain hash of the concatenation (not HMAC), ``app_id`` and ``timestamp``
  as written in the body, key the **OA** secret (not the App secret). Events: ``follow``,
  ``unfollow`` (``follower.id``, ``oa_id``), ``user_send_text``, ``user_send_image``,
  ``user_send_sticker`` (``sender.id`` user, ``recipient.id`` OA, ``message.msg_id``,
  ``message.text``, ``message.attachments``), ``oa_send_text`` for every message the OA sent
  (a bot must skip it), ``user_seen_message`` (``sender.id`` OA, ``message.msg_ids``). A 2xx
  answer is a delivery; otherwise retried on later ``pump`` calls (10 retries); 2 s timeout.
* **Send** ``POST /v3.0/oa/message/cs`` with header ``access_token`` and JSON
  ``{"recipient": {"user_id"}, "message": {"text", "quote_message_id"?} | {"attachment":
  {"type": "template", "payload"}}}``. Success ``{"data": {"message_id", "user_id", "quota"},
  "error": 0, "message": "Success"}``. Failures answer HTTP 200 with ``{"error": <negative>,
  "message"}``: ``-216`` access token missing, unknown or expired ("Access token has
  expired"); ``-201`` bad JSON, missing recipient/text, text over 2000 characters, unknown
  ``user_id`` or ``quote_message_id``; ``-230`` no free reply left (see quota).
* **Reply quota** (Zalo OA help centre): after a user writes (or follows), the OA may send
  **8 replies within 48 h**; the count resets when the user writes again. A 9th message, or one
  after 48 h, is proactive: it needs the OA's proactive quota (``proactive_quota``, 0 in the
  demo) or it is refused with ``-230``.
* **User detail** ``GET /v3.0/oa/user/detail?data={"user_id": "…"}``; **OA info** ``GET
  /v2.0/oa/getoa``.
* **OAuth v4 + PKCE**: ``GET /v4/oa/permission?app_id&redirect_uri&code_challenge&state``
  approves at once and redirects to ``redirect_uri?oa_id&code&state&code_challenge``; codes are
  single use, 10 minutes. ``POST /v4/oa/access_token`` (form-urlencoded, header ``secret_key:
  <App secret>``, ``app_id`` and either ``grant_type=authorization_code`` + ``code`` +
  ``code_verifier`` — which must hash to the challenge — or ``grant_type=refresh_token`` +
  ``refresh_token``) → ``{"access_token", "refresh_token", "expires_in": "90000",
  "refresh_token_expires_in"}``. Access tokens live 25 h, refresh tokens 3 months and are
  **single use**: a refresh returns a new pair; the old refresh token is then refused
  (``-14014``); the old access token keeps working until its own expiry. Errors: HTTP 200 with
  ``{"error", "error_name", "error_reason", "ref_doc", "error_description"}``: ``-14002`` app id,
  ``-14003`` secret key, ``-14004`` grant type, ``-14019`` code, ``-14020`` verifier, ``-14014``
  refresh token.
* **Demo tokens**: a fixed pair (``DEMO_ACCESS_TOKEN``/``DEMO_REFRESH_TOKEN``) exists from the
  start, so the demo shop connects without the OAuth dance; it expires like any other.
* **Faults**: ``duplicate``, ``out_of_order``, ``replay`` (byte-identical re-delivery, same MAC,
  old timestamp), ``forge`` (``bad_signature``, ``no_signature``, ``tampered_body``), Zalo errors
  on the next API calls (``zalo_error_next``), token expiry now (``tokens/expire``), and the
  common 5xx/429/timeouts.

Control (``/_emulator/``), besides ``state``, ``tick``, ``pump``, ``faults``:

| Path | Body | Effect |
|---|---|---|
| ``POST followers`` | ``{user_id?, display_name?, follow?: true, deliver?: true}`` | a user (follows: ``follow`` event) |
| ``POST unfollow`` | ``{user_id}`` | ``unfollow`` event |
| ``POST messages`` | ``{user_id?, text?, image_url?, sticker_id?, forge?, deliver?: true}`` | the user writes (a new non-follower when no user_id) |
| ``POST seen`` | ``{user_id}`` | ``user_seen_message`` for the OA's messages |
| ``GET transcript?user_id=`` | | both directions, oldest first |
| ``POST tokens/expire`` | | every live access token expires now |
| ``POST webhooks`` | ``{url?, duplicate?, out_of_order?, replay?, oa_send_events?}`` | delivery settings |
| ``POST redirect`` | ``{url}`` | the app's registered OAuth callback (prefix match) |
| ``GET chat`` | | an HTML page to play a customer in the demo |

Unconfirmed in the reference and chosen here: the OAuth error numbers and the ``-230`` refusal;
``expires_in`` as a string (clients must ``int()`` it); a follow opening the reply window; the
old access token outliving a refresh; PKCE only checked when the authorization carried a
challenge.
"""

from __future__ import annotations

import itertools
import json
from collections.abc import Callable
from datetime import timedelta

from emulators.common import Clock, url_path
from emulators.marketplace import RouterApp, TokenPair, TokenStore
from emulators.messenger.chat import ChatEmulatorBase, ChatWebhooks, json_compact
from emulators.zalo_oa.api import ZaloApi, ZaloError
from emulators.zalo_oa.control import add_zalo_control_routes
from emulators.zalo_oa.model import ZaloMessage, ZaloUser, zalo_mac

DEMO_APP_ID = "2718281828459045235"
DEMO_APP_SECRET = "ZkDemoAppSecret0donhang0Zalo0App"
DEMO_OA_ID = "3141592653589793238"
DEMO_OA_SECRET = "ZkDemoOASecret00donhang0Zalo0OA0"
DEMO_ACCESS_TOKEN = "zoa-demo-access-token-donhang-3141592653589793238"
DEMO_REFRESH_TOKEN = "zoa-demo-refresh-token-donhang-3141592653589793238"
WEBHOOK_PATH = "/chatbot/webhooks/zalo/"
ACCESS_TTL = 25 * 3600
REFRESH_TTL = 90 * 86400
REPLY_WINDOW = timedelta(hours=48)
REPLIES_PER_MESSAGE = 8
NAMES = ("Ngọc Anh", "Minh Khoa", "Thu Trang", "Đức Huy", "Bảo Ngọc", "Quốc Việt", "Hồng Nhung")


class ZaloOaEmulator(ZaloApi, ChatEmulatorBase):
    """In-memory Zalo OA. ``wsgi_app`` serves both hosts; methods drive the followers."""

    def __init__(
        self,
        *,
        app_id: str = DEMO_APP_ID,
        app_secret: str = DEMO_APP_SECRET,
        oa_id: str = DEMO_OA_ID,
        oa_secret: str = DEMO_OA_SECRET,
        oa_name: str = "Shop Demo donhang",
        clock: Clock | None = None,
        seed: int = 0,
        webhook_target: str | Callable | None = None,
        webhook_path: str = WEBHOOK_PATH,
        redirect_url: str | None = None,
        demo_tokens: bool = True,
        access_ttl: float = ACCESS_TTL,
        refresh_ttl: float = REFRESH_TTL,
        proactive_quota: int = 0,
        verified_oa: bool = True,
        delivery_timeout: float = 2.0,
        max_retries: int = 10,
    ):
        self._init_base(clock=clock, seed=seed)
        self.app_id, self.app_secret = str(app_id), app_secret
        self.oa_id, self.oa_secret, self.oa_name = str(oa_id), oa_secret, oa_name
        self.redirect_url = redirect_url
        self.proactive_quota = proactive_quota
        self.verified_oa = verified_oa
        self.oa_send_events = True
        self.users: dict[str, ZaloUser] = {}
        self.messages: list[ZaloMessage] = []
        self.zalo_errors: list[dict] = []
        self.code_challenges: dict[str, str | None] = {}
        self.token_grants: list[tuple[str, str]] = []
        self._names = itertools.count()
        self.tokens = TokenStore(
            self.rng,
            code_ttl=600,
            access_ttl=access_ttl,
            refresh_ttl=refresh_ttl,
            authorization_ttl=10 * 365 * 86400,
            refresh_single_use=True,
            rotate_refresh=True,
            extend_refresh=True,
            old_access_grace=None,
        )
        if demo_tokens:
            self._demo_pair()
        self.webhooks = ChatWebhooks(
            None,
            signer=self._sign,
            serialise=lambda payload: json_compact(payload, ascii_only=False),
            path=webhook_path,
            timeout=delivery_timeout,
            max_retries=max_retries,
        )
        self.set_callback(webhook_target)
        self.app = RouterApp(self.faults)
        self.wsgi_app = self.app
        self._routes()
        add_zalo_control_routes(self)

    def _demo_pair(self) -> None:
        now = self.clock.timestamp()
        pair = TokenPair(
            subject=self.oa_id,
            access_token=DEMO_ACCESS_TOKEN,
            refresh_token=DEMO_REFRESH_TOKEN,
            access_expires=now + self.tokens.access_ttl,
            refresh_expires=now + self.tokens.refresh_ttl,
            created=now,
            authorization_expires=now + self.tokens.authorization_ttl,
        )
        self.tokens.by_access[pair.access_token] = pair
        self.tokens.by_refresh[pair.refresh_token] = pair

    def _sign(self, body: bytes) -> dict:
        data = json.loads(body)
        mac = zalo_mac(
            str(data.get("app_id", "")), body, str(data.get("timestamp", "")), self.oa_secret
        )
        return {"X-ZEvent-Signature": "mac=" + mac}

    def set_callback(self, target: str | Callable | None) -> None:
        self.webhooks.target = target or None
        if isinstance(target, str) and target:
            self.webhooks.path = url_path(target)

    # ------------------------------------------------------------------ users

    def add_user(self, user_id: str | None = None, *, display_name: str | None = None) -> ZaloUser:
        with self.lock:
            user_id = str(user_id or self.digits(19))
            user = self.users.get(user_id)
            if user is None:
                n = next(self._names)
                user = ZaloUser(
                    user_id=user_id,
                    user_id_by_app=self.digits(19),
                    display_name=display_name or NAMES[n % len(NAMES)],
                )
                self.users[user_id] = user
            elif display_name:
                user.display_name = display_name
            return user

    def user(self, user_id: str) -> ZaloUser:
        try:
            return self.users[str(user_id)]
        except KeyError:
            raise KeyError(f"unknown user_id {user_id!r}") from None

    def new_msg_id(self) -> str:
        return self.token(32, "0123456789abcdef")

    def _interaction(self, user: ZaloUser) -> None:
        user.last_interaction = self.clock.now()
        user.replies_left = REPLIES_PER_MESSAGE

    def _event(self, event_name: str, **fields) -> dict:
        return {
            "app_id": self.app_id,
            "event_name": event_name,
            "timestamp": str(self.ms()),
            **fields,
        }

    def follow(
        self,
        user_id: str | None = None,
        *,
        display_name: str | None = None,
        forge: str | None = None,
        deliver: bool = False,
    ) -> ZaloUser:
        with self.lock:
            user = self.add_user(user_id, display_name=display_name)
            user.follower = True
            self._interaction(user)
            payload = self._event(
                "follow",
                oa_id=self.oa_id,
                follower={"id": user.user_id},
                user_id_by_app=user.user_id_by_app,
                source="oa_profile",
            )
            self.webhooks.enqueue(payload, forge=forge)
        if deliver:
            self.pump()
        return user

    def unfollow(self, user_id: str, *, deliver: bool = False) -> None:
        with self.lock:
            user = self.user(user_id)
            user.follower = False
            payload = self._event(
                "unfollow",
                oa_id=self.oa_id,
                follower={"id": user.user_id},
                user_id_by_app=user.user_id_by_app,
                source="oa_profile",
            )
            self.webhooks.enqueue(payload)
        if deliver:
            self.pump()

    def user_sends(
        self,
        user_id: str | None = None,
        text: str | None = None,
        *,
        image_url: str | None = None,
        sticker_id: str | None = None,
        forge: str | None = None,
        deliver: bool = False,
    ) -> ZaloMessage:
        """A user writes to the OA (a new, non-following user when ``user_id`` is None)."""
        with self.lock:
            user = self.add_user(user_id)
            msg = ZaloMessage(self.new_msg_id(), user.user_id, "in", "text", self.clock.now(), text)
            body: dict = {"msg_id": msg.msg_id}
            if image_url:
                msg.kind = "image"
                msg.attachments = [
                    {"type": "image", "payload": {"thumbnail": image_url, "url": image_url}}
                ]
            elif sticker_id:
                msg.kind = "sticker"
                msg.attachments = [
                    {
                        "type": "sticker",
                        "payload": {
                            "id": str(sticker_id),
                            "url": f"https://zalo-api.zadn.vn/api/emoticon/sticker/webpc?eid={sticker_id}",
                        },
                    }
                ]
            elif not text:
                raise ValueError("a message needs text, image_url or sticker_id")
            if text:
                body["text"] = text
            if msg.attachments:
                body["attachments"] = msg.attachments
            self._interaction(user)
            self.messages.append(msg)
            payload = self._event(
                f"user_send_{msg.kind}",
                sender={"id": user.user_id},
                user_id_by_app=user.user_id_by_app,
                recipient={"id": self.oa_id},
                message=body,
            )
            self.webhooks.enqueue(payload, forge=forge)
        if deliver:
            self.pump()
        return msg

    def user_seen(self, user_id: str, *, deliver: bool = False) -> None:
        with self.lock:
            user = self.user(user_id)
            ids = [
                x.msg_id
                for x in self.messages
                if x.user_id == user.user_id and x.direction == "out"
            ]
            payload = self._event(
                "user_seen_message",
                sender={"id": self.oa_id},
                recipient={"id": user.user_id},
                message={"msg_ids": ids},
                user_id_by_app=user.user_id_by_app,
            )
            self.webhooks.enqueue(payload)
        if deliver:
            self.pump()

    # ------------------------------------------------------------------ the OA sends

    def consume_reply(self, user: ZaloUser) -> dict:
        """One reply from the free quota, else from the proactive quota, else ``-230``."""
        now = self.clock.now()
        last = user.last_interaction
        if last is not None and now - last <= REPLY_WINDOW and user.replies_left > 0:
            user.replies_left -= 1
            return {
                "quota_type": "reply",
                "remain": user.replies_left,
                "total": REPLIES_PER_MESSAGE,
                "expired_date": (last + REPLY_WINDOW).strftime("%d/%m/%Y %H:%M:%S"),
            }
        if self.verified_oa and self.proactive_quota > 0:
            self.proactive_quota -= 1
            return {"quota_type": "proactive", "remain": self.proactive_quota}
        raise ZaloError(
            -230,
            "User has not interacted with the OA recently: no free reply left for this user",
        )

    def record_outbound(self, user: ZaloUser, *, text=None, attachment=None, quote=None):
        msg = ZaloMessage(
            self.new_msg_id(),
            user.user_id,
            "out",
            "template" if attachment else "text",
            self.clock.now(),
            text,
            [attachment] if attachment else [],
            quote,
        )
        self.messages.append(msg)
        if self.oa_send_events and text is not None:
            self.webhooks.enqueue(
                self._event(
                    "oa_send_text",
                    sender={"id": self.oa_id},
                    recipient={"id": user.user_id},
                    user_id_by_app=user.user_id_by_app,
                    message={"msg_id": msg.msg_id, "text": text},
                )
            )
        return msg

    # ------------------------------------------------------------------ reading, control

    def transcript(self, user_id: str | None = None) -> list[dict]:
        with self.lock:
            return [
                x.describe() for x in self.messages if user_id is None or x.user_id == str(user_id)
            ]

    def replies_to(self, user_id: str) -> list[str]:
        with self.lock:
            return [
                x.text
                for x in self.messages
                if x.user_id == str(user_id) and x.direction == "out" and x.text is not None
            ]

    def replay(self, n: int = 1, *, deliver: bool = False) -> int:
        copies = self.webhooks.replay(n)
        if deliver:
            self.pump()
        return len(copies)

    def expire_tokens(self) -> int:
        with self.lock:
            return self.tokens.expire_access(None, self.clock.timestamp())

    def control_fault(self, action: str, data: dict) -> None:
        with self.lock:
            if action != "zalo_error_next":
                raise ValueError(f"unknown action {action!r}")
            spec = {"error": int(data.get("error", -32)), "message": data.get("message")}
            self.zalo_errors.extend(dict(spec) for _ in range(int(data.get("n", 1))))

    def state(self) -> dict:
        with self.lock:
            return {
                "provider": "zalo_oa",
                "now": self.clock.now().isoformat(),
                "app_id": self.app_id,
                "oa_id": self.oa_id,
                "users": [
                    {**u.detail(), "replies_left": u.replies_left} for u in self.users.values()
                ],
                "messages": len(self.messages),
                "token_grants": len(self.token_grants),
                "proactive_quota": self.proactive_quota,
                "webhooks": self.webhooks.describe(),
                "faults": self.faults.to_dict(),
            }
