"""Shopee Open Platform (API v2) emulator.

Paths as on ``https://partner.shopeemobile.com`` (``/api/v2/...``) at the root of the base URL, so
a Shopee client pointed at ``http://127.0.0.1:8721`` works unchanged. Envelope ``{request_id,
error, message, response}`` (``error == ""`` on success). Token, shop-info and partner-level
answers are flat, as Shopee's are; ``get_shop_info`` also repeats its fields under ``response``.

What it enforces (reference §1):

* Signing: ``partner_id``, ``timestamp``, ``sign`` (+ ``access_token``, ``shop_id`` on shop calls)
  in the query; ``sign = hex_lower(HMAC_SHA256(partner_key, partner_id + path + timestamp
  [+ access_token + shop_id]))`` over the values as sent. Public-level paths: ``auth/*``,
  ``shop/auth_partner``, ``shop/cancel_auth_partner``, ``public/*``, ``push/*`` and
  ``media_space/upload_image``. POST bodies are JSON and unsigned. Errors: ``error_param`` (missing
  parameter, timestamp more than 300 s away), ``error_auth`` (unknown partner, unknown/revoked
  token, token of another shop), ``error_sign`` ("Wrong sign."), ``invalid_acceess_token`` (sic,
  expired token).
* OAuth: ``GET /api/v2/shop/auth_partner?partner_id&timestamp&sign&redirect`` (signed, 5 minutes)
  auto-approves as the simulated seller (``login_shop_id``, the demo shop by default) and
  redirects to ``redirect?code=…&shop_id=…``. ``code`` is single use, 10 minutes. Access tokens
  live 4 h; refresh tokens 30 days and are **single use** (the new pair replaces the old; the old
  access token keeps working 5 minutes). Authorization lasts 365 days.
* Products (items, ``has_model`` with tier variations and models), stock and prices; orders
  created by simulated buyers (``create_order``); statuses UNPAID → READY_TO_SHIP →
  (``ship_order``) PROCESSED → SHIPPED → TO_CONFIRM_RECEIVE → COMPLETED; IN_CANCEL (buyer asks,
  seller decides), CANCELLED, RETRY_SHIP (``advance(…, "RETRY_SHIP")``), TO_RETURN (buyer returns).
  A failed delivery ends CANCELLED ("Failed Delivery", packages ``LOGISTICS_DELIVERY_FAILED``).
  Buyer purchases take stock at once; cancellations before shipping give it back.
* Logistics: shipping parameters (pickup or dropoff; ``non_integrated`` with the seller's own
  tracking number), ``ship_order``, tracking number (immediately, or ``tracking_delay`` seconds
  of emulator time later), shipping document parameter/create/result/download (a PDF label).
* Escrow per order (``payment/get_escrow_detail``): ``escrow_amount`` = items after seller
  discounts − seller voucher − commission − service fee − transaction fee; platform vouchers and
  discounts are paid by Shopee. Completed orders are paid out ``settle_seconds`` later (or by
  ``mark_cod_transferred``) and appear in ``payment/get_wallet_transaction_list``
  (ESCROW_VERIFIED_ADD).
* Push: codes 3 (order status, ``ordersn``) and 4 (tracking number) by default, configurable by
  ``push/set_app_push_config`` (and the older ``push/set_push_config``); body ``{"data", "shop_id",
  "code", "timestamp"}`` compact JSON; header ``Authorization: hex(HMAC(partner_key, callback_url
  + "|" + body))``. Up to 3 retries (one per ``pump``); dead ones are served by
  ``push/get_lost_push_message``. Duplicates, out-of-order and replays through the dispatcher.
* Rate limit: numbers unpublished [U]; default 50 calls per second per (partner, shop, API path)
  → HTTP 429 with ``error_rate_limit`` in the body. ``daily_limit`` (off) → ``error_limit``.

Choices where the reference is silent or unsure:

* Errors answer HTTP 200 with the error in the body (``error_status=`` changes it), so clients
  that read the body only on HTTP 200 (``pyshopee2``) still see them; rate limits answer 429.
* List parameters accept ``a,b``, repeated keys and ``[a, b]`` (even Python's ``['A']``).
* ``get_item_list`` without ``item_status`` lists every status but deleted; items are ordered by
  ``item_id``. ``get_order_list`` orders by the chosen time then ``order_sn``; its cursor is a
  keyset (no order is skipped while orders change between pages).
* Unknown ``order_sn``/``item_id`` in a list → ``error_param`` naming it (nothing partial).
* Merchant-level (main account) calls are not emulated (``error_param``).
"""

