"""Lazada Open Platform (LAZOP) emulator.

One origin serves what Lazada splits over hosts: the API under ``/rest`` (``https://api.lazada.vn/
rest`` in prod; a client's gateway URL is ``http://127.0.0.1:8722/rest``), the token API under the
same ``/rest`` (``https://auth.lazada.com/rest``) and the authorization page
``/oauth/authorize`` (``https://auth.lazada.com/oauth/authorize``). Every API accepts GET (query)
and POST (form fields, as the official Python SDK sends; multipart too). The path signed is the
API path without ``/rest``. Envelope: ``{"code": "0", "data": …, "request_id"}``; errors
``{"type": "ISV|ISP|SYSTEM", "code", "message", "request_id"}`` with HTTP 200. Fulfilment APIs
answer ``result{success, error_code, error_msg, data}`` inside ``code: "0"``.

What it enforces (reference §2):

* Signing: ``app_key``, ``timestamp`` (ms, within 7200 s), ``sign_method=sha256``, ``sign``
  (+ ``access_token`` on seller APIs); ``sign = HEX_UPPER(HMAC_SHA256(app_secret, api_path +
  sorted k+v of every other parameter))``, values as received (``partner_id`` of the SDK
  included). Errors: ``MissingParameter``, ``IncompleteSignature`` ("The request signature does
  not conform to lazop standards"), ``IllegalAccessToken`` (unknown or expired token).
* OAuth: ``/oauth/authorize?response_type=code&client_id=<app_key>&redirect_uri=…[&state]``
  auto-approves as the simulated seller and redirects to ``redirect_uri?code=…&state=…``. Codes
  are single use (30 min). ``/auth/token/create`` (``code``) and ``/auth/token/refresh``
  (``refresh_token``) answer ``access_token, refresh_token, expires_in, refresh_expires_in,
  account, account_platform, country, country_user_info[]`` (and ``country_user_info_list``) at
  the top level. Bad codes: ``InvalidCode``; bad refresh tokens: ``IllegalRefreshToken``.
* Products with SKUs (``products/get`` with ``filter``/``limit`` ≤ 50/``offset``/``update_after``/
  ``sku_seller_list``, ``product/item/get``, ``product/create`` and ``product/update`` from a JSON
  or XML ``payload``), ``product/price_quantity/update`` and ``product/stock/sellable/update``/
  ``adjust`` (≤ 50 SKUs, XML or JSON payload).
* Orders (``orders/get``, ``order/get``, ``order/items/get``, ``orders/items/get``) with per-item
  statuses unpaid → pending → (pack) packed → (RTS) ready_to_ship → shipped → delivered →
  confirmed; canceled; failed_delivery → shipped_back_success; returned. Items come one row per
  unit. Seller cancel through ``order/reverse/cancel/validate`` + ``create``.
* Fulfilment: ``order/shipment/providers/get``, ``order/fulfill/pack`` (tracking number and
  package), ``order/package/rts``, ``order/package/repack``, ``order/package/document/get`` (PDF
  label, base64 plus a ``pdf_url`` on this emulator), ``logistic/order/trace``.
* Finance: ``finance/transaction/details/get`` (rows per order item: item price credit, seller
  voucher, commission, payment fee, service fee; their sum is the payout; ``paid_status`` turns
  "Paid" at settlement).
* Push (LPM): ``{seller_id, message_type, data, timestamp, site: "lazada_vn"}``; type 0 (trade
  order) ``data{order_status, trade_order_id, trade_order_line_id, status_update_time}`` (+
  ``reverse_order_id`` on cancel/return); header ``Authorization = hex_lower(HMAC(app_secret,
  app_key + body))``. Up to 12 retries.
* Rate limit: per-API QPS unpublished [U]; default 20 calls per second per (app, seller, API) →
  HTTP 429 with ``{"type": "ISP", "code": "ApiCallLimit"}``.

Choices where the reference is silent or unsure:

* Token lifetimes (console-dependent [U]): access 7 days, refresh 30 days from the authorization.
  A refresh answers a new pair; the old refresh token stays usable and the old access token lives
  to its own expiry; ``refresh_expires_in`` counts down to the first refresh token's expiry.
* Unknown ``app_key``: ``InvalidAppKey``; stale timestamp: ``InvalidTimestamp``; other
  ``sign_method``: ``InvalidSignMethod``. Business errors: ``E016`` (order id), ``E017`` (date),
  ``E019`` (limit), ``E014`` (offset), ``E036`` (status), ``E204`` (price/quantity payload),
  ``InvalidParameter`` otherwise.
* Dates in answers: ``YYYY-MM-DD HH:MM:SS +0700``; ``price`` strings with two decimals in orders,
  numbers in products and items. ``orders/get`` sorts by ``created_at`` descending by default.
* A pack packs the whole order (one package per order); the listed items must belong to it.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from emulators.common import Clock
from emulators.lazada import signing
from emulators.lazada.api import LazadaApi
from emulators.marketplace import (
    MarketplaceEmulator,
    Order,
    SignedWebhooks,
    TokenStore,
    add_marketplace_control_routes,
    add_query,
    digits,
)

DEMO_APP_KEY = "500001"
DEMO_APP_SECRET = "dGVtb2xhemFkYWFwcHNlY3JldGRvbmhhbmc"
DEMO_SELLER_ID = "200100001"

STATUS = {
    "unpaid": "unpaid",
    "to_ship": "pending",
    "packed": "packed",
    "arranged": "ready_to_ship",
    "shipped": "shipped",
    "delivered": "delivered",
    "completed": "confirmed",
    "in_cancel": "pending",
    "cancelled": "canceled",
    "failed_delivery": "failed_delivery",
    "returned": "returned",
}
STAGE_OF = {
    "unpaid": "unpaid",
    "pending": "to_ship",
    "packed": "packed",
    "ready_to_ship": "arranged",
    "shipped": "shipped",
    "delivered": "delivered",
    "confirmed": "completed",
    "canceled": "cancelled",
    "failed_delivery": "failed_delivery",
    "shipped_back_success": "cancelled",
    "returned": "returned",
}


class LazadaEmulator(MarketplaceEmulator, LazadaApi):
    """In-memory Lazada. ``wsgi_app`` serves the API; the methods below drive it."""

    platform = "lazada"
    platform_title = "Lazada"
    carrier_name = "LEX VN"

    def __init__(
        self,
        *,
        app_key: str = DEMO_APP_KEY,
        app_secret: str = DEMO_APP_SECRET,
        seller_id: str | None = DEMO_SELLER_ID,
        shop_name: str = "Shop Demo donhang (Lazada)",
        clock: Clock | None = None,
        seed: int = 0,
        push_url: str | None = None,
        push_target=None,
        redirect_uris: list[str] | None = None,
        step_seconds: float = 3600,
        pay_seconds: float = 1800,
        complete_seconds: float = 3 * 86400,
        settle_seconds: float = 7 * 86400,
        rate_limit: int | None = 20,
        rate_period: float = 1.0,
        rate_time=None,
        accept_wall_time: bool = True,
        access_ttl: float = 7 * 86400,
        refresh_ttl: float = 30 * 86400,
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
        self.app_key = str(app_key)
        self.app_secret = app_secret
        self.redirect_uris = redirect_uris
        self.tokens = TokenStore(
            self.rng,
            code_ttl=1800,
            access_ttl=access_ttl,
            refresh_ttl=refresh_ttl,
            refresh_single_use=False,
            rotate_refresh=True,
            extend_refresh=False,
            old_access_grace=None,
        )
        self.push_url = push_url or ""
        self.push_callable = push_target if callable(push_target) else None
        self.webhooks = SignedWebhooks(
            self.push_callable or push_target or push_url or None,
            path=urlsplit(push_url or "/").path or "/",
            max_retries=12,
            signer=self._push_headers,
        )
        self._ids = {"item": 3_100_000_000, "sku": 14_000_000_000}
        self.register_routes(self.app)
        add_marketplace_control_routes(self.app, self)
        if seller_id:
            self.add_shop(seller_id, shop_name)

    # ------------------------------------------------------------------ shops

    def add_shop(self, seller_id: str, name: str, *, short_code: str | None = None) -> dict:
        with self.lock:
            n = len(self.shops) + 1
            shop = {
                "shop_id": str(seller_id),
                "seller_id": str(seller_id),
                "user_id": str(300100000 + n),
                "short_code": short_code or f"VN{n:02d}DH{int(seller_id) % 100000:05d}",
                "name": name,
                "account": f"seller{n}@donhang.vn",
                "phone": "0901234567",
                "address": "12 Nguyễn Huệ, Phường Sài Gòn, Thành phố Hồ Chí Minh",
                "warehouse_id": "dropshipping",
            }
            self.shops[str(seller_id)] = shop
            if self.login_shop_id is None:
                self.login_shop_id = str(seller_id)
            return shop

    # ------------------------------------------------------------------ ids

    def new_order_id(self) -> str:
        while True:
            oid = digits(self.rng, 15)
            if oid not in self.orders:
                return oid

    def new_product_id(self) -> str:
        self._ids["item"] += 13
        return str(self._ids["item"])

    def new_variant_id(self) -> str:
        self._ids["sku"] += 17
        return str(self._ids["sku"])

    def new_line_id(self) -> str:
        return digits(self.rng, 15)

    def new_package_id(self) -> str:
        return "FP" + digits(self.rng, 15)

    def new_tracking_number(self) -> str:
        return "LZVN" + digits(self.rng, 11)

    # ------------------------------------------------------------------ statuses

    def status_of(self, order: Order) -> str:
        if order.stage == "cancelled" and any(s == "failed_delivery" for s, _ in order.history):
            return "shipped_back_success"
        return STATUS[order.stage]

    def parse_status(self, word: str) -> str:
        stage = STAGE_OF.get(word.lower())
        if stage is None:
            raise ValueError(f"unknown status {word!r}")
        return stage

    def next_stage(self, order: Order) -> str | None:
        if order.stage == "packed":
            return None  # waits for the seller's RTS
        return super().next_stage(order)

    # ------------------------------------------------------------------ pushes

    def _push_headers(self, body: bytes) -> dict:
        return {"Authorization": signing.push_signature(self.app_key, self.app_secret, body)}

    def set_push_url(self, url: str | None) -> None:
        self.push_url = url or ""
        self.webhooks.target = self.push_callable or (url or None)
        self.webhooks.path = urlsplit(url or "/").path or "/"

    def on_stage(self, order: Order, old_stage: str) -> None:
        word = self.status_of(order)
        if order.extra.get("last_status") == word:
            return
        order.extra["last_status"] = word
        data = {
            "order_status": word,
            "trade_order_id": order.id,
            "trade_order_line_id": self.unit_ids(order)[0],
            "status_update_time": self.ts(order.updated),
        }
        if order.stage in ("cancelled", "returned"):
            data["reverse_order_id"] = order.return_id or order.id
            data["reverse_order_line_id"] = data["trade_order_line_id"]
        self.webhooks.enqueue(
            {
                "seller_id": order.shop_id,
                "message_type": 0,
                "data": data,
                "timestamp": self.ts(),
                "site": "lazada_vn",
            }
        )

    # ------------------------------------------------------------------ OAuth

    def authorize_redirect(self, redirect: str, state: str | None) -> str:
        code = self.tokens.issue_code(self.default_shop_id(), self.clock.timestamp())
        params = {"code": code}
        if state:
            params["state"] = state
        return add_query(redirect, params)

    def describe_order(self, order: Order) -> dict:
        return {
            "order_id": order.id,
            "seller_id": order.shop_id,
            "status": self.status_of(order),
            "cod": order.cod,
            "total_amount": order.buyer_total,
            "settlement_amount": order.settlement_amount,
            "tracking_number": order.tracking_number,
            "package_id": order.package_id,
            "order_item_ids": self.unit_ids(order),
        }
