"""HTTP handlers of the TikTok Shop emulator (mixed into ``TiktokShopEmulator``)."""

from __future__ import annotations

import hmac
import json

from werkzeug.wrappers import Request, Response

from emulators.common import json_response
from emulators.marketplace import (
    TokenError,
    as_int,
)
from emulators.tiktok_shop import signing
from emulators.tiktok_shop.base import (
    ID,
    TiktokError,
    V,
    bad,
    endpoint,
)
from emulators.tiktok_shop.fulfilment import TiktokFulfilment
from emulators.tiktok_shop.orders import TiktokOrders
from emulators.tiktok_shop.products import TiktokProducts


class TiktokApi(TiktokProducts, TiktokOrders, TiktokFulfilment):
    def register_routes(self, app) -> None:
        app.add("/api/v2/token/get", self.h_token_get, ("GET",))
        app.add("/api/v2/token/refresh", self.h_token_refresh, ("GET",))
        app.add("/open/authorize", self.h_authorize, ("GET",))
        pid, kid, oid = ID.format("product_id"), ID.format("package_id"), ID.format("order_id")
        routes = [
            (rf"/authorization/{V}/shops", self.h_shops, ("GET",)),
            (rf"/seller/{V}/shops", self.h_shops, ("GET",)),
            (rf"/product/{V}/products/search", self.h_product_search, ("POST",)),
            (rf"/product/{V}/products", self.h_product_create, ("POST",)),
            (rf"/product/{V}/products/{pid}/inventory/update", self.h_inventory, ("POST",)),
            (rf"/product/{V}/products/{pid}/prices/update", self.h_prices, ("POST",)),
            (rf"/product/{V}/products/{pid}", self.h_product_get, ("GET",)),
            (rf"/product/{V}/images/upload", self.h_image_upload, ("POST",)),
            (rf"/logistics/{V}/warehouses", self.h_warehouses, ("GET",)),
            (rf"/order/{V}/orders/search", self.h_order_search, ("POST",)),
            (rf"/order/{V}/orders", self.h_order_detail, ("GET",)),
            (rf"/return_refund/{V}/cancellations", self.h_cancel, ("POST",)),
            (rf"/return_refund/{V}/returns/search", self.h_returns, ("POST",)),
            (rf"/fulfillment/{V}/packages/{kid}/handover_time_slots", self.h_slots, ("GET",)),
            (rf"/fulfillment/{V}/packages/{kid}/ship", self.h_ship, ("POST",)),
            (rf"/fulfillment/{V}/packages/{kid}/shipping_documents", self.h_document, ("GET",)),
            (rf"/fulfillment/{V}/packages/{kid}", self.h_package, ("GET",)),
            (rf"/fulfillment/{V}/orders/{oid}/tracking", self.h_tracking, ("GET",)),
            (rf"/event/{V}/webhooks", self.h_webhooks, ("GET", "POST", "PUT", "DELETE")),
            (
                rf"/finance/{V}/orders/{oid}/statement_transactions",
                self.h_statement,
                ("GET",),
            ),
            (r"/documents/(?P<token>[0-9a-f]+)\.pdf", self.h_document_file, ("GET",)),
        ]
        for pattern, handler, methods in routes:
            app.add_pattern(pattern, handler, methods)

    # ------------------------------------------------------------------ envelope

    def request_id(self) -> str:
        return "2026" + "".join(self.rng.choice("0123456789ABCDEF") for _ in range(28))

    def ok(self, data=None) -> Response:
        return json_response(
            {
                "code": 0,
                "message": "Success",
                "request_id": self.request_id(),
                "data": data if data is not None else {},
            }
        )

    def error_response(self, exc: TiktokError) -> Response:
        response = json_response(
            {
                "code": exc.code,
                "message": exc.message,
                "request_id": self.request_id(),
                "data": None,
            },
            exc.status,
        )
        if exc.status == 429:
            response.headers["Retry-After"] = "1"
        return response

    def authenticate(self, request: Request, cipher: bool, name: str):
        args = request.args
        for key in ("app_key", "timestamp", "sign"):
            if not args.get(key):
                raise TiktokError(36009004, f"Invalid credentials: {key} is missing", 401)
        if args["app_key"] != self.app_key:
            raise TiktokError(36009004, "Invalid credentials: app_key is not valid", 401)
        ts = as_int(args["timestamp"])
        if ts is None or not self.fresh(ts, 300, 30):
            raise TiktokError(36009004, "Invalid credentials: timestamp is expired", 401)
        content_type = request.headers.get("Content-Type", "")
        raw = request.get_data(cache=True)
        expected = signing.sign(
            self.app_secret, request.path, list(args.items(multi=True)), raw, content_type
        )
        if not hmac.compare_digest(expected, args["sign"]):
            raise TiktokError(106001, "Invalid credentials: sign is not valid", 401)
        token = request.headers.get("x-tts-access-token") or args.get("access_token", "")
        if not token:
            raise TiktokError(36009004, "Invalid credentials: access token is missing", 401)
        try:
            pair = self.tokens.check_access(token, self.clock.timestamp())
        except TokenError as exc:
            if exc.kind == "expired":
                raise TiktokError(105002, "Access token is expired", 401) from None
            raise TiktokError(
                36009004, "Invalid credentials: access token is invalid", 401
            ) from None
        seller_id = pair.subject
        shop = None
        if cipher:
            value = args.get("shop_cipher", "")
            if not value:
                raise TiktokError(106013, "shop_cipher is required", 400)
            shop = self.shop_by_cipher(value)
            if shop is None or shop["seller_id"] != seller_id:
                raise TiktokError(106013, "shop_cipher is not valid for this seller", 400)
        key = (self.app_key, shop["shop_id"] if shop else seller_id, name)
        if self.limiter.hit(key) is not None:
            raise TiktokError(36009002, "Too many requests", 429)
        if not self.count_daily(self.app_key):
            raise TiktokError(36009002, "Daily quota exceeded", 429)
        return shop if cipher else seller_id

    def read_body(self, request: Request) -> dict:
        if request.mimetype == "multipart/form-data":
            return {"_files": request.files, **request.form.to_dict()}
        raw = request.get_data(cache=True)
        if not raw.strip():
            return {}
        try:
            data = json.loads(raw)
        except ValueError:
            raise bad("The body is not valid JSON") from None
        if not isinstance(data, dict):
            raise bad("The body must be a JSON object")
        return data

    # ------------------------------------------------------------------ OAuth

    def token_answer(self, pair) -> Response:
        shop = next(s for s in self.shops.values() if s["seller_id"] == pair.subject)
        return self.ok(
            {
                "access_token": pair.access_token,
                "access_token_expire_in": int(pair.access_expires),
                "refresh_token": pair.refresh_token,
                "refresh_token_expire_in": int(pair.refresh_expires),
                "open_id": pair.subject,
                "seller_name": shop["name"],
                "seller_base_region": "VN",
                "user_type": 0,
                "granted_scopes": list(self.granted_scopes),
            }
        )

    granted_scopes = (
        "seller.authorization.info",
        "seller.product.basic",
        "seller.product.write",
        "seller.order.info",
        "seller.fulfillment.basic",
        "seller.finance.info",
        "seller.return_refund.basic",
    )

    def _token_app(self, args) -> None:
        if args.get("app_key") != self.app_key or args.get("app_secret") != self.app_secret:
            raise TiktokError(36009004, "Invalid credentials: app_key or app_secret", 401)

    def h_token_get(self, request: Request) -> Response:
        args = request.args
        try:
            with self.lock:
                self._token_app(args)
                if args.get("grant_type") != "authorized_code":
                    raise bad("grant_type must be authorized_code")
                try:
                    seller = self.tokens.take_code(
                        args.get("auth_code", ""), self.clock.timestamp()
                    )
                except TokenError:
                    raise TiktokError(36004004, "auth_code is invalid or expired") from None
                return self.token_answer(self.tokens.issue(seller, self.clock.timestamp()))
        except TiktokError as exc:
            return self.error_response(exc)

    def h_token_refresh(self, request: Request) -> Response:
        args = request.args
        try:
            with self.lock:
                self._token_app(args)
                if args.get("grant_type") != "refresh_token":
                    raise bad("grant_type must be refresh_token")
                try:
                    pair = self.tokens.refresh(
                        args.get("refresh_token", ""), self.clock.timestamp()
                    )
                except TokenError:
                    raise TiktokError(36004005, "refresh_token is invalid or expired") from None
                return self.token_answer(pair)
        except TiktokError as exc:
            return self.error_response(exc)

    def h_authorize(self, request: Request) -> Response:
        with self.lock:
            if request.args.get("service_id") != self.service_id:
                return Response(
                    "<!doctype html><title>TikTok Shop</title><p>Unknown service_id</p>",
                    400,
                    content_type="text/html; charset=utf-8",
                )
            location = self.authorize_redirect(request.args.get("state"))
            if location is None:
                code = next(reversed(self.tokens.codes))
                return Response(
                    f"<!doctype html><title>TikTok Shop</title><p>No redirect URL registered. "
                    f"Authorization code: <code>{code}</code></p>",
                    200,
                    content_type="text/html; charset=utf-8",
                )
        return Response(status=302, headers={"Location": location})

    @endpoint(cipher=False)
    def h_shops(self, request, body, seller_id, version):
        return self.ok(
            {
                "shops": [
                    {
                        "id": s["shop_id"],
                        "name": s["name"],
                        "region": s["region"],
                        "seller_type": s["seller_type"],
                        "cipher": s["cipher"],
                        "code": s["code"],
                    }
                    for s in self.seller_shops(seller_id)
                ]
            }
        )