from __future__ import annotations

from urllib.parse import urlencode, urlsplit

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
from emulators.shopee import signing
from emulators.shopee.api import ShopeeApi

DEMO_PARTNER_ID = 1000001
DEMO_PARTNER_KEY = "shpk4e6f2d64656d6f2d73686f7065652d706172746e65722d6b6579"
DEMO_SHOP_ID = 220001

STATUS = {
    "unpaid": "UNPAID",
    "to_ship": "READY_TO_SHIP",
    "packed": "PROCESSED",
    "arranged": "PROCESSED",
    "shipped": "SHIPPED",
    "delivered": "TO_CONFIRM_RECEIVE",
    "completed": "COMPLETED",
    "in_cancel": "IN_CANCEL",
    "cancelled": "CANCELLED",
    "failed_delivery": "SHIPPED",
    "returned": "TO_RETURN",
}
STAGE_OF = {
    "UNPAID": "unpaid",
    "READY_TO_SHIP": "to_ship",
    "RETRY_SHIP": "to_ship",
    "PROCESSED": "arranged",
    "SHIPPED": "shipped",
    "TO_CONFIRM_RECEIVE": "delivered",
    "COMPLETED": "completed",
    "IN_CANCEL": "in_cancel",
    "CANCELLED": "cancelled",
    "TO_RETURN": "returned",
}
LOGISTICS_STATUS = {
    "unpaid": "LOGISTICS_NOT_START",
    "to_ship": "LOGISTICS_READY",
    "packed": "LOGISTICS_REQUEST_CREATED",
    "arranged": "LOGISTICS_REQUEST_CREATED",
    "shipped": "LOGISTICS_PICKUP_DONE",
    "delivered": "LOGISTICS_DELIVERY_DONE",
    "completed": "LOGISTICS_DELIVERY_DONE",
    "failed_delivery": "LOGISTICS_DELIVERY_FAILED",
    "returned": "LOGISTICS_DELIVERY_DONE",
    "in_cancel": "LOGISTICS_READY",
}
SN_ALPHABET = "0123456789ABCDEFGHJKLMNPQRSTUVWXY"
DEFAULT_PUSH_CODES = {3, 4}


