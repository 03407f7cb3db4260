"""HTTP handlers of the Shopee emulator (mixed into ``ShopeeEmulator``)."""

from __future__ import annotations

import hmac
import json

from werkzeug.wrappers import Request, Response

from emulators.common import json_response
from emulators.marketplace import (
    TokenError,
    add_query,
    as_int,
)
from emulators.shopee import signing
from emulators.shopee.base import (
    BASE,
    ShopeeError,
    endpoint,
    need,
    need_int,
)
from emulators.shopee.logistics import ShopeeLogistics
from emulators.shopee.orders import ShopeeOrders
from emulators.shopee.products import ShopeeProducts


class ShopeeApi(ShopeeProducts, ShopeeOrders, ShopeeLogistics):
    def register_routes(self, app) -> None:
        public = {
            "shop/auth_partner": (self.h_auth_partner, ("GET",)),
            "shop/cancel_auth_partner": (self.h_cancel_auth, ("GET",)),
            "auth/token/get": (self.h_token_get, ("POST",)),
            "auth/access_token/get": (self.h_access_token_get, ("POST",)),
            "public/get_shops_by_partner": (self.h_shops_by_partner, ("GET",)),
            "push/set_app_push_config": (self.h_set_push, ("POST",)),
            "push/set_push_config": (self.h_set_push, ("POST",)),
            "push/get_app_push_config": (self.h_get_push, ("GET",)),
            "push/get_push_config": (self.h_get_push, ("GET",)),
            "push/get_lost_push_message": (self.h_lost_push, ("GET",)),
            "push/confirm_consumed_lost_push_message": (self.h_confirm_lost, ("POST",)),
            "media_space/upload_image": (self.h_upload_image, ("POST",)),
        }
        shop = {
            "shop/get_shop_info": (self.h_shop_info, ("GET",)),
            "shop/get_profile": (self.h_profile, ("GET",)),
            "product/get_item_list": (self.h_item_list, ("GET",)),
            "product/get_item_base_info": (self.h_item_base_info, ("GET",)),
            "product/get_model_list": (self.h_model_list, ("GET",)),
            "product/add_item": (self.h_add_item, ("POST",)),
            "product/init_tier_variation": (self.h_init_tier, ("POST",)),
            "product/add_model": (self.h_add_model, ("POST",)),
            "product/update_price": (self.h_update_price, ("POST",)),
            "product/update_stock": (self.h_update_stock, ("POST",)),
            "product/unlist_item": (self.h_unlist_item, ("POST",)),
            "logistics/get_channel_list": (self.h_channels, ("GET",)),
            "order/get_order_list": (self.h_order_list, ("GET",)),
            "order/get_order_detail": (self.h_order_detail, ("GET",)),
            "order/get_shipment_list": (self.h_shipment_list, ("GET",)),
            "order/cancel_order": (self.h_cancel_order, ("POST",)),
            "order/handle_buyer_cancellation": (self.h_buyer_cancellation, ("POST",)),
            "logistics/get_shipping_parameter": (self.h_shipping_parameter, ("GET",)),
            "logistics/ship_order": (self.h_ship_order, ("POST",)),
            "logistics/get_tracking_number": (self.h_tracking_number, ("GET",)),
            "logistics/get_tracking_info": (self.h_tracking_info, ("GET",)),
            "logistics/get_shipping_document_parameter": (self.h_doc_parameter, ("POST",)),
            "logistics/create_shipping_document": (self.h_doc_create, ("POST",)),
            "logistics/get_shipping_document_result": (self.h_doc_result, ("POST",)),
            "logistics/download_shipping_document": (self.h_doc_download, ("POST",)),
            "payment/get_escrow_detail": (self.h_escrow_detail, ("GET",)),
            "payment/get_wallet_transaction_list": (self.h_wallet, ("GET",)),
        }
        for path, (handler, methods) in {**public, **shop}.items():
            app.add(BASE + path, handler, methods)
        app.add("/auth", self.h_auth_partner_new, ("GET",))

    # ------------------------------------------------------------------ envelope

    def request_id(self) -> str:
        return "".join(self.rng.choice("0123456789abcdef") for _ in range(32))

    def ok(self, response=None, **top) -> Response:
        body = {"request_id": self.request_id(), "error": "", "message": ""}
        if response is not None:
            body["response"] = response
        body.update(top)
        return json_response(body)

    def error_response(self, exc: ShopeeError) -> Response:
        body = {"request_id": self.request_id(), "error": exc.error, "message": exc.message}
        response = json_response(body, exc.status or self.error_status)
        if exc.status == 429:
            response.headers["Retry-After"] = "1"
        return response

    def authenticate(self, request: Request, kind: str) -> str | None:
        args = request.args
        for name in ("partner_id", "timestamp", "sign"):
            if not args.get(name):
                raise ShopeeError("error_param", f"Missing required parameter: {name}.")
        partner_id, ts, sign = args["partner_id"], args["timestamp"], args["sign"]
        if as_int(partner_id) != self.partner_id:
            raise ShopeeError("error_auth", "Invalid partner_id.")
        timestamp = as_int(ts)
        if timestamp is None or not self.fresh(timestamp, 300, 300):
            raise ShopeeError("error_param", "Invalid timestamp, it should be within 5 minutes.")
        if args.get("merchant_id") or args.get("main_account_id"):
            raise ShopeeError("error_param", "Merchant-level calls are not emulated.")
        path = request.path
        shop_id = None
        if kind == "public":
            base = signing.public_base(partner_id, path, ts)
        else:
            token = args.get("access_token", "")
            shop_id = args.get("shop_id", "")
            if not token or not shop_id:
                raise ShopeeError(
                    "error_param", "Missing required parameter: access_token/shop_id."
                )
            base = signing.shop_base(partner_id, path, ts, token, shop_id)
        expected = signing.sign(self.partner_key, base)
        if not hmac.compare_digest(expected, sign):
            raise ShopeeError("error_sign", "Wrong sign.")
        if kind != "public":
            try:
                pair = self.tokens.check_access(args["access_token"], self.clock.timestamp())
            except TokenError as exc:
                if exc.kind == "expired":
                    raise ShopeeError("invalid_acceess_token", "Invalid access_token.") from None
                raise ShopeeError("error_auth", "Invalid access_token.") from None
            if pair.subject != str(as_int(shop_id)):
                raise ShopeeError("error_auth", "Invalid access_token for this shop_id.")
            shop_id = pair.subject
        if self.limiter.hit((partner_id, shop_id or "", path)) is not None:
            raise ShopeeError("error_rate_limit", "Too many requests.", status=429)
        if not self.count_daily(str(partner_id)):
            raise ShopeeError("error_limit", "Daily API quota exceeded.", status=429)
        return shop_id

    def read_body(self, request: Request) -> dict:
        if request.method != "POST":
            return {}
        if request.mimetype == "multipart/form-data":
            return {**request.form.to_dict(), "_files": request.files}
        raw = request.get_data()
        if not raw.strip():
            return {}
        try:
            data = json.loads(raw)
        except ValueError:
            raise ShopeeError("error_param", "Invalid JSON body.") from None
        if not isinstance(data, dict):
            raise ShopeeError("error_param", "Invalid JSON body.")
        return data

    # ------------------------------------------------------------------ OAuth

    def h_auth_partner(self, request: Request) -> Response:
        try:
            with self.lock:
                self.authenticate(request, "public")
                redirect = request.args.get("redirect", "")
                if not redirect.startswith(("http://", "https://")):
                    raise ShopeeError("error_param", "redirect is required.")
                location = self.authorize_redirect(redirect, self.default_shop_id())
        except ShopeeError as exc:
            return self.error_response(exc)
        return Response(status=302, headers={"Location": location})

    def h_auth_partner_new(self, request: Request) -> Response:
        """``/auth?auth_type=seller&partner_id&redirect_uri&response_type=code`` [U]: unsigned."""
        with self.lock:
            if as_int(request.args.get("partner_id")) != self.partner_id:
                return self.error_response(ShopeeError("error_auth", "Invalid partner_id."))
            redirect = request.args.get("redirect_uri", "")
            if not redirect.startswith(("http://", "https://")):
                return self.error_response(ShopeeError("error_param", "redirect_uri is required."))
            location = self.authorize_redirect(redirect, self.default_shop_id())
        return Response(status=302, headers={"Location": location})

    def h_cancel_auth(self, request: Request) -> Response:
        try:
            with self.lock:
                self.authenticate(request, "public")
                shop_id = self.default_shop_id()
                self.tokens.revoke(shop_id)
                self.push(2, shop_id, {"shop_id": int(shop_id), "success": 1, "extra": ""})
                redirect = request.args.get("redirect", "")
        except ShopeeError as exc:
            return self.error_response(exc)
        if redirect.startswith(("http://", "https://")):
            return Response(
                status=302,
                headers={"Location": add_query(redirect, {"shop_id": shop_id, "cancel": 1})},
            )
        return self.ok({"shop_id": int(shop_id)})

    @endpoint("public")
    def h_token_get(self, request, data, _shop):
        if data.get("main_account_id"):
            raise ShopeeError("error_param", "Main account authorization is not emulated.")
        code = need(data, "code")
        shop_id = str(as_int(need(data, "shop_id")))
        if as_int(data.get("partner_id")) != self.partner_id:
            raise ShopeeError("error_param", "partner_id in the body does not match.")
        try:
            subject = self.tokens.take_code(code, self.clock.timestamp())
        except TokenError:
            raise ShopeeError("error_auth", "Invalid code.") from None
        if subject != shop_id:
            raise ShopeeError("error_auth", "Invalid code for this shop_id.")
        pair = self.tokens.issue(shop_id, self.clock.timestamp())
        self.shops[shop_id]["expire_time"] = int(pair.authorization_expires)
        return self.ok(
            None,
            access_token=pair.access_token,
            refresh_token=pair.refresh_token,
            expire_in=int(self.tokens.access_ttl),
            shop_id_list=[int(shop_id)],
            merchant_id_list=[],
        )

    @endpoint("public")
    def h_access_token_get(self, request, data, _shop):
        if data.get("merchant_id"):
            raise ShopeeError("error_param", "Merchant-level refresh is not emulated.")
        refresh = need(data, "refresh_token")
        shop_id = str(as_int(need(data, "shop_id")))
        if as_int(data.get("partner_id")) != self.partner_id:
            raise ShopeeError("error_param", "partner_id in the body does not match.")
        pair = self.tokens.by_refresh.get(str(refresh))
        if pair is not None and pair.subject != shop_id:
            raise ShopeeError("error_auth", "Invalid refresh_token for this shop_id.")
        try:
            new = self.tokens.refresh(refresh, self.clock.timestamp())
        except TokenError as exc:
            error = {
                "expired": ("refresh_token_expired", "Refresh token expired."),
                "authorization_expired": ("shop_access_expired", "Shop authorization expired."),
            }.get(exc.kind, ("error_auth", "Invalid refresh_token."))
            raise ShopeeError(*error) from None
        return self.ok(
            None,
            partner_id=self.partner_id,
            shop_id=int(shop_id),
            access_token=new.access_token,
            refresh_token=new.refresh_token,
            expire_in=int(self.tokens.access_ttl),
        )

    @endpoint("public")
    def h_shops_by_partner(self, request, data, _shop):
        authed = {p.subject for p in self.tokens.by_access.values() if not p.revoked}
        shops = [
            {
                "shop_id": int(s["shop_id"]),
                "region": s["region"],
                "auth_time": s.get("auth_time") or 0,
                "expire_time": s.get("expire_time") or 0,
                "sip_affi_shops": [],
            }
            for s in self.shops.values()
            if s["shop_id"] in authed
        ]
        return self.ok(None, authed_shop_list=shops, more=False)

    # ------------------------------------------------------------------ push config

    @endpoint("public")
    def h_set_push(self, request, data, _shop):
        url = data.get("callback_url")
        if url:
            self.set_push_url(url)
        for code in data.get("set_push_config_on") or []:
            self.push_codes.add(int(code))
        for code in data.get("set_push_config_off") or []:
            self.push_codes.discard(int(code))
        names = {
            "shop_authorization": 1,
            "shop_deauthorization": 2,
            "order_status": 3,
            "order_tracking_no": 4,
            "reserved_stock_change": 8,
        }
        for name, flag in (data.get("push_config") or {}).items():
            if name in names:
                (self.push_codes.add if flag else self.push_codes.discard)(names[name])
        blocked = data.get("blocked_shop_id_list", data.get("blocked_shop_id"))
        if blocked is not None:
            self.push_blocked = {str(s) for s in blocked}
        return self.ok({"result": "success"})

    @endpoint("public")
    def h_get_push(self, request, data, _shop):
        return self.ok(
            {
                "callback_url": self.push_url,
                "live_push_status": "Normal",
                "suspended_push_status": "Normal",
                "blocked_shop_id": sorted(int(s) for s in self.push_blocked),
                "push_config_on_list": sorted(self.push_codes),
                "push_config_off_list": sorted({1, 2, 3, 4, 8, 12} - self.push_codes),
            }
        )

    @endpoint("public")
    def h_lost_push(self, request, data, _shop):
        horizon = self.clock.timestamp() - 3 * 86400
        lost = [
            e
            for e in self.webhooks.failed
            if e.id > self.lost_confirmed and e.json().get("timestamp", 0) >= horizon
        ][:100]
        return self.ok(
            {
                "push_message_list": [
                    {
                        "shop_id": e.json()["shop_id"],
                        "code": e.json()["code"],
                        "timestamp": e.json()["timestamp"],
                        "data": json.dumps(e.json()["data"], ensure_ascii=False),
                    }
                    for e in lost
                ],
                "has_next_page": False,
                "last_message_id": lost[-1].id if lost else 0,
            }
        )

    @endpoint("public")
    def h_confirm_lost(self, request, data, _shop):
        last = need_int(data, "last_message_id", minimum=1)
        self.lost_confirmed = max(self.lost_confirmed, last)
        return self.ok({})

    @endpoint("public")
    def h_upload_image(self, request, data, _shop):
        files = data.get("_files")
        if not files or "image" not in files:
            raise ShopeeError("error_param", "image is required.")
        image_id = self.new_image_id()
        return self.ok(
            {
                "image_info": {
                    "image_id": image_id,
                    "image_url_list": [
                        {
                            "image_url_region": "VN",
                            "image_url": f"https://cf.shopee.vn/file/{image_id}",
                        }
                    ],
                }
            }
        )
