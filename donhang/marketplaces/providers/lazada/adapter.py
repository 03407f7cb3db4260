"""Lazada adapter: our marketplace types ↔ Lazada Open Platform fields and statuses."""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime, timedelta
from urllib.parse import urlsplit, urlunsplit
from xml.sax.saxutils import escape

from donhang.marketplaces.convert import iso, money, parse_time, text_id
from donhang.marketplaces.http import Throttle, TokenHolder
from donhang.marketplaces.ports import (
    PROGRESS,
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
    Settlement,
    ShipmentArranged,
    ShopInfo,
    StockResult,
    StockUpdate,
    Tokens,
)
from donhang.marketplaces.providers.lazada.client import (
    AUTH_HOST,
    AUTHORIZE_PAGE,
    HOSTS,
    LazadaClient,
)
from donhang.marketplaces.providers.lazada.webhooks import parse_push, verify_push

STATUS_MAP: dict[str, OrderStatus] = {
    "unpaid": OrderStatus.UNPAID,
    "pending": OrderStatus.TO_SHIP,
    "topack": OrderStatus.TO_SHIP,
    "repacked": OrderStatus.TO_SHIP,
    "packed": OrderStatus.READY_TO_SHIP,
    "ready_to_ship": OrderStatus.READY_TO_SHIP,
    "ready_to_ship_pending": OrderStatus.READY_TO_SHIP,
    "toship": OrderStatus.READY_TO_SHIP,
    "shipped": OrderStatus.SHIPPED,
    "shipping": OrderStatus.SHIPPED,
    "delivered": OrderStatus.DELIVERED,
    "confirmed": OrderStatus.COMPLETED,
    "failed_delivery": OrderStatus.DELIVERY_FAILED,
    "failed": OrderStatus.DELIVERY_FAILED,
    "lost_by_3pl": OrderStatus.DELIVERY_FAILED,
    "damaged_by_3pl": OrderStatus.DELIVERY_FAILED,
    "lost": OrderStatus.DELIVERY_FAILED,
    "shipped_back_failed": OrderStatus.DELIVERY_FAILED,
    "canceled": OrderStatus.CANCELLED,
    "cancelled": OrderStatus.CANCELLED,
    "package_scrapped": OrderStatus.CANCELLED,
    "returned": OrderStatus.RETURNED,
    "shipped_back": OrderStatus.RETURNED,
    "shipped_back_success": OrderStatus.RETURNED,
}
STOCK_BATCH = 20  # Lazada takes 50 SKUs a call and advises 20
ORDERS_PAGE_SIZE = 100  # GetOrders: limit 1..100
ORDERS_MAX_OFFSET = 5000  # GetOrders: offset 0..5000 (E014 above)


