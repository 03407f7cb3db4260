"""Giao Hàng Nhanh (GHN) public API emulator.

Base path ``/shiip/public-api/`` (``https://online-gateway.ghn.vn/shiip/public-api`` in prod) and the
print pages under ``/a5/public-api/``. Every API route accepts POST (JSON body) and GET (query
args and/or body). Envelope ``{code:200, message:"Success", data}``; business errors arrive in
HTTP 200 as ``{code:400, message, data:null, code_message, code_message_value}``. A missing or
wrong ``Token`` header is HTTP 401 ``{code:401, message:"Token is not valid!", data:null}``.

Choices where the reference is unsure ([U]) or silent:

* Master data follows the 2025 reform: ``master-data/province`` lists the 34 new provinces
  (``ProvinceID = 200 + national code``, so Hà Nội is 201); there are no districts, so every
  province has exactly one pseudo-district ``DistrictID = 3000 + national code`` named
  "<province> (địa giới mới)" holding all its wards; ``WardCode = str(500000 + national ward
  code)``. Fee/leadtime also accept ``is_new_to_address`` with ``to_ward_id_v2`` (= int of the
  WardCode) or ``to_ward_name``/``to_province_name``. Name matching is case/diacritics-insensitive
  and accepts names without "Thành phố"/"Tỉnh" or (when unambiguous) "Phường"/"Xã".
* Limits (2026 reading): weight ≤ 50 000 g, each side ≤ 200 cm, COD ≤ 50 000 000,
  insurance ≤ 5 000 000 (``limits=`` overrides). Ints must be JSON integers (GHN is strict).
* ``client_order_code`` is unique per account (token): a create with a known code returns the
  existing order's create answer, whatever the rest of the body says (even if cancelled).
* ``detail-by-client-code`` returns one object (not a list). Unknown orders:
  ``code_message:"ORDER_NOT_FOUND"``.
* Cancel: allowed in ready_to_pick/picking/money_collect_picking; cancelling a cancelled order
  answers ``result:true`` (idempotent); otherwise ``result:false``. ``return`` works from
  storing/delivery_fail/waiting_to_return; ``storing`` (deliver again) from delivery_fail or
  waiting_to_return. ``updateCOD`` works before delivery (up to ``transporting``).
* ``shop/all`` paging: ``offset`` is an index into the account's shops sorted by id,
  ``last_offset`` = offset + number returned.
* Print token: 30 minutes of emulator time; a bad/expired token gives an HTML page with HTTP 400.
* Timeline (``tick``): one status step per ``step_seconds`` (3600); ``waiting_to_return`` waits
  ``return_window`` (24 h) for a ``return``/``storing`` decision and then goes to ``return``.
  A delivery fails only when planned (``fail_next_delivery``) or by ``fail_rate`` (seeded).
  Entering ``return`` charges a return fee of 50 % of the main service fee.
* Webhooks (``Type`` create, switch_status, update_cod, update_weight) carry the shared secret in
  header ``X-Webhook-Secret`` (configurable ``secret_header``); up to 10 retries on non-200, one
  per ``pump()``. ``mark_cod_transferred`` re-sends a switch_status for the current status with
  ``CODTransferDate`` set.
"""

from __future__ import annotations

import threading
from random import Random

from emulators.common import Clock, Faults, JsonApp, ShipmentTimeline, WebhookDispatcher
from emulators.control import add_control_routes
from emulators.geo import load_catalogue
from emulators.ghn import model as m
from emulators.ghn.api import GhnApi
from emulators.ghn.validation import DEFAULT_LIMITS

CODE_ALPHABET = "ABCDEFGHJKLMNPQRTUVWXY346789"


