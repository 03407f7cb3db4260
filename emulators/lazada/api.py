"""HTTP handlers of the Lazada emulator (mixed into ``LazadaEmulator``)."""

from __future__ import annotations

import hmac

from werkzeug.wrappers import Request, Response

from emulators.common import json_response
from emulators.lazada import signing
from emulators.lazada.base import (
    LazadaError,
    endpoint,
)
from emulators.lazada.fulfilment import LazadaFulfilment
from emulators.lazada.orders import LazadaOrders
from emulators.lazada.products import LazadaProducts
from emulators.marketplace import TokenError, as_int


class LazadaApi(LazadaProducts, LazadaOrders, LazadaFulfilment):
    def register_routes(self, app) -> None:
        self.api_routes = {
            "/auth/token/create": self.h_token_create,
            "/auth/token/refresh": self.h_token_refresh,
            "/seller/get": self.h_seller_get,
            "/products/get": self.h_products_get,
            "/product/item/get": self.h_item_get,
            "/product/create": self.h_product_create,
            "/product/update": self.h_product_update,
            "/product/price_quantity/update": self.h_price_quantity,
            "/product/stock/sellable/update": self.h_sellable_update,
            "/product/stock/sellable/adjust": self.h_sellable_adjust,
            "/orders/get": self.h_orders_get,
            "/order/get": self.h_order_get,
            "/order/items/get": self.h_order_items,
            "/orders/items/get": self.h_orders_items,
            "/order/reverse/cancel/validate": self.h_cancel_validate,
            "/order/reverse/cancel/create": self.h_cancel_create,
            "/order/shipment/providers/get": self.h_providers,
            "/order/fulfill/pack": self.h_pack,
            "/order/package/rts": self.h_rts,
            "/order/package/repack": self.h_repack,
            "/order/package/document/get": self.h_document_get,
            "/logistic/order/trace": self.h_trace,
            "/finance/transaction/details/get": self.h_transactions,
        }
        app.add("/oauth/authorize", self.h_authorize, ("GET",))
        app.add_pattern(r"/documents/(?P<token>[0-9a-f]+)\.pdf", self.h_document_file, ("GET",))
        app.fallback = self.dispatch_api

    def dispatch_api(self, request: Request) -> Response:
        path = request.path.rstrip("/") or "/"
        api = path[len("/rest") :] if path.startswith("/rest/") else path
        handler = self.api_routes.get(api)
        if handler is None:
            return self.error_response(
                LazadaError("InvalidApiPath", f"The specified API path {api} is invalid")
            )
        if request.method not in ("GET", "POST"):
            return json_response({"code": "MethodNotAllowed"}, 405)
        return handler(request, api)

    # ------------------------------------------------------------------ envelope

    def request_id(self) -> str:
        return "21" + "".join(self.rng.choice("0123456789abcdef") for _ in range(24))

    def ok(self, data=None, **top) -> Response:
        body = {"code": "0"}
        if data is not None:
            body["data"] = data
        body.update(top)
        body["request_id"] = self.request_id()
        return json_response(body)

    def ok_result(self, data, *, success=True, error_code="", error_msg="") -> Response:
        return self.ok(
            None,
            result={
                "success": success,
                "error_code": error_code,
                "error_msg": error_msg,
                "data": data,
            },
        )

    def error_response(self, exc: LazadaError) -> Response:
        body = {
            "type": exc.type,
            "code": exc.code,
            "message": exc.message,
            "request_id": self.request_id(),
        }
        if exc.detail:
            body["detail"] = exc.detail
        response = json_response(body, exc.status)
        if exc.status == 429:
            response.headers["Retry-After"] = "1"
        return response

    @staticmethod
    def params_of(request: Request) -> dict:
        params = dict(request.args.items())
        if request.method == "POST":
            params.update(request.form.items())
        return params

    def authenticate(self, api: str, p: dict, seller: bool) -> str | None:
        for name in ("app_key", "timestamp", "sign_method", "sign"):
            if not p.get(name):
                raise LazadaError(
                    "MissingParameter",
                    f'The input parameter "{name}" that is mandatory for processing this '
                    "request is not supplied",
                )
        if p["app_key"] != self.app_key:
            raise LazadaError("InvalidAppKey", "The specified app key is invalid")
        if p["sign_method"].lower() != "sha256":
            raise LazadaError("InvalidSignMethod", "Only sign_method sha256 is supported")
        ts = as_int(p["timestamp"])
        if ts is None or not self.fresh(ts / 1000, 7200, 7200):
            raise LazadaError("InvalidTimestamp", "The timestamp is invalid or out of range")
        expected = signing.sign(self.app_secret, api, p)
        if not hmac.compare_digest(expected, p["sign"]):
            raise LazadaError(
                "IncompleteSignature", "The request signature does not conform to lazop standards"
            )
        seller_id = None
        if seller:
            if not p.get("access_token"):
                raise LazadaError(
                    "MissingParameter", 'The input parameter "access_token" is not supplied'
                )
            try:
                pair = self.tokens.check_access(p["access_token"], self.clock.timestamp())
            except TokenError:
                raise LazadaError(
                    "IllegalAccessToken", "The specified access token is invalid or expired"
                ) from None
            seller_id = pair.subject
        if self.limiter.hit((self.app_key, seller_id or "", api)) is not None:
            raise LazadaError(
                "ApiCallLimit",
                "The request has exceeded the limit of calls per second for this API",
                type_="ISP",
                status=429,
            )
        if not self.count_daily(self.app_key):
            raise LazadaError("AppCallLimit", "Daily call limit reached", type_="ISP", status=429)
        return seller_id

    # ------------------------------------------------------------------ OAuth

    def h_authorize(self, request: Request) -> Response:
        args = request.args
        with self.lock:
            problem = None
            redirect = args.get("redirect_uri", "")
            if args.get("response_type") != "code":
                problem = "response_type must be code"
            elif args.get("client_id") != self.app_key:
                problem = "invalid client_id"
            elif not redirect.startswith(("http://", "https://")):
                problem = "invalid redirect_uri"
            elif self.redirect_uris is not None and redirect not in self.redirect_uris:
                problem = "redirect_uri does not match the app's callback"
            if problem:
                return Response(
                    f"<!doctype html><title>Lazada</title><p>Authorization error: {problem}</p>",
                    400,
                    content_type="text/html; charset=utf-8",
                )
            location = self.authorize_redirect(redirect, args.get("state"))
        return Response(status=302, headers={"Location": location})

    def token_answer(self, pair) -> dict:
        shop = self.shops[pair.subject]
        now = self.clock.timestamp()
        users = [
            {
                "country": "vn",
                "user_id": shop["user_id"],
                "seller_id": shop["seller_id"],
                "short_code": shop["short_code"],
            }
        ]
        return {
            "access_token": pair.access_token,
            "refresh_token": pair.refresh_token,
            "expires_in": int(pair.access_expires - now),
            "refresh_expires_in": int(pair.refresh_expires - now),
            "account": shop["account"],
            "account_platform": "seller_center",
            "country": "vn",
            "country_user_info": users,
            "country_user_info_list": users,
        }

    @endpoint(seller=False)
    def h_token_create(self, request, p, _seller):
        try:
            subject = self.tokens.take_code(p.get("code", ""), self.clock.timestamp())
        except TokenError:
            raise LazadaError("InvalidCode", "Invalid authorization code") from None
        pair = self.tokens.issue(subject, self.clock.timestamp())
        return self.ok(None, **self.token_answer(pair))

    @endpoint(seller=False)
    def h_token_refresh(self, request, p, _seller):
        try:
            pair = self.tokens.refresh(p.get("refresh_token", ""), self.clock.timestamp())
        except TokenError:
            raise LazadaError(
                "IllegalRefreshToken", "The refresh token is invalid or expired"
            ) from None
        return self.ok(None, **self.token_answer(pair))

    @endpoint()
    def h_seller_get(self, request, p, seller_id):
        shop = self.shops[seller_id]
        return self.ok(
            {
                "name": shop["name"],
                "name_company": shop["name"],
                "seller_id": int(shop["seller_id"]),
                "short_code": shop["short_code"],
                "email": shop["account"],
                "location": "Hồ Chí Minh",
                "verified": True,
                "cb": False,
                "status": "ACTIVE",
            }
        )
