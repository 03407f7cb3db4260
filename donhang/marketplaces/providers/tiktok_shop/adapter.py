"""TikTok Shop adapter: our marketplace types ↔ TikTok Shop Open API (202309) fields and
statuses."""

from __future__ import annotations

from datetime import UTC, datetime

from donhang.marketplaces.convert import from_unix, money, text_id, to_unix
from donhang.marketplaces.http import Throttle, TokenHolder
from donhang.marketplaces.ports import (
    Capabilities,
    Document,
    OrderPage,
    OrderRef,
    OrderStatus,
    PermanentError,
    ProductDraft,
    ProductPage,
    ReauthorizationNeeded,
    RefreshCallback,
    RemoteAddress,
    RemoteLine,
    RemoteOrder,
    RemoteProduct,
    RemoteVariation,
    RetryableError,
    Settlement,
    ShipmentArranged,
    ShopInfo,
    StockResult,
    StockUpdate,
    Tokens,
)
from donhang.marketplaces.providers.tiktok_shop.client import (
    AUTH_HOST,
    AUTHORIZE_PAGE,
    HOSTS,
    TikTokShopClient,
)
from donhang.marketplaces.providers.tiktok_shop.webhooks import parse_push, verify_push

STATUS_MAP: dict[str, OrderStatus] = {
    "UNPAID": OrderStatus.UNPAID,
    "ON_HOLD": OrderStatus.UNPAID,
    "AWAITING_SHIPMENT": OrderStatus.TO_SHIP,
    "PARTIALLY_SHIPPING": OrderStatus.SHIPPED,
    "AWAITING_COLLECTION": OrderStatus.READY_TO_SHIP,
    "IN_TRANSIT": OrderStatus.SHIPPED,
    "DELIVERED": OrderStatus.DELIVERED,
    "COMPLETED": OrderStatus.COMPLETED,
    "CANCELLED": OrderStatus.CANCELLED,
    "CANCEL": OrderStatus.CANCELLED,
    # Not an order status at TikTok: a completed return of the order (returns/search), which
    # the order itself does not show.
    "RETURNED": OrderStatus.RETURNED,
    # Legacy numeric codes, in the same order.
    "100": OrderStatus.UNPAID,
    "105": OrderStatus.UNPAID,
    "111": OrderStatus.TO_SHIP,
    "114": OrderStatus.SHIPPED,
    "112": OrderStatus.READY_TO_SHIP,
    "121": OrderStatus.SHIPPED,
    "122": OrderStatus.DELIVERED,
    "130": OrderStatus.COMPLETED,
    "140": OrderStatus.CANCELLED,
}
VERSION = "202309"
RETURN_DONE = {"RETURN_OR_REFUND_REQUEST_COMPLETE", "RETURN_COMPLETED", "REFUND_COMPLETED"}


def _root(url: str) -> str:
    scheme, _, rest = url.partition("://")
    return f"{scheme}://{rest.split('/', 1)[0]}"


