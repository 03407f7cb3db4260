"""Viettel Post (VTP) partner API emulator.

Paths as on ``https://partner.viettelpost.vn`` (``/v2/...``, ``/v3/categories/...``) plus the label
page ``/DigitalizePrint/report.do`` (``digitalize.viettelpost.vn`` in prod). Envelope
``{status, error, message, data}``, always HTTP 200: success ``status:200, error:false``,
business errors ``status:204, error:true, message:"Incorrect data: <FIELD>"`` (or ``"Price does
not apply to this itinerary!"``, ``"Groupaddress is invalid"``, ``"Invalid owner account or
password!"``), bad token ``status:401, error:true, message:"Token invalid (or expired)"``.
``getPriceAll`` answers a bare JSON array on success.

Choices where the reference is unsure ([U]) or silent:

* Auth: ``Login {USERNAME, PASSWORD}`` gives a short token valid ``short_token_ttl`` (24 h of
  emulator time); ``ownerconnect`` (header ``Token: <short or long>`` + same body) gives a
  long-lived token (2 years); ``static_token=`` pre-registers a fixed long-lived token for the
  default user (the demo uses ``demo-vtp-token``). Every route except Login and the print page needs a valid token,
  master data included.
* Master data: only the post-reform units exist. ``listProvinceById`` and ``listProvinceNew`` list
  the same 34 provinces (``PROVINCE_ID`` = rank by national code: Hà Nội 1 … Cà Mau 34);
  ``listDistrict`` has one pseudo-district per province (``DISTRICT_ID = 900 + PROVINCE_ID``,
  ``DISTRICT_VALUE:"NEW"``); ``listWards``/``listWardsNew`` carry ``WARDS_ID = 100000 + national
  ward code``. In orders ``*_DISTRICT`` may be 0 or the pseudo-district; anything else is
  ``Incorrect data: <WHO>_DISTRICT``.
* Services: VCN, VTK everywhere; VHT and PHS within a region (North/Central/South); PTN within a
  province. A known service off its route, or exchange weight > 50 kg, gives
  ``Price does not apply to this itinerary!``; an unknown code ``Incorrect data: ORDER_SERVICE``.
  Exchange weight = max(weight, L×W×H/6). VAT 8 %; COD fee 0.5 % of COD above 3 000 000.
* ``createOrder``: ``PRODUCT_WEIGHT`` defaults to 50 g; ``ORDER_PAYMENT:1`` with
  ``MONEY_COLLECTION > 0`` is ``Incorrect data: MONEY_COLLECTION``. With ``GROUPADDRESS_ID`` the
  missing ``SENDER_*`` come from that warehouse. ``ORDER_NUMBER`` + ``CHECK_UNIQUE:true`` seen
  before for the same account returns the existing waybill's answer (success, not an error);
  without ``CHECK_UNIQUE`` a new waybill is made. The response ``ORDER_NUMBER`` is VTP's waybill.
* Orders start at -100 and the creation itself emits a webhook (so an "unknown outcome" create
  can be recovered from it, as VTP advises). Timeline per ``step_seconds``: -100 → 100 → 102 →
  103 → 105 → 200 → 300 → 400 → 500 → 501, or (planned failure) 500 → 506 → 505 → (after
  ``return_window`` with no decision) 502 → 504. ``UpdateOrder`` TYPE 1 approve (-100 only), 2
  approve return (505 → 502), 3 deliver again (505 → 508 → 500), 4 cancel (< 200, not
  101/105/107 → 107), 11 delete (107 only; no event). Errors: ``Order status does not allow this
  action``. No events after 101/107/201/501/503/504.
* Webhook: body ``{"DATA": {...}, "TOKEN": <secret>}``; only ``LOCALION_CURRENTLY`` (sic) is sent;
  ``EXPECTED_DELIVERY`` is text ("Khoảng 48 giờ"). ``secret_in_authorization=True`` also sends the
  secret as the ``Authorization`` header. 5 retries on non-200, one per ``pump()``.
* ``mark_cod_transferred`` only records the date (visible in ``state()``); VTP sends no event
  after 501 and has no COD statement API.
* ``printing-code`` needs ``EXPIRY_TIME`` (epoch ms) in the future of the emulator clock; the
  print page (``type`` 1=A5, 2=A6, 100=A7) gives HTML, or PDF with ``Accept: application/pdf``;
  bad or expired codes give an HTML page with HTTP 400.
"""