class LazadaAdapter:
    platform = "lazada"
    capabilities = Capabilities(
        webhooks=True,
        create_product=True,
        arrange_shipment=True,
        shipping_document=True,
        settlements=True,
        stock_batch_size=STOCK_BATCH,
        stock_one_item_per_call=False,
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
        # An emulator (a base URL of our choosing) serves the auth API and the authorize page
        # beside the API; the real platform has hosts of their own.
        root = _root(host) if base_url else ""
        self.auth_host = self.options.get("auth_url") or (f"{root}/rest" if root else AUTH_HOST)
        self.authorize_page = self.options.get("authorize_url") or (
            f"{root}/oauth/authorize" if root else AUTHORIZE_PAGE
        )
        self.app_key = str(credentials.get("app_key") or "")
        self.app_secret = credentials.get("app_secret") or ""
        self.shop = shop or {}
        self.client = LazadaClient(
            host=host,
            auth_host=self.auth_host,
            app_key=self.app_key,
            app_secret=self.app_secret,
            tokens=TokenHolder((tokens or {}).get("access_token", ""), on_token_expired),
            throttle=throttle,
        )

    # --- authorization ---------------------------------------------------------------------

    def authorize_url(self, *, redirect_uri: str, state: str) -> str:
        return self.client.authorize_url(
            redirect_uri=redirect_uri, state=state, page=self.authorize_page
        )

    def _tokens(self, data: dict) -> Tokens:
        now = datetime.now(UTC)
        if not data.get("access_token"):
            raise PermanentError(
                data.get("message") or "Lazada answered without an access token", code="no_token"
            )
        users = data.get("country_user_info") or data.get("country_user_info_list") or []
        seller = text_id(users[0].get("seller_id")) if users else ""
        return Tokens(
            access_token=data["access_token"],
            refresh_token=data.get("refresh_token") or "",
            access_expires_at=now + timedelta(seconds=int(data.get("expires_in") or 0)),
            refresh_expires_at=now + timedelta(seconds=int(data.get("refresh_expires_in") or 0)),
            shop_id=seller,
            extra={"account": data.get("account") or "", "country": data.get("country") or ""},
        )

    def exchange_code(self, *, code: str, shop_id: str = "") -> Tokens:
        return self._tokens(self.client.auth("/auth/token/create", {"code": code}))

    def refresh(self, *, refresh_token: str) -> Tokens:
        try:
            data = self.client.auth("/auth/token/refresh", {"refresh_token": refresh_token})
        except PermanentError as exc:
            raise ReauthorizationNeeded(exc.message, code=exc.code, details=exc.details) from exc
        return self._tokens(data)

    def shop_info(self) -> ShopInfo:
        data = self.client.get("/seller/get").get("data") or {}
        return ShopInfo(
            shop_id=text_id(data.get("seller_id") or self.shop.get("shop_id")),
            name=data.get("name") or data.get("name_company") or "Lazada",
            region=data.get("location") or data.get("country") or "",
        )

    # --- products --------------------------------------------------------------------------

    def _product(self, p: dict) -> RemoteProduct:
        attributes = p.get("attributes") or {}
        skus = p.get("skus") or []
        return RemoteProduct(
            item_id=text_id(p.get("item_id")),
            name=attributes.get("name") or "",
            status=p.get("status") or "",
            variations=[
                RemoteVariation(
                    model_id=text_id(s.get("SkuId")),
                    seller_sku=s.get("SellerSku") or "",
                    name=_variation_name(s),
                    price=money(s.get("special_price") or s.get("price")),
                    # What buyers can still buy (quantity counts reserved units too).
                    stock=int(
                        s.get("sellableStock")
                        if s.get("sellableStock") is not None
                        else s.get("Available")
                        if s.get("Available") is not None
                        else s.get("quantity") or 0
                    ),
                    status=s.get("Status") or "",
                    extra={"ShopSku": s.get("ShopSku") or ""},
                )
                for s in skus
            ],
            updated_at=parse_time(p.get("updated_time")),
        )

    def list_products(self, *, cursor: str = "") -> ProductPage:
        offset = int(cursor or 0)
        data = (
            self.client.get("/products/get", {"filter": "all", "limit": 50, "offset": offset}).get(
                "data"
            )
            or {}
        )
        products = [self._product(p) for p in data.get("products") or []]
        total = int(data.get("total_products") or 0)
        more = products and offset + len(products) < total
        return ProductPage(
            products=products, next_cursor=str(offset + len(products)) if more else ""
        )

    def get_product(self, item_id: str) -> RemoteProduct:
        data = self.client.get("/product/item/get", {"item_id": item_id}).get("data") or {}
        if not data:
            raise PermanentError(f"no Lazada item {item_id}", code="not_found")
        return self._product(data)

    def find_product_by_sku(self, seller_sku: str) -> RemoteProduct | None:
        data = (
            self.client.get(
                "/products/get", {"filter": "all", "sku_seller_list": json.dumps([seller_sku])}
            ).get("data")
            or {}
        )
        for p in data.get("products") or []:
            product = self._product(p)
            if any(v.seller_sku == seller_sku for v in product.variations):
                return product
        return None

    def create_product(self, draft: ProductDraft) -> RemoteProduct:
        variations = draft.variations or []
        skus = [
            {
                "SellerSku": v.seller_sku,
                "quantity": v.stock,
                "price": v.price,
                "package_weight": round(max(draft.weight_g, 1) / 1000, 3),
                "package_length": 10,
                "package_width": 10,
                "package_height": 10,
                **{_attribute_key(k): val for k, val in v.options.items()},
            }
            for v in variations
        ] or [
            {
                "SellerSku": draft.seller_sku,
                "quantity": draft.stock,
                "price": draft.price,
                "package_weight": round(max(draft.weight_g, 1) / 1000, 3),
                "package_length": 10,
                "package_width": 10,
                "package_height": 10,
            }
        ]
        payload = {
            "Request": {
                "Product": {
                    "PrimaryCategory": draft.category_id or self.options.get("category_id") or "",
                    "Images": {"Image": [image.url for image in draft.images if image.url]},
                    "Attributes": {
                        "name": draft.name[:255],
                        "description": draft.description or draft.name,
                        "brand": "No Brand",
                    },
                    "Skus": {"Sku": skus},
                }
            }
        }
        data = (
            self.client.post("/product/create", {"payload": json.dumps(payload)}).get("data") or {}
        )
        item_id = text_id(data.get("item_id"))
        if not item_id:
            raise PermanentError("Lazada did not return the new item", code="no_item")
        return self.get_product(item_id)

    def update_stock(self, updates: list[StockUpdate]) -> list[StockResult]:
        """The sellable quantity (what buyers may still buy: ours to promise), ≤ 20 SKUs a
        call. Lazada refuses a whole call when one SKU is wrong (E204 with the SKUs named): the
        others are sent again without it."""
        results: list[StockResult] = []
        for start in range(0, len(updates), STOCK_BATCH):
            chunk = updates[start : start + STOCK_BATCH]
            failed: dict[str, str] = {}
            for _attempt in range(2):
                todo = [u for u in chunk if u.seller_sku not in failed and u.model_id not in failed]
                if not todo:
                    break
                try:
                    self.client.post("/product/stock/sellable/update", {"payload": _sellable(todo)})
                    break
                except PermanentError as exc:
                    details = exc.details.get("detail") or []
                    if not details:
                        raise
                    for d in details:
                        key = text_id(d.get("seller_sku") or d.get("SellerSku") or d.get("sku_id"))
                        failed[key] = d.get("message") or "failed"
            for u in chunk:
                error = failed.get(u.seller_sku) or failed.get(u.model_id)
                results.append(StockResult(u.item_id, u.model_id, error is None, error or ""))
        return results

    # --- orders ----------------------------------------------------------------------------

    def map_status(self, platform_status: str) -> OrderStatus:
        try:
            return STATUS_MAP[platform_status]
        except KeyError:
            raise PermanentError(
                f"unknown Lazada order status {platform_status!r}", code="unknown_status"
            ) from None

    def _order_status(self, statuses: list[str]) -> str:
        """Lazada keeps a status per item: the order is where its least advanced live item is
        (all cancelled: cancelled)."""
        live = [s for s in statuses if STATUS_MAP.get(s) != OrderStatus.CANCELLED]
        if not live:
            return statuses[0] if statuses else "canceled"
        return min(live, key=lambda s: PROGRESS.get(STATUS_MAP.get(s, OrderStatus.UNPAID), 0))

    def list_orders(
        self, *, updated_from: datetime, updated_to: datetime, cursor: str = ""
    ) -> OrderPage:
        offset = int(cursor or 0)
        data = (
            self.client.get(
                "/orders/get",
                {
                    "update_after": iso(updated_from),
                    "update_before": iso(updated_to),
                    "sort_by": "updated_at",
                    "sort_direction": "ASC",
                    "limit": ORDERS_PAGE_SIZE,
                    "offset": offset,
                },
            ).get("data")
            or {}
        )
        orders = [
            OrderRef(
                order_id=text_id(o.get("order_id")),
                platform_status=self._order_status(o.get("statuses") or []),
                updated_at=parse_time(o.get("updated_at")),
            )
            for o in data.get("orders") or []
        ]
        total = int(data.get("countTotal") or data.get("count") or 0)
        more = orders and offset + len(orders) < total
        if more and offset + len(orders) > ORDERS_MAX_OFFSET:
            # GetOrders refuses an offset above 5,000 (E014): ask again from the last update
            # time read (the list is sorted by it), from offset 0.
            return OrderPage(orders=orders, restart_from=orders[-1].updated_at)
        return OrderPage(orders=orders, next_cursor=str(offset + len(orders)) if more else "")

    def get_orders(self, order_ids: list[str]) -> list[RemoteOrder]:
        heads = {}
        for order_id in order_ids:
            head = self.client.get("/order/get", {"order_id": order_id}).get("data") or {}
            if head:
                heads[text_id(head.get("order_id") or order_id)] = head
        items: dict[str, list[dict]] = {}
        ids = list(heads)
        for start in range(0, len(ids), 50):
            chunk = ids[start : start + 50]
            data = (
                self.client.get(
                    "/orders/items/get", {"order_ids": "[" + ",".join(chunk) + "]"}
                ).get("data")
                or []
            )
            for entry in data:
                items[text_id(entry.get("order_id"))] = entry.get("order_items") or []
        return [self._order(head, items.get(order_id, [])) for order_id, head in heads.items()]

    def _order(self, head: dict, items: list[dict]) -> RemoteOrder:
        by_sku: dict[str, RemoteLine] = {}
        for item in items:
            sku = item.get("sku") or ""
            price = money(item.get("item_price"))
            paid = money(item.get("paid_price") if item.get("paid_price") is not None else price)
            seller_voucher = money(item.get("voucher_seller"))
            platform_voucher = money(item.get("voucher_platform"))
            line = by_sku.get(sku)
            if line is None:
                line = by_sku[sku] = RemoteLine(
                    item_id=text_id(item.get("product_id")),
                    model_id=text_id(item.get("sku_id")),
                    seller_sku=sku,
                    name=" ".join(p for p in (item.get("name"), item.get("variation")) if p),
                    quantity=0,
                    unit_price=price,
                )
            line.quantity += 1
            line.seller_discount += seller_voucher or max(price - paid - platform_voucher, 0)
            line.platform_discount += platform_voucher
        statuses = head.get("statuses") or [i.get("status") for i in items if i.get("status")]
        status = self._order_status(statuses)
        address = head.get("address_shipping") or {}
        name = " ".join(p for p in (address.get("first_name"), address.get("last_name")) if p)
        platform_discount = sum(line.platform_discount for line in by_sku.values())
        for line in by_sku.values():
            line.platform_discount = 0  # the platform's part is an order-level voucher for us
        first_item = items[0] if items else {}
        return RemoteOrder(
            order_id=text_id(head.get("order_id") or head.get("order_number")),
            platform_status=status,
            status=self.map_status(status),
            created_at=parse_time(head.get("created_at")) or datetime.now(UTC),
            updated_at=parse_time(head.get("updated_at")) or datetime.now(UTC),
            buyer_name=name or "Lazada",
            address=RemoteAddress(
                name=name,
                phone=address.get("phone") or "",
                full_address=", ".join(
                    p
                    for p in (
                        address.get("address1"),
                        address.get("address5"),
                        address.get("address4"),
                        address.get("address3"),
                    )
                    if p
                ),
                province=address.get("address3") or address.get("city") or "",
                district=address.get("address4") or "",
                ward=address.get("address5") or "",
            ),
            lines=list(by_sku.values()),
            is_cod=str(head.get("payment_method") or "").upper() == "COD",
            shipping_fee=money(head.get("shipping_fee")),
            platform_voucher=platform_discount,
            total=max(
                money(head.get("price"))
                + money(head.get("shipping_fee"))
                - (
                    money(head.get("voucher_seller")) + money(head.get("voucher_platform"))
                    if head.get("voucher_seller") is not None
                    else money(head.get("voucher"))
                ),
                0,
            ),
            tracking_number=first_item.get("tracking_code") or "",
            package_ids=sorted(
                {text_id(i.get("package_id")) for i in items if i.get("package_id")}
            ),
            raw={"order": head, "items": items},
        )

    def settlement(self, order_id: str) -> Settlement | None:
        """The payout of one order from the finance transactions (one row per item and fee):
        their sum once Lazada marks them paid; the fee rows are what it kept."""
        today = datetime.now(UTC).date()
        rows = (
            self.client.get(
                "/finance/transaction/details/get",
                {
                    "trade_order_id": order_id,
                    "start_time": (today - timedelta(days=179)).isoformat(),
                    "end_time": (today + timedelta(days=1)).isoformat(),
                    "limit": 500,
                },
            ).get("data")
            or []
        )
        if not rows or any(r.get("paid_status") != "Paid" for r in rows):
            return None
        amounts = [(str(r.get("fee_name") or ""), money(r.get("amount"))) for r in rows]
        fees = -sum(a for name, a in amounts if a < 0 and "voucher" not in name.lower())
        return Settlement(
            order_id=order_id,
            payout=sum(a for _name, a in amounts),
            fees=fees,
            reference=f"Lazada {rows[0].get('payment_ref_id') or rows[0].get('statement') or order_id}",
            settled_at=parse_time(rows[0].get("transaction_date")),
        )

    # --- logistics -------------------------------------------------------------------------

    def _item_ids(self, order: RemoteOrder) -> list[int]:
        items = (order.raw or {}).get("items") or []
        return [int(i["order_item_id"]) for i in items if i.get("order_item_id")]

    def arrange_shipment(self, order: RemoteOrder) -> ShipmentArranged:
        item_ids = self._item_ids(order)
        request = {"orders": [{"order_id": int(order.order_id), "order_item_ids": item_ids}]}
        providers = self.client.post(
            "/order/shipment/providers/get",
            {"getShipmentProvidersReq": json.dumps(request, separators=(",", ":"))},
        )
        result = _result(providers)
        choices = result.get("shipment_providers") or []
        allocate = result.get("shipping_allocate_type") or "TFS"
        if not choices:
            raise PermanentError("Lazada offers no carrier for this order", code="no_provider")
        pack = {
            "pack_order_list": [{"order_id": int(order.order_id), "order_item_list": item_ids}],
            "delivery_type": "dropship",
            "shipping_allocate_type": allocate,
            "shipment_provider_code": choices[0].get("provider_code") or "",
        }
        packed = _result(
            self.client.post(
                "/order/fulfill/pack", {"packReq": json.dumps(pack, separators=(",", ":"))}
            )
        )
        rows = []
        for entry in packed.get("pack_order_list") or []:
            rows.extend(entry.get("order_item_list") or [])
        errors = [r for r in rows if str(r.get("item_err_code", "0")) != "0"]
        if errors:
            raise PermanentError(errors[0].get("msg") or "Lazada refused to pack", code="pack")
        package = next((text_id(r.get("package_id")) for r in rows if r.get("package_id")), "")
        tracking = next((r.get("tracking_number") for r in rows if r.get("tracking_number")), "")
        if package:
            self.client.post(
                "/order/package/rts",
                {"readyToShipReq": json.dumps({"packages": [{"package_id": package}]})},
            )
        return ShipmentArranged(tracking_number=tracking or "", package_id=package)

    def tracking_number(self, order: RemoteOrder) -> str:
        fresh = self.get_orders([order.order_id])
        return fresh[0].tracking_number if fresh else ""

    def shipping_document(self, order: RemoteOrder) -> Document:
        packages = (
            order.package_ids or (self.get_orders([order.order_id]) or [order])[0].package_ids
        )
        if not packages:
            raise PermanentError("the order has no package yet: arrange shipment first")
        request = {"doc_type": "PDF", "packages": [{"package_id": p} for p in packages]}
        result = _result(
            self.client.post("/order/package/document/get", {"getDocumentReq": json.dumps(request)})
        )
        content = result.get("file") or ""
        if content:
            return Document(
                content=base64.b64decode(content),
                content_type="application/pdf",
                url=result.get("pdf_url") or "",
            )
        raise PermanentError("Lazada returned no document", code="no_document")

    # --- pushes ----------------------------------------------------------------------------

    def verify_push(self, *, headers: dict[str, str], body: bytes, url: str) -> bool:
        return verify_push(self.app_key, self.app_secret, headers=headers, body=body)

    def parse_push(self, body: bytes):
        return parse_push(body)


def _sellable(updates: list[StockUpdate]) -> str:
    skus = "".join(
        "<Sku>"
        f"<ItemId>{escape(u.item_id)}</ItemId>"
        f"<SkuId>{escape(u.model_id)}</SkuId>"
        f"<SellerSku>{escape(u.seller_sku)}</SellerSku>"
        f"<SellableQuantity>{max(u.quantity, 0)}</SellableQuantity>"
        "</Sku>"
        for u in updates
    )
    return f"<Request><Product><Skus>{skus}</Skus></Product></Request>"


def _root(host: str) -> str:
    parts = urlsplit(host)
    return urlunsplit((parts.scheme, parts.netloc, "", "", "")).rstrip("/")


def _result(envelope: dict) -> dict:
    """The new fulfilment API wraps its answer: data.result{success, error_msg, data}."""
    data = envelope.get("data") or envelope.get("result") or {}
    result = data.get("result") if isinstance(data.get("result"), dict) else data
    if result.get("success") is False:
        raise PermanentError(
            result.get("error_msg") or "Lazada refused", code=str(result.get("error_code") or "")
        )
    inner = result.get("data")
    return inner if isinstance(inner, dict) else result


def _variation_name(sku: dict) -> str:
    parts = [
        str(v)
        for k, v in sku.items()
        if k in ("color_family", "size", "variation", "Variation") and v
    ]
    return ", ".join(parts)


def _attribute_key(name: str) -> str:
    return {"màu": "color_family", "color": "color_family", "size": "size", "cỡ": "size"}.get(
        name.strip().lower(), "variation"
    )