class TikTokShopAdapter:
    platform = "tiktok_shop"
    capabilities = Capabilities(
        webhooks=True,
        create_product=True,
        arrange_shipment=True,
        shipping_document=True,
        settlements=True,
        stock_batch_size=50,
        stock_one_item_per_call=True,
        order_window_days=None,
    )

    def __init__(
        self,
        *,
        environment: str,
        base_url: str,
        credentials: dict,
        tokens: dict | None = None,
        shop: dict | None = None,
        options: dict | None = None,
        on_token_expired: RefreshCallback | None = None,
        throttle: Throttle | None = None,
    ):
        self.options = options or {}
        host = (base_url or HOSTS.get(environment, HOSTS["production"])).rstrip("/")
        root = _root(host) if base_url else ""
        self.auth_host = self.options.get("auth_url") or root or AUTH_HOST
        self.authorize_page = self.options.get("authorize_url") or (
            f"{root}/open/authorize" if root else AUTHORIZE_PAGE
        )
        self.app_key = str(credentials.get("app_key") or "")
        self.app_secret = credentials.get("app_secret") or ""
        self.service_id = str(credentials.get("service_id") or self.app_key)
        self.shop = shop or {}
        self.client = TikTokShopClient(
            host=host,
            auth_host=self.auth_host,
            app_key=self.app_key,
            app_secret=self.app_secret,
            shop_cipher=self.shop.get("cipher", ""),
            tokens=TokenHolder((tokens or {}).get("access_token", ""), on_token_expired),
            throttle=throttle,
        )

    # --- authorization ---------------------------------------------------------------------

    def authorize_url(self, *, redirect_uri: str, state: str) -> str:
        # The redirect address is registered with the app at TikTok, not sent.
        return self.client.authorize_url(
            service_id=self.service_id, state=state, page=self.authorize_page
        )

    def _tokens(self, envelope: dict) -> Tokens:
        data = envelope.get("data") or {}
        if not data.get("access_token"):
            raise PermanentError("TikTok Shop answered without an access token", code="no_token")
        return Tokens(
            access_token=data["access_token"],
            refresh_token=data.get("refresh_token") or "",
            access_expires_at=from_unix(data.get("access_token_expire_in")),
            refresh_expires_at=from_unix(data.get("refresh_token_expire_in")),
            extra={"open_id": data.get("open_id") or "", "seller_name": data.get("seller_name")},
        )

    def exchange_code(self, *, code: str, shop_id: str = "") -> Tokens:
        return self._tokens(
            self.client.token(
                "/api/v2/token/get", {"auth_code": code, "grant_type": "authorized_code"}
            )
        )

    def refresh(self, *, refresh_token: str) -> Tokens:
        try:
            envelope = self.client.token(
                "/api/v2/token/refresh",
                {"refresh_token": refresh_token, "grant_type": "refresh_token"},
            )
        except PermanentError as exc:
            raise ReauthorizationNeeded(exc.message, code=exc.code, details=exc.details) from exc
        return self._tokens(envelope)

    def shop_info(self) -> ShopInfo:
        data = self.client.call("GET", f"/authorization/{VERSION}/shops", shop=False)["data"]
        shops = data.get("shops") or []
        if not shops:
            raise PermanentError("this authorization covers no shop", code="no_shop")
        wanted = self.shop.get("shop_id")
        shop = next((s for s in shops if text_id(s.get("id")) == wanted), shops[0])
        return ShopInfo(
            shop_id=text_id(shop.get("id")),
            name=shop.get("name") or "TikTok Shop",
            region=shop.get("region") or "",
            cipher=shop.get("cipher") or "",
        )

    # --- products --------------------------------------------------------------------------

    def _product(self, p: dict) -> RemoteProduct:
        return RemoteProduct(
            item_id=text_id(p.get("id")),
            name=p.get("title") or "",
            status=p.get("status") or "",
            variations=[
                RemoteVariation(
                    model_id=text_id(s.get("id")),
                    seller_sku=s.get("seller_sku") or "",
                    name=", ".join(
                        a.get("value_name") or "" for a in s.get("sales_attributes") or []
                    ),
                    price=money(
                        (s.get("price") or {}).get("sale_price")
                        or (s.get("price") or {}).get("tax_exclusive_price")
                        or (s.get("price") or {}).get("amount")
                    ),
                    stock=sum(int(i.get("quantity") or 0) for i in s.get("inventory") or []),
                    extra={
                        "warehouses": [
                            text_id(i.get("warehouse_id")) for i in s.get("inventory") or []
                        ]
                    },
                )
                for s in p.get("skus") or []
            ],
            updated_at=from_unix(p.get("update_time")),
        )

    def list_products(self, *, cursor: str = "") -> ProductPage:
        data = self.client.call(
            "POST",
            f"/product/{VERSION}/products/search",
            params={"page_size": 100, "page_token": cursor or None},
            body={},
        )["data"]
        return ProductPage(
            products=[self._product(p) for p in data.get("products") or []],
            next_cursor=data.get("next_page_token") or "",
        )

    def get_product(self, item_id: str) -> RemoteProduct:
        data = self.client.call("GET", f"/product/{VERSION}/products/{item_id}")["data"]
        return self._product(data)

    def find_product_by_sku(self, seller_sku: str) -> RemoteProduct | None:
        data = self.client.call(
            "POST",
            f"/product/{VERSION}/products/search",
            params={"page_size": 10},
            body={"seller_skus": [seller_sku]},
        )["data"]
        for p in data.get("products") or []:
            product = self._product(p)
            if any(v.seller_sku == seller_sku for v in product.variations):
                return product
        return None

    def _image_uris(self, draft: ProductDraft) -> list[str]:
        uris = []
        for image in draft.images[:9]:
            data = (
                self.client.upload(
                    f"/product/{VERSION}/images/upload",
                    files={"data": (image.name, image.content, image.content_type)},
                    fields={"use_case": "MAIN_IMAGE"},
                ).get("data")
                or {}
            )
            if data.get("uri"):
                uris.append(data["uri"])
        return uris

    def _warehouse(self) -> str:
        if self.options.get("warehouse_id"):
            return str(self.options["warehouse_id"])
        data = self.client.call("GET", f"/logistics/{VERSION}/warehouses").get("data") or {}
        warehouses = data.get("warehouses") or []
        chosen = next(
            (w for w in warehouses if w.get("is_default")), warehouses[0] if warehouses else {}
        )
        return text_id(chosen.get("id"))

    def create_product(self, draft: ProductDraft) -> RemoteProduct:
        warehouse = self._warehouse()
        variations = draft.variations or []

        def sku(seller_sku, options, price, stock):
            return {
                "seller_sku": seller_sku,
                "sales_attributes": [{"name": k, "value_name": v} for k, v in options.items()],
                "price": {"amount": str(price), "currency": "VND"},
                "inventory": [{"warehouse_id": warehouse, "quantity": max(stock, 0)}],
            }

        body = {
            "title": draft.name[:255],
            "description": draft.description or draft.name,
            "category_id": draft.category_id or str(self.options.get("category_id") or ""),
            "main_images": [{"uri": uri} for uri in self._image_uris(draft)],
            "package_weight": {
                "value": str(round(max(draft.weight_g, 1) / 1000, 3)),
                "unit": "KILOGRAM",
            },
            "skus": [sku(v.seller_sku, v.options, v.price, v.stock) for v in variations]
            or [sku(draft.seller_sku, {}, draft.price, draft.stock)],
            "idempotency_key": draft.reference,
        }
        data = self.client.call("POST", f"/product/{VERSION}/products", body=body)["data"]
        product_id = text_id(data.get("product_id") or data.get("id"))
        if not product_id:
            raise PermanentError("TikTok Shop did not return the new product", code="no_product")
        return self.get_product(product_id)

    def update_stock(self, updates: list[StockUpdate]) -> list[StockResult]:
        """One call per product; each SKU lists every warehouse it has (all its stock on the
        first, the others at 0)."""
        results: list[StockResult] = []
        by_product: dict[str, list[StockUpdate]] = {}
        for update in updates:
            by_product.setdefault(update.item_id, []).append(update)
        default_warehouse = str(self.options.get("warehouse_id") or "")
        for product_id, rows in by_product.items():
            skus = []
            for u in rows:
                warehouses = [w for w in u.extra.get("warehouses") or [] if w] or [
                    default_warehouse
                ]
                skus.append(
                    {
                        "id": u.model_id,
                        "inventory": [
                            {"warehouse_id": w, "quantity": max(u.quantity, 0) if i == 0 else 0}
                            for i, w in enumerate(warehouses)
                        ],
                    }
                )
            data = (
                self.client.call(
                    "POST",
                    f"/product/{VERSION}/products/{product_id}/inventory/update",
                    body={"skus": skus},
                ).get("data")
                or {}
            )
            failed = {
                text_id((e.get("detail") or {}).get("sku_id") or e.get("sku_id")): e.get("message")
                or "failed"
                for e in data.get("errors") or []
            }
            for u in rows:
                error = failed.get(u.model_id)
                results.append(StockResult(u.item_id, u.model_id, error is None, error or ""))
        return results

    # --- orders ----------------------------------------------------------------------------

    def map_status(self, platform_status: str) -> OrderStatus:
        try:
            return STATUS_MAP[str(platform_status)]
        except KeyError:
            raise PermanentError(
                f"unknown TikTok Shop order status {platform_status!r}", code="unknown_status"
            ) from None

    def list_orders(
        self, *, updated_from: datetime, updated_to: datetime, cursor: str = ""
    ) -> OrderPage:
        data = self.client.call(
            "POST",
            f"/order/{VERSION}/orders/search",
            params={
                "page_size": 100,
                "page_token": cursor or None,
                "sort_field": "update_time",
                "sort_order": "ASC",
            },
            body={"update_time_ge": to_unix(updated_from), "update_time_lt": to_unix(updated_to)},
        )["data"]
        return OrderPage(
            orders=[
                OrderRef(
                    order_id=text_id(o.get("id")),
                    platform_status=o.get("status") or "",
                    updated_at=from_unix(o.get("update_time")),
                )
                for o in data.get("orders") or []
            ],
            next_cursor=data.get("next_page_token") or "",
        )

    def get_orders(self, order_ids: list[str]) -> list[RemoteOrder]:
        out = []
        for start in range(0, len(order_ids), 50):
            chunk = order_ids[start : start + 50]
            data = self.client.call(
                "GET", f"/order/{VERSION}/orders", params={"ids": ",".join(chunk)}
            )["data"]
            returns = self._returns(chunk)
            out.extend(
                self._order(o, returns.get(text_id(o.get("id")))) for o in data.get("orders") or []
            )
        return out

    def _returns(self, order_ids: list[str]) -> dict[str, dict]:
        """The orders' completed returns (TikTok keeps a returned order's status as it was)."""
        data = (
            self.client.call(
                "POST",
                f"/return_refund/{VERSION}/returns/search",
                params={"page_size": 100},
                body={"order_ids": order_ids},
            ).get("data")
            or {}
        )
        return {
            text_id(r.get("order_id")): r
            for r in data.get("return_orders") or []
            if r.get("return_status") in RETURN_DONE
        }

    def _order(self, o: dict, returned: dict | None = None) -> RemoteOrder:
        by_sku: dict[str, RemoteLine] = {}
        for item in o.get("line_items") or []:
            key = text_id(item.get("sku_id")) or item.get("seller_sku") or ""
            original = money(item.get("original_price") or item.get("sale_price"))
            line = by_sku.get(key)
            if line is None:
                line = by_sku[key] = RemoteLine(
                    item_id=text_id(item.get("product_id")),
                    model_id=text_id(item.get("sku_id")),
                    seller_sku=item.get("seller_sku") or "",
                    name=" ".join(p for p in (item.get("product_name"), item.get("sku_name")) if p),
                    quantity=0,
                    unit_price=original,
                )
            line.quantity += int(item.get("quantity") or 1)
            line.seller_discount += money(item.get("seller_discount"))
        payment = o.get("payment") or {}
        address = o.get("recipient_address") or {}
        districts = {
            d.get("address_level_name") or d.get("address_level"): d.get("address_name")
            for d in address.get("district_info") or []
        }
        status = str(o.get("status") or "")
        updated = from_unix(o.get("update_time")) or datetime.now(UTC)
        if returned:
            status = "RETURNED"
            updated = max(updated, from_unix(returned.get("update_time")) or updated)
        return RemoteOrder(
            order_id=text_id(o.get("id")),
            platform_status=status,
            status=self.map_status(status),
            created_at=from_unix(o.get("create_time")) or datetime.now(UTC),
            updated_at=updated,
            buyer_name=address.get("name") or "TikTok Shop",
            address=RemoteAddress(
                name=address.get("name") or "",
                phone=address.get("phone_number") or "",
                full_address=address.get("full_address")
                or ", ".join(
                    address.get(k) for k in ("address_line1", "address_line2") if address.get(k)
                ),
                province=districts.get("L1") or districts.get("Province") or "",
                district=districts.get("L2") or districts.get("District") or "",
                ward=districts.get("L3") or districts.get("Ward") or "",
            ),
            lines=list(by_sku.values()),
            is_cod=bool(o.get("is_cod")),
            shipping_fee=money(payment.get("shipping_fee")),
            seller_voucher=0,
            platform_voucher=money(payment.get("platform_discount")),
            total=money(payment.get("total_amount")),
            tracking_number=o.get("tracking_number") or "",
            package_ids=[text_id(p.get("id")) for p in o.get("packages") or [] if p.get("id")],
            note=o.get("buyer_message") or "",
            raw=o,
        )

    def settlement(self, order_id: str) -> Settlement | None:
        """The order's statement once TikTok settled it (an empty statement before)."""
        data = (
            self.client.call(
                "GET", f"/finance/{VERSION}/orders/{order_id}/statement_transactions"
            ).get("data")
            or {}
        )
        if not data.get("sku_transactions") and money(data.get("settlement_amount")) == 0:
            return None
        rows = data.get("sku_transactions") or []
        return Settlement(
            order_id=order_id,
            payout=money(data.get("settlement_amount")),
            fees=-money(data.get("fee_and_tax_amount")),
            reference=f"TikTok Shop {rows[0].get('statement_id') if rows else order_id}",
        )

    # --- logistics -------------------------------------------------------------------------

    def _package(self, order: RemoteOrder) -> str:
        if order.package_ids:
            return order.package_ids[0]
        fresh = self.get_orders([order.order_id])
        if fresh and fresh[0].package_ids:
            return fresh[0].package_ids[0]
        raise RetryableError("TikTok Shop has not made the package yet", code="no_package")

    def arrange_shipment(self, order: RemoteOrder) -> ShipmentArranged:
        package = self._package(order)
        slots = (
            self.client.call(
                "GET", f"/fulfillment/{VERSION}/packages/{package}/handover_time_slots"
            ).get("data")
            or {}
        )
        pickup = slots.get("pickup_slots") or slots.get("time_slots") or []
        body: dict = {"handover_method": "PICKUP" if pickup else "DROP_OFF"}
        if pickup:
            body["pickup_slot"] = {
                "start_time": pickup[0].get("start_time"),
                "end_time": pickup[0].get("end_time"),
            }
        self.client.call("POST", f"/fulfillment/{VERSION}/packages/{package}/ship", body=body)
        return ShipmentArranged(tracking_number=self.tracking_number(order), package_id=package)

    def tracking_number(self, order: RemoteOrder) -> str:
        package = self._package(order)
        data = self.client.call("GET", f"/fulfillment/{VERSION}/packages/{package}").get("data")
        return (data or {}).get("tracking_number") or ""

    def shipping_document(self, order: RemoteOrder) -> Document:
        package = self._package(order)
        data = (
            self.client.call(
                "GET",
                f"/fulfillment/{VERSION}/packages/{package}/shipping_documents",
                params={"document_type": "SHIPPING_LABEL"},
            ).get("data")
            or {}
        )
        url = data.get("doc_url") or ""
        if not url:
            raise RetryableError("the shipping label is not ready yet", code="processing")
        response = self.client.call_raw(url)
        content_type = response.headers.get("content-type", "application/pdf").split(";")[0]
        return Document(content=response.content, content_type=content_type, url=url)

    # --- pushes ----------------------------------------------------------------------------

    def verify_push(self, *, headers: dict[str, str], body: bytes, url: str) -> bool:
        return verify_push(self.app_key, self.app_secret, headers=headers, body=body)

    def parse_push(self, body: bytes):
        return parse_push(body)