from __future__ import annotations

import threading
from datetime import timedelta
from random import Random

from emulators.common import Clock, Faults, JsonApp, ShipmentTimeline, WebhookDispatcher
from emulators.control import add_control_routes
from emulators.geo import load_catalogue
from emulators.viettelpost import model as m
from emulators.viettelpost.api import VtpApi


class ViettelPostEmulator(ShipmentTimeline, VtpApi):
    """In-memory Viettel Post. ``wsgi_app`` serves the API; the methods below drive it."""

    model = m
    known_statuses = m.STATUS_NAMES
    waiting_status = 505

    def __init__(
        self,
        *,
        username: str = "demo@donhang.vn",
        password: str = "demo-password",
        csv_path=None,
        clock: Clock | None = None,
        seed: int = 0,
        webhook_target=None,
        webhook_secret: str = "demo-secret",
        webhook_path: str = "/shipping/webhooks/viettelpost/",
        secret_in_authorization: bool = False,
        step_seconds: float = 3600,
        return_window: float = 86400,
        fail_rate: float = 0.0,
        short_token_ttl: float = 86400,
        static_token: str | None = None,
    ):
        self.clock = clock or Clock()
        self.faults = Faults(seed)
        self.rng = Random(seed)
        self.lock = threading.RLock()
        self.geo = m.VtpGeo(load_catalogue(csv_path))
        self.users: dict[str, dict] = {}
        self.tokens: dict[str, tuple[str, object]] = {}  # token -> (username, expires|None)
        self.orders: dict[str, m.VtpOrder] = {}
        self.references: dict[tuple[str, str], str] = {}
        self.print_codes: dict[str, tuple[list[str], int]] = {}
        self.webhooks = WebhookDispatcher(webhook_target, path=webhook_path, max_retries=5)
        self.webhook_secret = webhook_secret
        self.secret_in_authorization = secret_in_authorization
        self.step_seconds = step_seconds
        self.return_window = return_window
        self.fail_rate = fail_rate
        self.short_token_ttl = short_token_ttl
        self.app = JsonApp(self.faults)
        self.wsgi_app = self.app
        self.register_routes(self.app)
        add_control_routes(self.app, self)
        if username:
            hcm = self.geo.cat.find_province("Hồ Chí Minh")
            self.add_user(username, password, inventory_ward=self.geo.cat.find_ward(hcm, "Sài Gòn"))
            if static_token:  # a long-lived token that survives restarts (demo configuration)
                self.tokens[static_token] = (username, self.clock.now() + timedelta(days=3650))

    # ------------------------------------------------------------------ accounts

    def add_user(self, username: str, password: str, *, inventory_ward, phone="0909123456"):
        """An account with one warehouse (``listInventory``) at ``inventory_ward`` (a geo.Ward)."""
        with self.lock:
            n = len(self.users) + 1
            self.users[username] = {
                "password": password,
                "user_id": 7000 + n,
                "phone": phone,
                "inventories": [
                    {
                        "id": 5818800 + n,
                        "cus_id": 722000 + n,
                        "name": "Kho Demo donhang",
                        "phone": phone,
                        "address": "12 Nguyễn Huệ",
                        "ward": inventory_ward,
                    }
                ],
            }

    def inventory_dict(self, inv: dict) -> dict:
        province = self.geo.province_of(inv["ward"])
        return {
            "groupaddressId": inv["id"],
            "cusId": inv["cus_id"],
            "name": inv["name"],
            "phone": inv["phone"],
            "address": f"{inv['address']}, {inv['ward'].name}, {province.name}",
            "provinceId": self.geo.province_id(province),
            "districtId": self.geo.district_id(province),
            "wardsId": self.geo.ward_id(inv["ward"]),
        }

    def issue_token(self, username: str, *, long_lived: bool):
        ttl = 2 * 365 * 86400 if long_lived else self.short_token_ttl
        expires = self.clock.now() + timedelta(seconds=ttl)
        token = ("vtpL" if long_lived else "vtpS") + f"{self.rng.getrandbits(160):040x}"
        self.tokens[token] = (username, expires)
        return token, expires

    def user_for(self, token: str) -> str | None:
        entry = self.tokens.get(token)
        if entry is None or entry[1] < self.clock.now():
            return None
        return entry[0]

    # ------------------------------------------------------------------ orders

    def new_waybill(self) -> str:
        while True:
            code = "18" + "".join(str(self.rng.randrange(10)) for _ in range(10))
            if code not in self.orders:
                return code

    def new_order(self, d: dict, user: str, reference: str) -> m.VtpOrder:
        now = self.clock.now()
        order = m.VtpOrder(
            waybill=self.new_waybill(),
            username=user,
            reference=reference,
            data={k: v for k, v in d.items() if k not in ("sender_ward", "receiver_ward")},
            sender_ward=d["sender_ward"],
            receiver_ward=d["receiver_ward"],
            service=d["service"],
            weight=d["weight"],
            exchange_weight=d["exchange_weight"],
            cod=d["cod"],
            payment=d["payment"],
            money=d["money"],
            created=now,
            status_time=now,
            history=[(-100, now)],
        )
        if self.fail_rate and self.rng.random() < self.fail_rate:
            order.fail_next_delivery = m.DEFAULT_FAIL_REASON
        self.orders[order.waybill] = order
        if reference:
            self.references.setdefault((user, reference), order.waybill)
        self.emit(order, now)
        return order

    def location(self, order: m.VtpOrder) -> str:
        ward = order.sender_ward if order.status < 300 else order.receiver_ward
        if order.status in m.RETURNING:
            ward = order.sender_ward
        return f"Bưu cục {self.geo.province_of(ward).short_name}"

    def emit(self, order: m.VtpOrder, when=None) -> None:
        when = when or self.clock.now()
        payload = m.webhook_payload(order, when, self.location(order), self.webhook_secret)
        headers = {"User-Agent": "ViettelPost-Webhook/1.0"}
        if self.secret_in_authorization:
            headers["Authorization"] = self.webhook_secret
        self.webhooks.enqueue(payload, headers)

    def set_status(self, order: m.VtpOrder, status: int, when=None, note="", reason_code=None):
        when = when or self.clock.now()
        order.status = status
        order.status_time = when
        if status == 506:
            order.reason_code = reason_code or order.fail_next_delivery or m.DEFAULT_FAIL_REASON
            order.fail_next_delivery = ""
            order.note = note or m.REASONS.get(order.reason_code, "")
        else:
            order.reason_code = reason_code or ""
            order.note = note
        order.history.append((status, when))
        self.emit(order, when)

    # ------------------------------------------------------------------ control API

    def mark_cod_transferred(self, waybill: str) -> None:
        with self.lock:
            order = self.order(waybill)
            if order.status != 501 or not order.cod:
                raise ValueError(f"order {waybill} has no collected COD")
            order.cod_transferred_at = self.clock.now()

    def _parse_status(self, value):
        return int(value)

    def _describe(self, order) -> dict:
        return self.summary(order)

    def summary(self, o: m.VtpOrder) -> dict:
        return {
            "ORDER_NUMBER": o.waybill,
            "ORDER_REFERENCE": o.reference,
            "ORDER_STATUS": o.status,
            "STATUS_NAME": m.STATUS_NAMES.get(o.status),
            "MONEY_COLLECTION": o.cod,
            "RECEIVER_FULLNAME": o.data.get("RECEIVER_FULLNAME"),
            "history": [(s, t.isoformat()) for s, t in o.history],
            "cod_transferred_at": o.cod_transferred_at.isoformat()
            if o.cod_transferred_at
            else None,
            "deleted": o.deleted,
        }

    def state(self) -> dict:
        with self.lock:
            return {
                "carrier": "viettelpost",
                "now": self.clock.now().isoformat(),
                "orders": [self.summary(o) for o in self.orders.values()],
                "webhooks": self.webhooks.describe(),
                "faults": self.faults.to_dict(),
            }
