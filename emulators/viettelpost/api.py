"""HTTP handlers of the Viettel Post emulator (mixed into ``ViettelPostEmulator``)."""

from __future__ import annotations

import functools
import re
from datetime import timedelta

from werkzeug.wrappers import Response

from emulators import labels
from emulators.common import BadJson, json_response, read_json
from emulators.viettelpost import model as m

PHONE_RE = re.compile(r"^(0|\+?84)\d{9}$")
PRINT_TYPES = {"1": "A5", "2": "A6", "100": "A7"}


class Reject(Exception):
    def __init__(self, message: str, status: int = 204):
        super().__init__(message)
        self.status = status


def ok(data, message: str = "OK"):
    return json_response({"status": 200, "error": False, "message": message, "data": data})


def error(message: str, status: int = 204):
    return json_response({"status": status, "error": True, "message": message, "data": None})


def incorrect(field: str):
    raise Reject(f"Incorrect data: {field}")


def as_int(data: dict, key: str, default=None) -> int | None:
    value = data.get(key, default)
    if value is None or value == "":
        return default
    if isinstance(value, bool):
        incorrect(key)
    try:
        f = float(value)
    except (TypeError, ValueError):
        incorrect(key)
    if not f.is_integer():
        incorrect(key)
    return int(f)


def endpoint(auth: bool = True):
    """Wrap a handler ``(self, data, user)``: token check, JSON, lock, rejections."""

    def decorator(fn):
        @functools.wraps(fn)
        def wrapper(self, request):
            with self.lock:
                user = None
                if auth:
                    user = self.user_for(request.headers.get("Token", ""))
                    if user is None:
                        return error("Token invalid (or expired)", 401)
                try:
                    data = read_json(request)
                except BadJson:
                    return error("Incorrect data: request body is not valid JSON")
                try:
                    return fn(self, data, user)
                except Reject as rej:
                    return error(str(rej), rej.status)

        return wrapper

    return decorator