class GhnEmulator(ShipmentTimeline, GhnApi):
    """In-memory GHN. ``wsgi_app`` serves the API; the methods below drive it."""

    model = m
    known_statuses = m.ALL_STATUSES
    waiting_status = "waiting_to_return"

    def __init__(
        self,
        *,
        token: str = "demo-ghn-token",
        shop_id: int = 885,
        csv_path=None,
        clock: Clock | None = None,
        seed: int = 0,
        webhook_target=None,
        webhook_secret: str = "demo-secret",
        secret_header: str = "X-Webhook-Secret",
        webhook_path: str = "/shipping/webhooks/ghn/",
        step_seconds: float = 3600,
        return_window: float = 86400,
        fail_rate: float = 0.0,
        limits: dict | None = None,
    ):
        self.clock = clock or Clock()
        self.faults = Faults(seed)
        self.rng = Random(seed)
        self.lock = threading.RLock()
        self.geo = m.GhnGeo(load_catalogue(csv_path))
        self.accounts: dict[str, set[int]] = {}
        self.shops: dict[int, m.Shop] = {}
        self.orders: dict[str, m.GhnOrder] = {}
        self.client_codes: dict[tuple[str, str], str] = {}
        self.print_tokens: dict[str, tuple[list[str], object]] = {}
        self.webhooks = WebhookDispatcher(webhook_target, path=webhook_path, max_retries=10)
        self.webhook_secret = webhook_secret
        self.secret_header = secret_header
        self.step_seconds = step_seconds
        self.return_window = return_window
        self.fail_rate = fail_rate
        self.limits = {**DEFAULT_LIMITS, **(limits or {})}
        self.app = JsonApp(self.faults)
        self.wsgi_app = self.app
        self.register_routes(self.app)
        add_control_routes(self.app, self)
        if token:
            hanoi = self.geo.cat.find_province("Hà Nội")
            ward = self.geo.cat.find_ward(hanoi, "Phường Hoàn Kiếm")
            self.add_shop(token, shop_id, "Shop Demo donhang", "0901234567", "12 Hàng Bài", ward)

    # ------------------------------------------------------------------ accounts

    def add_shop(self, token: str, shop_id: int, name: str, phone: str, address: str, ward):
        """Register ``shop_id`` (pickup at ``ward``, a ``geo.Ward``) under account ``token``."""
        with self.lock:
            province = self.geo.province_of(ward)
            self.shops[shop_id] = m.Shop(
                shop_id, name, phone, address, m.ward_code(ward), m.district_id(province)
            )
            self.accounts.setdefault(token, set()).add(shop_id)

    # ------------------------------------------------------------------ helpers

    def new_code(self) -> str:
        while True:
            code = "G" + "".join(self.rng.choice(CODE_ALPHABET) for _ in range(7))
            if code not in self.orders:
                return code

    def warehouse(self, order: m.GhnOrder) -> str:
        here = order.from_ward if order.status in ("picking", "picked", "storing") else None
        ward = here or order.to_ward
        return f"Bưu cục {self.geo.province_of(ward).short_name}"

    def emit(self, order: m.GhnOrder, type_: str, when=None) -> None:
        when = when or self.clock.now()
        payload = m.webhook_payload(order, type_, when, self.warehouse(order))
        headers = {self.secret_header: self.webhook_secret, "User-Agent": "GHN-Webhook/1.0"}
        self.webhooks.enqueue(payload, headers)

    def set_status(self, order: m.GhnOrder, status: str, when=None, reason_code=None) -> None:
        when = when or self.clock.now()
        order.status = status
        order.status_time = when
        if status == "delivery_fail":
            code = reason_code or order.fail_next_delivery or m.DEFAULT_FAIL_REASON
            order.fail_next_delivery = ""
        else:
            code = reason_code or ""
        order.reason_code = code
        order.reason = m.REASONS.get(code, code)
        if status == "delivered" and order.cod_amount:
            order.cod_collect_date = when
        if status == "return":
            order.fee["return"] = int(order.fee["main_service"] * m.RETURN_FEE_RATIO)
        order.log.append({"status": status, "updated_date": m.iso_z(when)})
        self.emit(order, "switch_status", when)

    # ------------------------------------------------------------------ control API

    def mark_cod_transferred(self, order_code: str) -> None:
        with self.lock:
            order = self.order(order_code)
            if order.status != "delivered" or not order.cod_amount:
                raise ValueError(f"order {order_code} has no collected COD")
            order.cod_transfer_date = self.clock.now()
            self.emit(order, "switch_status")

    def update_weight(self, order_code: str, weight: int) -> None:
        """The warehouse re-weighs the parcel (``update_weight`` + ``update_fee`` semantics)."""
        with self.lock:
            order = self.order(order_code)
            d = order.data
            order.weight = weight
            order.converted_weight = m.converted_weight(
                weight, d["length"], d["width"], d["height"]
            )
            self.reprice(order)
            self.emit(order, "update_weight")

    def reprice(self, order: m.GhnOrder) -> None:
        fee = m.compute_fee(
            order.service_type_id,
            self.geo.province_of(order.from_ward),
            self.geo.province_of(order.to_ward),
            order.converted_weight,
            order.cod_amount,
            order.insurance_value,
        )
        fee["return"] = order.fee.get("return", 0)
        order.fee = fee

    def _describe(self, order) -> dict:
        return self.detail(order)

    def state(self) -> dict:
        with self.lock:
            return {
                "carrier": "ghn",
                "now": self.clock.now().isoformat(),
                "orders": [
                    {
                        "order_code": o.order_code,
                        "client_order_code": o.client_order_code,
                        "status": o.status,
                        "cod_amount": o.cod_amount,
                        "to_name": o.data.get("to_name"),
                    }
                    for o in self.orders.values()
                ],
                "webhooks": self.webhooks.describe(),
                "faults": self.faults.to_dict(),
            }