class ShopeeEmulator(MarketplaceEmulator, ShopeeApi):
    """In-memory Shopee. ``wsgi_app`` serves the API; the methods below drive it."""

    platform = "shopee"
    platform_title = "Shopee"
    carrier_name = "SPX Express"
    buyer_cancel_needs_seller = True

    def __init__(
        self,
        *,
        partner_id: int = DEMO_PARTNER_ID,
        partner_key: str = DEMO_PARTNER_KEY,
        shop_id: int | None = DEMO_SHOP_ID,
        shop_name: str = "Shop Demo donhang (Shopee)",
        clock: Clock | None = None,
        seed: int = 0,
        push_url: str | None = None,
        push_target=None,
        step_seconds: float = 3600,
        pay_seconds: float = 1800,
        complete_seconds: float = 3 * 86400,
        settle_seconds: float = 86400,
        tracking_delay: float = 0,
        rate_limit: int | None = 50,
        rate_period: float = 1.0,
        rate_time=None,
        accept_wall_time: bool = True,
        error_status: int = 200,
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
        self.partner_id = int(partner_id)
        self.partner_key = partner_key
        self.error_status = error_status
        self.tracking_delay = tracking_delay
        self.tokens = TokenStore(
            self.rng,
            code_ttl=600,
            access_ttl=4 * 3600,
            refresh_ttl=30 * 86400,
            authorization_ttl=365 * 86400,
            refresh_single_use=True,
            rotate_refresh=True,
            old_access_grace=300,
        )
        self.push_url = push_url or ""
        self.push_callable = push_target if callable(push_target) else None
        self.push_codes = set(DEFAULT_PUSH_CODES)
        self.push_blocked: set[str] = set()
        self.webhooks = SignedWebhooks(
            self.push_callable or push_target or push_url or None,
            path=urlsplit(push_url or "/").path or "/",
            max_retries=3,
            signer=self._push_headers,
        )
        self.lost_confirmed = 0
        self.wallet: list[dict] = []
        self._item_seq = 0
        self._model_seq = 0
        self.register_routes(self.app)
        add_marketplace_control_routes(self.app, self)
        if shop_id:
            self.add_shop(shop_id, shop_name)

    # ------------------------------------------------------------------ shops

    def add_shop(self, shop_id: int, name: str, *, region: str = "VN") -> dict:
        with self.lock:
            shop = {
                "shop_id": str(shop_id),
                "name": name,
                "region": region,
                "phone": "0901234567",
                "address": "12 Nguyễn Huệ, Phường Sài Gòn, Thành phố Hồ Chí Minh",
                "address_id": 1000 + len(self.shops) + 1,
                "auth_time": None,
            }
            self.shops[str(shop_id)] = shop
            if self.login_shop_id is None:
                self.login_shop_id = str(shop_id)
            return shop

    # ------------------------------------------------------------------ ids

    def new_order_id(self) -> str:
        day = self.clock.now().strftime("%y%m%d")
        while True:
            sn = day + "".join(self.rng.choice(SN_ALPHABET) for _ in range(8))
            if sn not in self.orders:
                return sn

    def new_product_id(self) -> str:
        self._item_seq += 1
        return str(24_000_000_000 + self._item_seq * 7)

    def new_variant_id(self) -> str:
        self._model_seq += 1
        return str(150_000_000_000 + self._model_seq * 3)

    def new_line_id(self) -> str:
        return str(self.rng.randint(10**9, 10**10 - 1))

    def new_package_id(self) -> str:
        return "OFG" + digits(self.rng, 15)

    def new_tracking_number(self) -> str:
        return "SPXVN0" + digits(self.rng, 11)

    # ------------------------------------------------------------------ statuses

    def status_of(self, order: Order) -> str:
        if order.stage == "to_ship" and order.extra.get("retry"):
            return "RETRY_SHIP"
        return STATUS[order.stage]

    def parse_status(self, word: str) -> str:
        stage = STAGE_OF.get(word.upper())
        if stage is None and word.lower() in STATUS:
            stage = word.lower()
        if stage is None:
            raise ValueError(f"unknown status {word!r}")
        return stage

    def advance(self, code: str, to_status=None, reason_code=None) -> dict:
        if to_status and str(to_status).upper() == "RETRY_SHIP":
            with self.lock:
                order = self.order(code)
                if order.stage != "arranged":
                    raise ValueError(f"order {code} is not PROCESSED")
                order.extra["retry"] = True
                order.tracking_number = ""
                self.set_stage(order, "to_ship")
                return self.describe_order(order)
        return super().advance(code, to_status, reason_code)

    def set_stage(self, order: Order, stage: str, when=None) -> None:
        if stage not in ("to_ship", "in_cancel"):
            order.extra.pop("retry", None)
        if stage == "cancelled" and order.stage == "failed_delivery":
            order.cancel_reason = order.cancel_reason or "Failed Delivery"
            order.cancelled_by = order.cancelled_by or "system"
        super().set_stage(order, stage, when)

    def logistics_status(self, order: Order) -> str:
        if order.stage == "cancelled":
            if "failed_delivery" in (s for s, _ in order.history):
                return "LOGISTICS_DELIVERY_FAILED"
            return "LOGISTICS_REQUEST_CANCELED" if order.tracking_number else "LOGISTICS_INVALID"
        return LOGISTICS_STATUS.get(order.stage, "LOGISTICS_NOT_START")

    def tracking_ready(self, order: Order) -> bool:
        if not order.tracking_number:
            return False
        arranged = order.extra.get("arranged_at")
        return arranged is None or self.clock.timestamp() >= arranged + self.tracking_delay

    # ------------------------------------------------------------------ pushes

    def _push_headers(self, body: bytes) -> dict:
        return {"Authorization": signing.push_signature(self.partner_key, self.push_url, body)}

    def set_push_url(self, url: str | None) -> None:
        self.push_url = url or ""
        self.webhooks.target = self.push_callable or (url or None)
        self.webhooks.path = urlsplit(url or "/").path or "/"

    def push(self, code: int, shop_id: str, data: dict) -> None:
        if code not in self.push_codes or str(shop_id) in self.push_blocked:
            return
        payload = {"data": data, "shop_id": int(shop_id), "code": code, "timestamp": self.ts()}
        self.webhooks.enqueue(payload)

    def on_stage(self, order: Order, old_stage: str) -> None:
        word = self.status_of(order)
        if order.extra.get("last_status") != word:
            order.extra["last_status"] = word
            self.push(
                3,
                order.shop_id,
                {
                    "items": [],
                    "ordersn": order.id,
                    "status": word,
                    "completed_scenario": "",
                    "update_time": self.ts(order.updated),
                },
            )
        if order.stage == "arranged" and old_stage != "arranged":
            order.extra["arranged_at"] = self.ts(order.updated)
            order.extra["tracking_pushed"] = False
            self.push_tracking(order)

    def push_tracking(self, order: Order) -> None:
        if order.extra.get("tracking_pushed") is False and self.tracking_ready(order):
            order.extra["tracking_pushed"] = True
            self.push(
                4,
                order.shop_id,
                {
                    "ordersn": order.id,
                    "package_number": order.package_id,
                    "tracking_no": order.tracking_number,
                },
            )

    def tick_extra(self, order: Order, target) -> int:
        self.push_tracking(order)
        return super().tick_extra(order, target)

    def on_settled(self, order: Order) -> None:
        balance = (
            self.wallet[-1]["current_balance"] if self.wallet else 0
        ) + order.settlement_amount
        self.wallet.append(
            {
                "transaction_id": int(digits(self.rng, 12)),
                "status": "COMPLETED",
                "wallet_type": "",
                "transaction_type": "ESCROW_VERIFIED_ADD",
                "amount": order.settlement_amount,
                "current_balance": balance,
                "create_time": self.ts(order.settled_time),
                "order_sn": order.id,
                "refund_sn": "",
                "withdrawal_type": "",
                "transaction_fee": 0,
                "description": "",
                "buyer_name": order.buyer.get("username", ""),
                "pay_order_list": [],
                "shop_name": self.shops.get(order.shop_id, {}).get("name", ""),
                "withdrawal_id": 0,
                "reason": "",
                "root_withdrawal_id": 0,
                "_shop_id": order.shop_id,
            }
        )

    # ------------------------------------------------------------------ OAuth helpers

    def authorize_redirect(self, redirect: str, shop_id: str) -> str:
        code = self.tokens.issue_code(shop_id, self.clock.timestamp())
        self.shops[shop_id]["auth_time"] = self.ts()
        return add_query(redirect, {"code": code, "shop_id": shop_id})

    def auth_link(self, redirect: str, timestamp: int | None = None) -> str:
        """The authorization link a client builds (for tests and the demo)."""
        path = "/api/v2/shop/auth_partner"
        ts = timestamp if timestamp is not None else self.clock.timestamp()
        sign = signing.sign(self.partner_key, signing.public_base(self.partner_id, path, ts))
        query = urlencode(
            {"partner_id": self.partner_id, "timestamp": ts, "sign": sign, "redirect": redirect}
        )
        return f"{path}?{query}"

    def describe_order(self, order: Order) -> dict:
        return {
            "order_sn": order.id,
            "shop_id": int(order.shop_id),
            "status": self.status_of(order),
            "cod": order.cod,
            "total_amount": order.buyer_total,
            "escrow_amount": order.settlement_amount,
            "tracking_number": order.tracking_number,
            "package_number": order.package_id,
        }