class VtpApi:
    def register_routes(self, app) -> None:
        get = ("GET", "POST")
        for path, handler, methods in (
            ("/v2/user/Login", self.h_login, ("POST",)),
            ("/v2/user/ownerconnect", self.h_ownerconnect, ("POST",)),
            ("/v2/categories/listProvinceById", self.h_provinces, get),
            ("/v2/categories/listDistrict", self.h_districts, get),
            ("/v2/categories/listWards", self.h_wards, get),
            ("/v3/categories/listProvinceNew", self.h_provinces_new, get),
            ("/v3/categories/listWardsNew", self.h_wards_new, get),
            ("/v2/user/listInventory", self.h_inventory, get),
            ("/v2/order/getPriceAll", self.h_price_all, ("POST",)),
            ("/v2/order/getPrice", self.h_price, ("POST",)),
            ("/v2/order/createOrder", self.h_create, ("POST",)),
            ("/v2/order/UpdateOrder", self.h_update, ("POST",)),
            ("/v2/order/printing-code", self.h_printing_code, ("POST",)),
            ("/DigitalizePrint/report.do", self.h_print, ("GET",)),
        ):
            app.add(path, handler, methods)

    # ------------------------------------------------------------------ tokens

    def _login_data(self, username: str, token: str, expires) -> dict:
        user = self.users[username]
        return {
            "userId": user["user_id"],
            "token": token,
            "partner": user["user_id"],
            "phone": user["phone"],
            "expired": int(expires.timestamp() * 1000) if expires else None,
            "encrypted": False,
            "source": 0,
        }

    def _check_password(self, data: dict) -> str:
        username = str(data.get("USERNAME") or "")
        user = self.users.get(username)
        if user is None or user["password"] != data.get("PASSWORD"):
            raise Reject("Invalid owner account or password!")
        return username

    @endpoint(auth=False)
    def h_login(self, data, user):
        username = self._check_password(data)
        token, expires = self.issue_token(username, long_lived=False)
        return ok(self._login_data(username, token, expires))

    @endpoint()
    def h_ownerconnect(self, data, user):
        username = self._check_password(data)
        token, expires = self.issue_token(username, long_lived=True)
        return ok(self._login_data(username, token, expires))

    # ------------------------------------------------------------------ master data

    def _filter_id(self, data, key) -> int:
        value = as_int(data, key, -1)
        return -1 if value is None else value

    @endpoint()
    def h_provinces(self, data, user):
        pid = self._filter_id(data, "provinceId")
        ps = [p for p in self.geo.cat.provinces if pid in (-1, self.geo.province_id(p))]
        return ok([self.geo.province_dict(p) for p in ps])

    @endpoint()
    def h_provinces_new(self, data, user):
        return ok([self.geo.province_dict(p) for p in self.geo.cat.provinces])

    @endpoint()
    def h_districts(self, data, user):
        pid = self._filter_id(data, "provinceId")
        ps = [p for p in self.geo.cat.provinces if pid in (-1, self.geo.province_id(p))]
        return ok([self.geo.district_dict(p) for p in ps])

    @endpoint()
    def h_wards(self, data, user):
        did = self._filter_id(data, "districtId")
        out = []
        for p in self.geo.cat.provinces:
            if did in (-1, self.geo.district_id(p)):
                out += [
                    {
                        "WARDS_ID": self.geo.ward_id(w),
                        "WARDS_NAME": w.name,
                        "DISTRICT_ID": self.geo.district_id(p),
                    }
                    for w in p.wards
                ]
        return ok(out)

    @endpoint()
    def h_wards_new(self, data, user):
        pid = self._filter_id(data, "provinceId")
        out = []
        for p in self.geo.cat.provinces:
            if pid in (-1, self.geo.province_id(p)):
                out += [
                    {
                        "WARDS_ID": self.geo.ward_id(w),
                        "WARDS_NAME": w.name,
                        "PROVINCE_ID": self.geo.province_id(p),
                    }
                    for w in p.wards
                ]
        return ok(out)

    @endpoint()
    def h_inventory(self, data, user):
        return ok([self.inventory_dict(inv) for inv in self.users[user]["inventories"]])

    # ------------------------------------------------------------------ prices

    def _place(self, data: dict, who: str, *, need_ward: bool):
        """(province, ward|None) from ``<who>_PROVINCE/_DISTRICT/_WARD``."""
        p = self.geo.by_province_id.get(as_int(data, f"{who}_PROVINCE"))
        if p is None:
            incorrect(f"{who}_PROVINCE")
        district = as_int(data, f"{who}_DISTRICT", 0)
        if district not in (0, self.geo.district_id(p)):
            incorrect(f"{who}_DISTRICT")
        ward_id = as_int(data, f"{who}_WARD", 0) or as_int(data, f"{who}_WARDS", 0)
        if not ward_id:
            if need_ward:
                incorrect(f"{who}_WARD")
            return p, None
        ward = self.geo.by_ward_id.get(ward_id)
        if ward is None or ward.province_code != p.code:
            incorrect(f"{who}_WARD")
        return p, ward

    def _weight(self, data: dict) -> int:
        weight = as_int(data, "PRODUCT_WEIGHT", 50)
        if weight <= 0:
            incorrect("PRODUCT_WEIGHT")
        dims = [
            as_int(data, k, 0) or 0 for k in ("PRODUCT_LENGTH", "PRODUCT_WIDTH", "PRODUCT_HEIGHT")
        ]
        xw = m.exchange_weight(weight, *dims)
        if xw > m.MAX_WEIGHT:
            raise Reject("Price does not apply to this itinerary!")
        return xw

    @endpoint()
    def h_price_all(self, data, user):
        origin, _ = self._place(data, "SENDER", need_ward=False)
        dest, _ = self._place(data, "RECEIVER", need_ward=False)
        xw = self._weight(data)
        out = []
        for code, (name, *_rest) in m.SERVICES.items():
            if m.applies(code, origin, dest):
                base = m.base_price(code, origin, dest, xw)
                out.append(
                    {
                        "MA_DV_CHINH": code,
                        "TEN_DICHVU": name,
                        "GIA_CUOC": int(base * (1 + m.VAT)),
                        "THOI_GIAN": f"{m.hours(code, origin, dest)} giờ",
                        "EXCHANGE_WEIGHT": xw,
                        "EXTRA_SERVICE": [
                            {"SERVICE_CODE": "GBH", "SERVICE_NAME": "Bảo hiểm"},
                            {"SERVICE_CODE": "XMG", "SERVICE_NAME": "Cho xem hàng"},
                        ],
                    }
                )
        return json_response(out)  # a bare array, no envelope

    def _service(self, data: dict, origin, dest) -> str:
        code = str(data.get("ORDER_SERVICE") or "").strip().upper()
        if code not in m.SERVICES:
            incorrect("ORDER_SERVICE")
        if not m.applies(code, origin, dest):
            raise Reject("Price does not apply to this itinerary!")
        return code

    def _money(self, data: dict, service, origin, dest, xw) -> dict:
        cod = as_int(data, "MONEY_COLLECTION", 0) or 0
        if cod < 0 or cod > m.MAX_COD:
            incorrect("MONEY_COLLECTION")
        product_price = as_int(data, "PRODUCT_PRICE", 0) or 0
        return m.price(service, origin, dest, xw, cod, product_price, data.get("ORDER_SERVICE_ADD"))

    @endpoint()
    def h_price(self, data, user):
        origin, _ = self._place(data, "SENDER", need_ward=False)
        dest, _ = self._place(data, "RECEIVER", need_ward=False)
        xw = self._weight(data)
        service = self._service(data, origin, dest)
        return ok(self._money(data, service, origin, dest, xw))

    # ------------------------------------------------------------------ create

    def _sender(self, data: dict, user: str) -> dict:
        group = as_int(data, "GROUPADDRESS_ID", 0)
        if not group:
            return data
        inv = next((i for i in self.users[user]["inventories"] if i["id"] == group), None)
        if inv is None:
            raise Reject("Groupaddress is invalid")
        province = self.geo.province_of(inv["ward"])
        defaults = {
            "SENDER_FULLNAME": inv["name"],
            "SENDER_PHONE": inv["phone"],
            "SENDER_ADDRESS": inv["address"],
            "SENDER_PROVINCE": self.geo.province_id(province),
            "SENDER_DISTRICT": self.geo.district_id(province),
            "SENDER_WARD": self.geo.ward_id(inv["ward"]),
        }
        return {**data, **{k: v for k, v in defaults.items() if not data.get(k)}}

    def validate_create(self, data: dict, user: str) -> dict:
        data = self._sender(data, user)
        for who in ("SENDER", "RECEIVER"):
            for part in ("FULLNAME", "PHONE", "ADDRESS"):
                if not str(data.get(f"{who}_{part}") or "").strip():
                    incorrect(f"{who}_{part}")
            if len(str(data[f"{who}_ADDRESS"]).encode()) > 150:
                incorrect(f"{who}_ADDRESS")
            if not PHONE_RE.match(re.sub(r"[\s.\-]", "", str(data[f"{who}_PHONE"]))):
                incorrect(f"{who}_PHONE")
        origin, sender_ward = self._place(data, "SENDER", need_ward=True)
        dest, receiver_ward = self._place(data, "RECEIVER", need_ward=True)
        payment = as_int(data, "ORDER_PAYMENT")
        if payment not in (1, 2, 3, 4):
            incorrect("ORDER_PAYMENT")
        xw = self._weight(data)
        service = self._service(data, origin, dest)
        money = self._money(data, service, origin, dest, xw)
        cod = as_int(data, "MONEY_COLLECTION", 0) or 0
        if payment == 1 and cod:
            incorrect("MONEY_COLLECTION")
        return {
            **data,
            "sender_ward": sender_ward,
            "receiver_ward": receiver_ward,
            "payment": payment,
            "service": service,
            "weight": as_int(data, "PRODUCT_WEIGHT", 50),
            "exchange_weight": xw,
            "money": money,
            "cod": cod,
        }

    def create_answer(self, o: m.VtpOrder) -> dict:
        return {
            "ORDER_NUMBER": o.waybill,
            "MONEY_COLLECTION": o.cod,
            "EXCHANGE_WEIGHT": o.exchange_weight,
            "MONEY_TOTAL": o.money["MONEY_TOTAL"],
            "MONEY_TOTAL_FEE": o.money["MONEY_TOTAL_FEE"],
            "MONEY_FEE": o.money["MONEY_FEE"],
            "MONEY_COLLECTION_FEE": o.money["MONEY_COLLECTION_FEE"],
            "MONEY_FEE_VAT": o.money["MONEY_VAT"],
            "MONEY_VAT": o.money["MONEY_VAT"],
            "KPI_HT": o.money["KPI_HT"],
            "RECEIVER_PROVINCE": self.geo.province_id(self.geo.province_of(o.receiver_ward)),
            "RECEIVER_DISTRICT": self.geo.district_id(self.geo.province_of(o.receiver_ward)),
            "RECEIVER_WARDS": self.geo.ward_id(o.receiver_ward),
        }

    @endpoint()
    def h_create(self, data, user):
        d = self.validate_create(data, user)
        reference = str(d.get("ORDER_NUMBER") or "")
        if reference and d.get("CHECK_UNIQUE") and (user, reference) in self.references:
            return ok(self.create_answer(self.orders[self.references[(user, reference)]]))
        order = self.new_order(d, user, reference)
        return ok(self.create_answer(order))

    # ------------------------------------------------------------------ after create

    def _own(self, user: str, waybill) -> m.VtpOrder:
        order = self.orders.get(str(waybill or ""))
        if order is None or order.username != user or order.deleted:
            incorrect("ORDER_NUMBER")
        return order

    @endpoint()
    def h_update(self, data, user):
        order = self._own(user, data.get("ORDER_NUMBER"))
        kind = as_int(data, "TYPE")
        note = str(data.get("NOTE") or "")
        if len(note) > 150:
            incorrect("NOTE")
        s = order.status
        if kind == 1:
            if s != -100:
                raise Reject("Order status does not allow this action")
            self.set_status(order, 100, note=note)
        elif kind in (2, 3):
            if s != 505:
                raise Reject("Order status does not allow this action")
            self.set_status(order, 502 if kind == 2 else 508, note=note)
        elif kind == 4:
            if s >= 200 or s in (105, 107, 101):
                raise Reject("Order status does not allow this action")
            self.set_status(order, 107, note=note)
        elif kind == 11:
            if s != 107:
                raise Reject("Order status does not allow this action")
            order.deleted = True
        else:
            incorrect("TYPE")
        return ok(None)

    @endpoint()
    def h_printing_code(self, data, user):
        expiry = as_int(data, "EXPIRY_TIME", 0)
        now_ms = int(self.clock.now().timestamp() * 1000)
        if not expiry or expiry <= now_ms:
            incorrect("EXPIRY_TIME")
        codes = data.get("ORDER_ARRAY")
        if not isinstance(codes, list) or not codes or len(codes) > 100:
            incorrect("ORDER_ARRAY")
        for code in codes:
            self._own(user, code)
        print_code = f"{self.rng.getrandbits(160):040x}"
        self.print_codes[print_code] = ([str(c) for c in codes], expiry)
        return json_response({"status": 200, "error": False, "message": print_code, "data": None})

    def label(self, o: m.VtpOrder) -> dict:
        d = o.data
        sp, rp = self.geo.province_of(o.sender_ward), self.geo.province_of(o.receiver_ward)
        return {
            "carrier": "Viettel Post",
            "code": o.waybill,
            "reference": o.reference,
            "sort_code": f"{self.geo.codes[rp.code]}-{o.service}",
            "sender_name": d.get("SENDER_FULLNAME"),
            "sender_phone": d.get("SENDER_PHONE"),
            "sender_address": f"{d.get('SENDER_ADDRESS')}, {o.sender_ward.name}, {sp.name}",
            "receiver_name": d.get("RECEIVER_FULLNAME"),
            "receiver_phone": d.get("RECEIVER_PHONE"),
            "receiver_address": f"{d.get('RECEIVER_ADDRESS')}, {o.receiver_ward.name}, {rp.name}",
            "content": d.get("PRODUCT_NAME"),
            "weight": o.weight,
            "cod": o.cod,
            "note": d.get("ORDER_NOTE") or "",
        }

    def h_print(self, request):
        with self.lock:
            entry = self.print_codes.get(request.args.get("bill", ""))
            now_ms = int(self.clock.now().timestamp() * 1000)
            size = PRINT_TYPES.get(request.args.get("type", "1"))
            if entry is None or entry[1] < now_ms or size is None:
                page = "<html><body><h3>Mã in không hợp lệ hoặc đã hết hạn</h3></body></html>"
                return Response(page, 400, content_type="text/html; charset=utf-8")
            items = [self.label(self.orders[c]) for c in entry[0]]
        if "application/pdf" in request.headers.get("Accept", ""):
            return Response(labels.render_pdf(items, size), 200, content_type="application/pdf")
        return Response(
            labels.render_html(items, size), 200, content_type="text/html; charset=utf-8"
        )


def expiry_after(now, seconds: float):
    return now + timedelta(seconds=seconds)
