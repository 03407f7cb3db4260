"""HTTP handlers of the GHN emulator (mixed into ``GhnEmulator``)."""

from __future__ import annotations

import functools
from datetime import timedelta

from werkzeug.wrappers import Response

from emulators import labels
from emulators.common import BadJson, json_response, read_json
from emulators.ghn import model as m
from emulators.ghn.validation import (
    Reject,
    error,
    fail,
    lenient_int,
    ok,
    resolve_address,
    service_type,
    strict_int,
    validate_order,
)

BASE = "/shiip/public-api/"
PRINT_SIZES = {"printA5": "A5", "print80x80": "80x80", "print52x70": "52x70"}
NOTE_LABELS = {
    "CHOTHUHANG": "Cho thử hàng",
    "CHOXEMHANGKHONGTHU": "Cho xem hàng, không cho thử",
    "KHONGCHOXEMHANG": "Không cho xem hàng",
}


def endpoint(shop: bool = False):
    """Wrap a handler ``(self, data, token, shop_id)``: auth, JSON, lock, rejections."""

    def decorator(fn):
        @functools.wraps(fn)
        def wrapper(self, request):
            token = request.headers.get("Token", "")
            if token not in self.accounts:
                return json_response(
                    {"code": 401, "message": "Token is not valid!", "data": None}, 401
                )
            try:
                data = read_json(request)
            except BadJson as exc:
                return error(f"Dữ liệu không hợp lệ: {exc}")
            shop_id = None
            if shop:
                raw = request.headers.get("ShopId")
                shop_id = lenient_int(raw)
                if shop_id is None:
                    return error("Thiếu ShopId trong header")
                if shop_id not in self.accounts[token]:
                    return error(f"ShopId {raw} không tồn tại hoặc không thuộc tài khoản này")
            with self.lock:
                try:
                    return fn(self, data, token, shop_id)
                except Reject as rej:
                    return rej.response

        return wrapper

    return decorator


