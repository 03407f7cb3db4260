"""The marketplaces' ``/_emulator/`` control routes."""

from __future__ import annotations

from emulators.common import (
    BadJson,
    JsonApp,
    json_response,
    read_json,
)
from emulators.control import add_control_routes
from emulators.marketplace.emulator import MarketplaceEmulator

# --------------------------------------------------------------------------- control API


def add_marketplace_control_routes(app: JsonApp, emulator: MarketplaceEmulator) -> None:
    """The carriers' ``/_emulator/`` routes plus the marketplace ones:

    | Path | Body | Effect |
    |---|---|---|
    | ``POST /_emulator/products`` | ``{shop_id?, products:[{name, sku?, price?, stock?, variants?, tiers?}]}`` | load products |
    | ``POST /_emulator/orders`` | ``{shop_id?, lines:[{sku, quantity, price?, platform_discount?}], payment: cod\\|prepaid, paid?, seller_voucher?, platform_voucher?, shipping_fee?, commission_fee?, service_fee?, transaction_fee?, buyer?, address?, message?}`` | a buyer checks out |
    | ``POST /_emulator/pay`` | ``{order_code}`` | the buyer pays an unpaid order |
    | ``POST /_emulator/buyer-cancel`` | ``{order_code, reason?}`` | the buyer cancels |
    | ``POST /_emulator/return`` | ``{order_code}`` | the buyer returns a delivered order |
    | ``POST /_emulator/cod-transferred`` | ``{order_code}`` | pay the settlement out now |
    | ``POST /_emulator/tokens/expire`` | ``{shop_id?}`` | live access tokens expire now |
    | ``POST /_emulator/rate-limit`` | ``{limit, period?}`` | change the rate limit (``limit: null`` = off) |
    | ``POST /_emulator/login`` | ``{shop_id}`` | the shop the simulated seller logs in as |
    | ``POST /_emulator/webhooks`` | ``{url?, duplicate?, out_of_order?, replay?}`` | push settings; ``replay: n`` re-sends the last n |
    | ``GET /_emulator/stock?sku=`` | | available stock of a seller SKU |
    | ``POST /_emulator/redirect`` | ``{url}`` | where the authorization page sends the seller back (TikTok) |
    """

    add_control_routes(app, emulator)

    def body(request) -> dict:
        try:
            return read_json(request)
        except BadJson:
            return {}

    def error(message: str):
        return json_response({"ok": False, "error": message}, 400)

    def guarded(fn):
        def handler(request):
            try:
                return fn(body(request))
            except (KeyError, ValueError, TypeError) as exc:
                return error(str(exc.args[0]) if exc.args else str(exc))

        return handler

    @guarded
    def products(data):
        made = emulator.seed_products(data.get("shop_id"), data.get("products") or [])
        return json_response(
            {
                "ok": True,
                "products": [
                    {"id": p.id, "variants": {v.sku: v.id for v in p.variants}} for p in made
                ],
            }
        )

    @guarded
    def orders(data):
        allowed = {
            "lines",
            "shop_id",
            "payment",
            "seller_voucher",
            "platform_voucher",
            "shipping_fee",
            "shipping_fee_rebate",
            "commission_fee",
            "service_fee",
            "transaction_fee",
            "buyer",
            "address",
            "message",
            "paid",
        }
        unknown = set(data) - allowed
        if unknown:
            raise ValueError(f"unknown fields {sorted(unknown)}")
        order = emulator.create_order(**data)
        return json_response({"ok": True, "order": emulator.describe_order(order)})

    @guarded
    def pay(data):
        return json_response({"ok": True, "order": emulator.pay(data.get("order_code"))})

    @guarded
    def buyer_cancel(data):
        order = emulator.buyer_cancel(data.get("order_code"), data.get("reason") or "Đổi ý")
        return json_response({"ok": True, "order": order})

    @guarded
    def return_(data):
        return json_response({"ok": True, "order": emulator.request_return(data.get("order_code"))})

    @guarded
    def expire_tokens(data):
        with emulator.lock:
            n = emulator.tokens.expire_access(data.get("shop_id"), emulator.clock.timestamp())
        return json_response({"ok": True, "expired": n})

    @guarded
    def rate_limit(data):
        limit = data.get("limit")
        emulator.limiter.configure(
            None if limit in (None, 0) else int(limit),
            float(data["period"]) if data.get("period") else None,
        )
        return json_response({"ok": True, "rate_limit": emulator.limiter.describe()})

    @guarded
    def login(data):
        shop_id = str(data.get("shop_id"))
        if shop_id not in emulator.shops:
            raise ValueError(f"unknown shop {shop_id}")
        emulator.login_shop_id = shop_id
        return json_response({"ok": True})

    @guarded
    def webhooks(data):
        hooks = emulator.webhooks
        if "url" in data:
            emulator.set_push_url(data["url"] or None)
        for key in ("duplicate", "out_of_order"):
            if key in data:
                setattr(hooks, key, bool(data[key]))
        replayed = len(hooks.replay(int(data["replay"]))) if data.get("replay") else 0
        return json_response({"ok": True, "replayed": replayed, "webhooks": hooks.describe()})

    def stock(request):
        value = emulator.stock_of(request.args.get("sku", ""), request.args.get("shop_id"))
        if value is None:
            return error("unknown SKU")
        return json_response({"ok": True, "stock": value})

    app.add("/_emulator/products", products)
    app.add("/_emulator/orders", orders)
    app.add("/_emulator/pay", pay)
    app.add("/_emulator/buyer-cancel", buyer_cancel)
    app.add("/_emulator/return", return_)
    app.add("/_emulator/tokens/expire", expire_tokens)
    app.add("/_emulator/rate-limit", rate_limit)
    app.add("/_emulator/login", login)
    app.add("/_emulator/webhooks", webhooks)

    @guarded
    def redirect(data):
        emulator.redirect_url = data.get("url") or None
        return json_response({"ok": True})

    app.add("/_emulator/stock", stock, ("GET",))
    app.add("/_emulator/redirect", redirect)
