"""TikTok Shop Open API (202309+) emulator.

One origin serves the API (``https://open-api.tiktokglobalshop.com``: ``/{category}/{version}/
{resource}``), the token API (``https://auth.tiktok-shops.com``: ``/api/v2/token/get``,
``/api/v2/token/refresh``) and the authorization page (``https://services.tiktokshop.com``:
``/open/authorize``). Point a client's API base URL and auth base URL at ``http://127.0.0.1:8723``.
The version segment is a parameter: ``/product/202309/products/search`` and
``/product/202502/products/search`` are the same API. Envelope ``{"code": 0, "message":
"Success", "request_id", "data"}``.

What it enforces (reference §3):

* Signing: query ``app_key``, ``timestamp`` (s; from 5 minutes before to 30 s after now),
  ``sign`` (+ ``shop_cipher`` on shop APIs); header ``x-tts-access-token`` (or the legacy
  ``access_token`` query parameter). ``sign = hex_lower(HMAC_SHA256(secret, secret + path + sorted
  key+value pairs (minus sign, access_token; repeated keys in order) + raw body (unless
  multipart) + secret))``. Errors: ``106001`` invalid sign (HTTP 401); ``36009004`` missing or bad
  app_key, timestamp, sign or token (HTTP 401); ``105002`` expired token (HTTP 401); ``106013``
  shop_cipher missing or not one of the seller's shops (HTTP 400).
* OAuth: ``/open/authorize?service_id=…&state=…`` auto-approves as the simulated seller and
  redirects to the app's registered ``redirect_url`` with ``?code=…&state=…`` (the code lives
  30 minutes, single use). ``GET /api/v2/token/get?app_key&app_secret&auth_code&grant_type=
  authorized_code`` (unsigned; a wrong secret is refused) answers ``access_token`` and
  ``access_token_expire_in`` (a Unix time, +7 days), ``refresh_token``,
  ``refresh_token_expire_in``, ``open_id``, ``seller_name``, ``seller_base_region``,
  ``user_type``, ``granted_scopes``. ``/api/v2/token/refresh`` gives a new access token.
  ``/authorization/{v}/shops`` lists the seller's shops with their ``cipher``.
* Products (``products/search`` with page tokens, ``products/{id}``, create with
  ``idempotency_key``, ``inventory/update`` listing every warehouse of each SKU, product
  ``ACTIVATE`` only; ``prices/update``), ``logistics/{v}/warehouses``, ``product/{v}/images/upload``.
* Orders (``orders/search`` by create/update time with keyset page tokens, ``orders?ids=``):
  statuses UNPAID → (ON_HOLD) → AWAITING_SHIPMENT → (ship) AWAITING_COLLECTION → IN_TRANSIT →
  DELIVERED → COMPLETED, CANCELLED. Line items one per unit (no quantity); money as strings.
  Recipient address hidden while UNPAID/ON_HOLD. Seller cancel: ``return_refund/{v}/
  cancellations``. Returns: ``return_refund/{v}/returns/search`` (the order keeps its status;
  the return goes BUYER_SHIPPED_ITEM → RETURN_OR_REFUND_REQUEST_COMPLETE after a step).
* Fulfilment: ``packages/{id}/handover_time_slots``, ``packages/{id}/ship`` (PICKUP, DROP_OFF or
  ``self_shipment``), ``packages/{id}/shipping_documents`` (``doc_url`` to a PDF on this emulator,
  24 h, plus ``tracking_number``), ``packages/{id}``, ``orders/{id}/tracking``.
* Finance: ``finance/{v}/orders/{id}/statement_transactions`` once the order is settled
  (``settle_seconds`` after COMPLETED, or ``mark_cod_transferred``).
* Webhooks: body ``{"type", "tts_notification_id", "shop_id", "timestamp", "data"}`` (type 1
  order status, 4 package update, 12 return status); header ``Authorization = hex_lower(
  HMAC_SHA256(app_secret, app_key + body))``. ``event/{v}/webhooks`` (POST/PUT ``{address,
  event_type}``, GET, DELETE) sets the app's address and the event types sent. Up to 4 retries.
* Rate limit: 50 calls per second per API per (app, shop) → HTTP 429, code ``36009002``.

Choices where the reference is silent or unsure:

* Business errors (not in the reference): ``40001`` invalid parameter (HTTP 400), ``40004`` not
  found (HTTP 404), ``40009`` status does not allow it (HTTP 400).
* The refresh answers the **same** refresh token (its expiry unchanged, 365 days from the
  authorization); the old access token keeps working to its own expiry.
* A buyer's cancel before shipping cancels at once (no seller approval).
* One package per order; a webhook address registered through the API applies to the whole app.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from emulators.common import Clock
from emulators.marketplace import (
    MarketplaceEmulator,
    Order,
    SignedWebhooks,
    TokenStore,
    add_marketplace_control_routes,
    add_query,
    digits,
)
from emulators.tiktok_shop import signing
from emulators.tiktok_shop.api import TiktokApi
from emulators.tiktok_shop.base import EVENT_TYPES

DEMO_APP_KEY = "6demodonhang"
DEMO_APP_SECRET = "7d3f0c1e5b2a4d6e8f9a0b1c2d3e4f5a6b7c8d9e"
DEMO_SERVICE_ID = "7300000000000000001"
DEMO_SHOP_ID = "7494000000000000001"

STATUS = {
    "unpaid": "UNPAID",
    "to_ship": "AWAITING_SHIPMENT",
    "packed": "AWAITING_COLLECTION",
    "arranged": "AWAITING_COLLECTION",
    "shipped": "IN_TRANSIT",
    "delivered": "DELIVERED",
    "completed": "COMPLETED",
    "in_cancel": "AWAITING_SHIPMENT",
    "cancelled": "CANCELLED",
    "failed_delivery": "IN_TRANSIT",
}
STAGE_OF = {
    "UNPAID": "unpaid",
    "ON_HOLD": "to_ship",
    "AWAITING_SHIPMENT": "to_ship",
    "AWAITING_COLLECTION": "arranged",
    "IN_TRANSIT": "shipped",
    "DELIVERED": "delivered",
    "COMPLETED": "completed",
    "CANCELLED": "cancelled",
    "RETURNED": "returned",
}


class TiktokShopEmulator(MarketplaceEmulator, TiktokApi):
    """In-memory TikTok Shop. ``wsgi_app`` serves the API; the methods below drive it."""

    platform = "tiktok_shop"
    platform_title = "TikTok Shop"
    carrier_name = "J&T Express"

    def __init__(
        self,
        *,
        app_key: str = DEMO_APP_KEY,
        app_secret: str = DEMO_APP_SECRET,
        service_id: str = DEMO_SERVICE_ID,
        redirect_url: str | None = None,
        shop_id: str | None = DEMO_SHOP_ID,
        shop_name: str = "Shop Demo donhang (TikTok)",
        clock: Clock | None = None,
        seed: int = 0,
        push_url: str | None = None,
        push_target=None,
        step_seconds: float = 3600,
        pay_seconds: float = 1800,
        on_hold_seconds: float = 0,
        review_seconds: float = 0,
        complete_seconds: float = 3 * 86400,
        settle_seconds: float = 86400,
        rate_limit: int | None = 50,
        rate_period: float = 1.0,
        rate_time=None,
        accept_wall_time: bool = True,
        fees: dict | None = None,
    ):
        self._init_common(
            clock=clock,
            seed=seed,
            step_seconds=step_seconds,
            pay_seconds=pay_seconds,
            complete_seconds=complete_seconds,
            settle_seconds=settle_seconds,
            rate_limit=rate_limit,
            rate_period=rate_period,
            rate_time=rate_time,
            accept_wall_time=accept_wall_time,
            fees=fees,
        )
        self.app_key = app_key
        self.app_secret = app_secret
        self.service_id = service_id
        self.redirect_url = redirect_url
        self.on_hold_seconds = on_hold_seconds
        self.review_seconds = review_seconds
        self.tokens = TokenStore(
            self.rng,
            code_ttl=1800,
            access_ttl=7 * 86400,
            refresh_ttl=365 * 86400,
            refresh_single_use=False,
            rotate_refresh=False,
            extend_refresh=False,
            old_access_grace=None,
            prefix="ROW_",
        )
        self.push_url = push_url or ""
        self.push_callable = push_target if callable(push_target) else None
        self.push_events = set(EVENT_TYPES.values())
        self.webhook_registrations: dict[str, dict] = {}
        self.webhooks = SignedWebhooks(
            self.push_callable or push_target or push_url or None,
            path=urlsplit(push_url or "/").path or "/",
            max_retries=4,
            signer=self._push_headers,
        )
        self.idempotency: dict[tuple[str, str], str] = {}
        self.register_routes(self.app)
        add_marketplace_control_routes(self.app, self)
        if shop_id:
            self.add_shop(shop_id, shop_name)

    # ------------------------------------------------------------------ shops

    def add_shop(self, shop_id: str, name: str, *, seller_id: str | None = None) -> dict:
        with self.lock:
            n = len(self.shops) + 1
            shop = {
                "shop_id": str(shop_id),
                "name": name,
                "region": "VN",
                "seller_type": "LOCAL",
                "cipher": "ROW_"
                + "".join(
                    self.rng.choice("abcdefghijkmnpqrstuvwxyzABCDEFGH23456789") for _ in range(28)
                ),
                "code": f"VNLCDH{n:04d}",
                "seller_id": seller_id or f"seller-{shop_id}",
                "warehouse_id": digits(self.rng, 19),
                "phone": "0901234567",
                "address": "12 Nguyễn Huệ, Phường Sài Gòn, Thành phố Hồ Chí Minh",
            }
            self.shops[str(shop_id)] = shop
            if self.login_shop_id is None:
                self.login_shop_id = str(shop_id)
            return shop

    def shop_by_cipher(self, cipher: str) -> dict | None:
        return next((s for s in self.shops.values() if s["cipher"] == cipher), None)

    # ------------------------------------------------------------------ ids

    def new_order_id(self) -> str:
        while True:
            oid = "57" + digits(self.rng, 16)
            if oid not in self.orders:
                return oid

    def new_product_id(self) -> str:
        return "17" + digits(self.rng, 17)

    def new_variant_id(self) -> str:
        return "17" + digits(self.rng, 17)

    def new_line_id(self) -> str:
        return "57" + digits(self.rng, 16)

    def new_package_id(self) -> str:
        return "11" + digits(self.rng, 17)

    def new_tracking_number(self) -> str:
        return "VN" + digits(self.rng, 12)

    # ------------------------------------------------------------------ statuses

    def status_of(self, order: Order) -> str:
        if order.stage == "returned":
            return order.extra.get("status_before_return", "DELIVERED")
        if order.stage == "to_ship" and order.extra.get("hold_until", 0) > self.clock.timestamp():
            return "ON_HOLD"
        return STATUS[order.stage]

    def parse_status(self, word: str) -> str:
        stage = STAGE_OF.get(word.upper())
        if stage is None and word.lower() in STATUS:
            stage = word.lower()
        if stage is None:
            raise ValueError(f"unknown status {word!r}")
        return stage

    def set_stage(self, order: Order, stage: str, when=None) -> None:
        if stage == "returned":
            order.extra["status_before_return"] = self.status_of(order)
        if stage == "to_ship" and self.on_hold_seconds and order.stage in ("", "unpaid"):
            base = (when or self.clock.now()).timestamp()
            order.extra["hold_until"] = base + self.on_hold_seconds
        super().set_stage(order, stage, when)

    def start_return(self, order: Order) -> None:
        super().start_return(order)
        order.return_status = "BUYER_SHIPPED_ITEM"
        order.extra["return_updated"] = self.ts()
        self.push(12, order, self.return_push_data(order))

    def tick_extra(self, order: Order, target) -> int:
        moved = 0
        hold = order.extra.get("hold_until")
        if hold and hold <= target.timestamp() and not order.extra.get("hold_pushed"):
            order.extra["hold_pushed"] = True
            if order.stage == "to_ship":
                order.updated = self.clock.now()
                self.push_status(order)
                moved += 1
        if (
            order.return_status == "BUYER_SHIPPED_ITEM"
            and order.return_time is not None
            and order.return_time.timestamp() + self.step_seconds <= target.timestamp()
        ):
            order.return_status = "RETURN_OR_REFUND_REQUEST_COMPLETE"
            order.extra["return_updated"] = int(order.return_time.timestamp() + self.step_seconds)
            self.push(12, order, self.return_push_data(order))
            moved += 1
        return moved + super().tick_extra(order, target)

    # ------------------------------------------------------------------ pushes

    def _push_headers(self, body: bytes) -> dict:
        return {"Authorization": signing.webhook_signature(self.app_key, self.app_secret, body)}

    def set_push_url(self, url: str | None) -> None:
        self.push_url = url or ""
        self.webhooks.target = self.push_callable or (url or None)
        self.webhooks.path = urlsplit(url or "/").path or "/"

    def push(self, type_: int, order: Order, data: dict) -> None:
        if type_ not in self.push_events:
            return
        self.webhooks.enqueue(
            {
                "type": type_,
                "tts_notification_id": digits(self.rng, 19),
                "shop_id": order.shop_id,
                "timestamp": self.ts(),
                "data": data,
            }
        )

    def push_status(self, order: Order) -> None:
        word = self.status_of(order)
        if order.extra.get("last_status") == word:
            return
        order.extra["last_status"] = word
        self.push(
            1,
            order,
            {
                "order_id": order.id,
                "order_status": word,
                "is_on_hold_order": word == "ON_HOLD",
                "update_time": self.ts(order.updated),
            },
        )

    def on_stage(self, order: Order, old_stage: str) -> None:
        self.push_status(order)
        if order.stage == "arranged" and old_stage != "arranged":
            self.push(
                4,
                order,
                {
                    "order_id": order.id,
                    "package_id": order.package_id,
                    "update_time": self.ts(order.updated),
                },
            )

    def return_push_data(self, order: Order) -> dict:
        return {
            "order_id": order.id,
            "return_id": order.return_id,
            "return_role": "BUYER",
            "return_type": "RETURN_AND_REFUND",
            "return_status": order.return_status,
            "create_time": self.ts(order.return_time),
            "update_time": order.extra.get("return_updated", self.ts()),
        }

    # ------------------------------------------------------------------ OAuth

    def authorize_redirect(self, state: str | None) -> str | None:
        shop = self.shops[self.default_shop_id()]
        code = self.tokens.issue_code(shop["seller_id"], self.clock.timestamp())
        if not self.redirect_url:
            return None
        params = {"code": code, "locale": "vi-VN"}
        if state:
            params["state"] = state
        return add_query(self.redirect_url, params)

    def seller_shops(self, seller_id: str) -> list[dict]:
        return [s for s in self.shops.values() if s["seller_id"] == seller_id]

    def describe_order(self, order: Order) -> dict:
        return {
            "order_id": order.id,
            "shop_id": order.shop_id,
            "status": self.status_of(order),
            "cod": order.cod,
            "total_amount": order.buyer_total,
            "settlement_amount": order.settlement_amount,
            "tracking_number": order.tracking_number,
            "package_id": order.package_id,
            "return_status": order.return_status,
        }