class GhnApi:
    def register_routes(self, app) -> None:
        routes = {
            "master-data/province": self.h_provinces,
            "master-data/district": self.h_districts,
            "master-data/ward": self.h_wards,
            "v2/shop/all": self.h_shops,
            "v2/shipping-order/available-services": self.h_services,
            "v2/shipping-order/fee": self.h_fee,
            "v2/shipping-order/leadtime": self.h_leadtime,
            "v2/shipping-order/preview": self.h_preview,
            "v2/shipping-order/create": self.h_create,
            "v2/shipping-order/detail": self.h_detail,
            "v2/shipping-order/detail-by-client-code": self.h_detail_by_client,
            "v2/shipping-order/updateCOD": self.h_update_cod,
            "v2/switch-status/cancel": self.h_cancel,
            "v2/switch-status/return": self.h_return,
            "v2/switch-status/storing": self.h_storing,
            "v2/a5/gen-token": self.h_gen_token,
        }
        for path, handler in routes.items():
            app.add(BASE + path, handler, ("GET", "POST"))
        for name in PRINT_SIZES:
            app.add(f"/a5/public-api/{name}", functools.partial(self.h_print, name), ("GET",))

    # ------------------------------------------------------------------ master data

    @endpoint()
    def h_provinces(self, data, token, shop_id):
        return ok(
            [
                {
                    "ProvinceID": m.province_id(p),
                    "ProvinceName": p.name,
                    "CountryID": 1,
                    "Code": str(p.code),
                    "NameExtension": [p.name, p.short_name, m.fold_name(p.short_name)],
                    "RegionID": {"N": 1, "C": 2, "S": 3}[p.region],
                    "CanUpdateCOD": False,
                    "Status": 1,
                }
                for p in self.geo.cat.provinces
            ]
        )

    @endpoint()
    def h_districts(self, data, token, shop_id):
        provinces = self.geo.cat.provinces
        if data.get("province_id") not in (None, ""):
            p = self.geo.by_province_id.get(lenient_int(data["province_id"]))
            if p is None:
                fail("Tỉnh/thành phố không tồn tại", "PROVINCE_IS_INVALID")
            provinces = [p]
        return ok(
            [
                {
                    "DistrictID": m.district_id(p),
                    "ProvinceID": m.province_id(p),
                    "DistrictName": m.district_name(p),
                    "Code": str(p.code),
                    "Type": 3,
                    "SupportType": 3,
                    "NameExtension": [m.district_name(p)],
                    "CanUpdateCOD": False,
                    "Status": 1,
                }
                for p in provinces
            ]
        )

    @endpoint()
    def h_wards(self, data, token, shop_id):
        p = self.geo.by_district_id.get(lenient_int(data.get("district_id")))
        if p is None:
            fail("Quận/huyện (district_id) không tồn tại", "DISTRICT_IS_INVALID")
        return ok(
            [
                {
                    "WardCode": m.ward_code(w),
                    "DistrictID": m.district_id(p),
                    "WardName": w.name,
                    "NameExtension": [w.name, m.fold_name(w.name)],
                    "CanUpdateCOD": False,
                    "SupportType": 3,
                    "Status": 1,
                }
                for w in p.wards
            ]
        )

    @endpoint()
    def h_shops(self, data, token, shop_id):
        offset = max(0, lenient_int(data.get("offset")) or 0)
        limit = min(200, max(1, lenient_int(data.get("limit")) or 50))
        ids = sorted(self.accounts[token])
        phone = str(data.get("client_phone") or "")
        shops = [self.shops[i] for i in ids if not phone or self.shops[i].phone == phone]
        page = shops[offset : offset + limit]
        return ok(
            {
                "last_offset": offset + len(page),
                "shops": [
                    {
                        "_id": s.id,
                        "name": s.name,
                        "phone": s.phone,
                        "address": s.address,
                        "ward_code": s.ward_code,
                        "district_id": s.district_id,
                        "status": 1,
                    }
                    for s in page
                ],
            }
        )

    # ------------------------------------------------------------------ quotes

    def _route(self, data, shop_id, prefix_to="to"):
        shop = self.shops[shop_id]
        origin = resolve_address(self.geo, data, "from", need_ward=False)
        origin_p = origin[0] if origin else self.geo.by_district_id[shop.district_id]
        dest = resolve_address(self.geo, data, prefix_to, need_ward=False)
        if dest is None:
            fail("Thiếu thông tin bắt buộc: to_district_id", "DISTRICT_IS_INVALID")
        return origin_p, dest[0]

    @endpoint(shop=True)
    def h_services(self, data, token, shop_id):
        data = {
            "from_district_id": data.get("from_district"),
            "to_district_id": data.get("to_district"),
            **data,
        }
        self._route(data, shop_id)
        return ok([dict(s) for s in m.SERVICES.values()])

    @endpoint(shop=True)
    def h_fee(self, data, token, shop_id):
        origin, dest = self._route(data, shop_id)
        stype = service_type(data)
        weight = strict_int(data, "weight", required=True, minimum=1, maximum=self.limits["weight"])
        dims = [strict_int(data, k, required=False) for k in ("length", "width", "height")]
        cod = strict_int(data, "cod_value", required=False, maximum=self.limits["cod"])
        ins = strict_int(data, "insurance_value", required=False, maximum=self.limits["insurance"])
        fee = m.compute_fee(stype, origin, dest, m.converted_weight(weight, *dims), cod, ins)
        return ok(
            {
                "total": m.fee_total(fee),
                "service_fee": fee["main_service"],
                "insurance_fee": fee["insurance"],
                "cod_fee": fee["cod_fee"],
                "pick_station_fee": 0,
                "coupon_value": 0,
                "r2s_fee": 0,
                "return_again": 0,
                "document_return": 0,
                "double_check": 0,
                "pick_remote_areas_fee": 0,
                "deliver_remote_areas_fee": 0,
                "cod_failed_fee": 0,
            }
        )

    @endpoint(shop=True)
    def h_leadtime(self, data, token, shop_id):
        origin, dest = self._route(data, shop_id)
        stype = service_type(data) if data.get("service_id") or data.get("service_type_id") else 2
        now = self.clock.now()
        due = m.lead_date(now, stype, origin, dest)
        return ok(
            {
                "leadtime": int(due.timestamp()),
                "order_date": int(now.timestamp()),
                "leadtime_order": {
                    "from_estimate_date": m.iso_z(due - timedelta(days=1)),
                    "to_estimate_date": m.iso_z(due),
                },
            }
        )

    # ------------------------------------------------------------------ create

    def _quote(self, order_data: dict, shop_id: int) -> tuple[dict, int, object]:
        d = order_data
        origin = self.geo.province_of(d["from_ward"])
        cw = m.converted_weight(d["weight"], d["length"], d["width"], d["height"])
        fee = m.compute_fee(
            d["service_type_id"],
            origin,
            d["to_province"],
            cw,
            d["cod_amount"],
            d["insurance_value"],
        )
        due = m.lead_date(self.clock.now(), d["service_type_id"], origin, d["to_province"])
        return fee, cw, due

    def _create_answer(self, order: m.GhnOrder) -> dict:
        return {
            "order_code": order.order_code,
            "sort_code": order.sort_code,
            "trans_type": "truck",
            "ward_encode": "",
            "district_encode": "",
            "fee": dict(order.fee),
            "total_fee": order.total_fee,
            "expected_delivery_time": m.iso_z(order.leadtime),
        }

    def _validated(self, data, shop_id) -> dict:
        shop_ward = self.geo.by_ward_code[self.shops[shop_id].ward_code]
        return validate_order(self.geo, data, shop_ward, self.limits)

    @endpoint(shop=True)
    def h_preview(self, data, token, shop_id):
        d = self._validated(data, shop_id)
        fee, _cw, due = self._quote(d, shop_id)
        return ok(
            {
                "order_code": "",
                "sort_code": "",
                "trans_type": "truck",
                "fee": fee,
                "total_fee": m.fee_total(fee),
                "expected_delivery_time": m.iso_z(due),
            }
        )

    @endpoint(shop=True)
    def h_create(self, data, token, shop_id):
        d = self._validated(data, shop_id)
        client_code = str(d.get("client_order_code") or "")
        if client_code and (token, client_code) in self.client_codes:
            existing = self.orders[self.client_codes[(token, client_code)]]
            return ok(self._create_answer(existing))
        fee, cw, due = self._quote(d, shop_id)
        now = self.clock.now()
        code = self.new_code()
        p = d["to_province"]
        order = m.GhnOrder(
            order_code=code,
            token=token,
            shop_id=shop_id,
            client_order_code=client_code,
            data={k: v for k, v in d.items() if k not in ("to_province", "to_ward", "from_ward")},
            to_ward=d["to_ward"],
            from_ward=d["from_ward"],
            service_type_id=d["service_type_id"],
            weight=d["weight"],
            converted_weight=cw,
            cod_amount=d["cod_amount"],
            insurance_value=d["insurance_value"],
            payment_type_id=d["payment_type_id"],
            fee=fee,
            created=now,
            leadtime=due,
            sort_code=f"{m.province_id(p)}-{p.region}-{d['to_ward'].code % 100:02d}-A{len(self.orders) % 9 + 1}",
            status_time=now,
            log=[{"status": "ready_to_pick", "updated_date": m.iso_z(now)}],
        )
        if self.fail_rate and self.rng.random() < self.fail_rate:
            order.fail_next_delivery = m.DEFAULT_FAIL_REASON
        self.orders[code] = order
        if client_code:
            self.client_codes[(token, client_code)] = code
        self.emit(order, "create", now)
        return ok(self._create_answer(order))

    # ------------------------------------------------------------------ after create

    def detail(self, o: m.GhnOrder) -> dict:
        d = o.data
        to_p = self.geo.province_of(o.to_ward)
        shop = self.shops[o.shop_id]
        return {
            "shop_id": o.shop_id,
            "order_code": o.order_code,
            "client_order_code": o.client_order_code,
            "status": o.status,
            "to_name": d.get("to_name"),
            "to_phone": d.get("to_phone"),
            "to_address": d.get("to_address"),
            "to_ward_code": m.ward_code(o.to_ward),
            "to_district_id": m.district_id(to_p),
            "to_ward_name": o.to_ward.name,
            "to_province_name": to_p.name,
            "to_ward_id_v2": int(m.ward_code(o.to_ward)),
            "to_province_id_v2": m.province_id(to_p),
            "from_name": d.get("from_name") or shop.name,
            "from_phone": d.get("from_phone") or shop.phone,
            "from_address": d.get("from_address") or shop.address,
            "from_ward_code": m.ward_code(o.from_ward),
            "from_district_id": m.district_id(self.geo.province_of(o.from_ward)),
            "weight": o.weight,
            "length": d.get("length"),
            "width": d.get("width"),
            "height": d.get("height"),
            "converted_weight": o.converted_weight,
            "service_type_id": o.service_type_id,
            "service_id": m.SERVICES[o.service_type_id]["service_id"],
            "payment_type_id": o.payment_type_id,
            "required_note": d.get("required_note"),
            "cod_amount": o.cod_amount,
            "insurance_value": o.insurance_value,
            "cod_failed_amount": d.get("cod_failed_amount") or 0,
            "content": d.get("content") or "",
            "note": d.get("note") or "",
            "items": d.get("items") or [],
            "total_fee": o.total_fee,
            "fee": dict(o.fee),
            "sort_code": o.sort_code,
            "reason_code": o.reason_code,
            "reason": o.reason,
            "order_date": m.iso_z(o.created),
            "created_date": m.iso_z(o.created),
            "updated_date": m.iso_z(o.status_time),
            "leadtime": m.iso_z(o.leadtime),
            "finish_date": m.iso_z(o.status_time) if o.status in m.TERMINAL else None,
            "log": [dict(entry) for entry in o.log],
            "cod_collect_date": m.iso_z(o.cod_collect_date),
            "cod_transfer_date": m.iso_z(o.cod_transfer_date),
            "is_cod_collected": o.is_cod_collected,
            "is_cod_transferred": o.is_cod_transferred,
        }

    def _own(self, token: str, code) -> m.GhnOrder:
        order = self.orders.get(str(code or ""))
        if order is None or order.token != token:
            fail("Đơn hàng không tồn tại", "ORDER_NOT_FOUND")
        return order

    @endpoint()
    def h_detail(self, data, token, shop_id):
        return ok(self.detail(self._own(token, data.get("order_code"))))

    @endpoint()
    def h_detail_by_client(self, data, token, shop_id):
        code = self.client_codes.get((token, str(data.get("client_order_code") or "")))
        return ok(self.detail(self._own(token, code)))

    @endpoint(shop=True)
    def h_update_cod(self, data, token, shop_id):
        order = self._own(token, data.get("order_code"))
        cod = strict_int(data, "cod_amount", required=True, maximum=self.limits["cod"])
        if order.status not in m.COD_EDITABLE:
            fail(f"Không thể cập nhật COD khi đơn ở trạng thái {order.status}")
        order.cod_amount = cod
        self.reprice(order)
        self.emit(order, "update_cod")
        return ok(None)

    def _switch(self, data, token, allowed: set[str], target: str, done_message: str):
        codes = data.get("order_codes")
        if not isinstance(codes, list) or not codes:
            fail("Thiếu thông tin bắt buộc: order_codes")
        results = []
        for code in codes:
            order = self.orders.get(str(code))
            if order is None or order.token != token:
                results.append(
                    {"order_code": code, "result": False, "message": "Đơn hàng không tồn tại"}
                )
            elif order.status == target and target == "cancel":
                results.append({"order_code": code, "result": True, "message": "OK"})
            elif order.status not in allowed:
                msg = f"Không thể chuyển trạng thái: đơn đang ở trạng thái {order.status}"
                results.append({"order_code": code, "result": False, "message": msg})
            else:
                if target == "storing":
                    order.fail_next_delivery = ""
                self.set_status(order, target)
                results.append({"order_code": code, "result": True, "message": done_message})
        return ok(results)

    @endpoint(shop=True)
    def h_cancel(self, data, token, shop_id):
        return self._switch(data, token, m.CANCELLABLE, "cancel", "OK")

    @endpoint(shop=True)
    def h_return(self, data, token, shop_id):
        return self._switch(data, token, m.RETURNABLE, "return", "OK")

    @endpoint(shop=True)
    def h_storing(self, data, token, shop_id):
        return self._switch(data, token, {"delivery_fail", "waiting_to_return"}, "storing", "OK")

    # ------------------------------------------------------------------ labels

    @endpoint()
    def h_gen_token(self, data, token, shop_id):
        codes = data.get("order_codes")
        if not isinstance(codes, list) or not codes:
            fail("Thiếu thông tin bắt buộc: order_codes")
        for code in codes:
            self._own(token, code)
        print_token = f"{self.rng.getrandbits(128):032x}"
        expires = self.clock.now() + timedelta(minutes=30)
        self.print_tokens[print_token] = ([str(c) for c in codes], expires)
        return ok({"token": print_token})

    def label(self, o: m.GhnOrder) -> dict:
        d = o.data
        shop = self.shops[o.shop_id]
        fp = self.geo.province_of(o.from_ward)
        tp = self.geo.province_of(o.to_ward)
        return {
            "carrier": "GHN",
            "code": o.order_code,
            "reference": o.client_order_code,
            "sort_code": o.sort_code,
            "sender_name": d.get("from_name") or shop.name,
            "sender_phone": d.get("from_phone") or shop.phone,
            "sender_address": f"{d.get('from_address') or shop.address}, {o.from_ward.name}, {fp.name}",
            "receiver_name": d.get("to_name"),
            "receiver_phone": d.get("to_phone"),
            "receiver_address": f"{d.get('to_address')}, {o.to_ward.name}, {tp.name}",
            "content": d.get("content"),
            "weight": o.weight,
            "cod": o.cod_amount,
            "note": NOTE_LABELS.get(d.get("required_note"), ""),
        }

    def h_print(self, name, request):
        with self.lock:
            entry = self.print_tokens.get(request.args.get("token", ""))
            if entry is None or entry[1] < self.clock.now():
                page = "<html><body><h3>Token không hợp lệ hoặc đã hết hạn</h3></body></html>"
                return Response(page, 400, content_type="text/html; charset=utf-8")
            items = [self.label(self.orders[c]) for c in entry[0] if c in self.orders]
        size = PRINT_SIZES[name]
        if "application/pdf" in request.headers.get("Accept", ""):
            return Response(labels.render_pdf(items, size), 200, content_type="application/pdf")
        return Response(
            labels.render_html(items, size), 200, content_type="text/html; charset=utf-8"
        )
