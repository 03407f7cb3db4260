"""Shopee adapter: our marketplace types ↔ Shopee Open Platform v2 fields and statuses."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from urllib.parse import urlencode, urlsplit, urlunsplit

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
    Unsupported,
)
from donhang.marketplaces.providers.shopee.client import HOSTS, ShopeeClient
from donhang.marketplaces.providers.shopee.webhooks import parse_push, verify_push

STATUS_MAP: dict[str, OrderStatus] = {
    "UNPAID": OrderStatus.UNPAID,
    "PENDING": OrderStatus.UNPAID,
    "READY_TO_SHIP": OrderStatus.TO_SHIP,
    "RETRY_SHIP": OrderStatus.TO_SHIP,
    "PROCESSED": OrderStatus.READY_TO_SHIP,
    "SHIPPED": OrderStatus.SHIPPED,
    "TO_CONFIRM_RECEIVE": OrderStatus.DELIVERED,
    "COMPLETED": OrderStatus.COMPLETED,
    "IN_CANCEL": OrderStatus.CANCEL_REQUESTED,
    "CANCELLED": OrderStatus.CANCELLED,
    "TO_RETURN": OrderStatus.RETURNED,
    "INVOICE_PENDING": OrderStatus.UNPAID,
}

DETAIL_FIELDS = (
    "buyer_user_id,buyer_username,recipient_address,item_list,pay_time,total_amount,"
    "shipping_carrier,payment_method,package_list,cancel_reason,estimated_shipping_fee,"
    "actual_shipping_fee,note"
)
REFRESH_TOKEN_DAYS = 30
DOCUMENT_TYPE = "THERMAL_AIR_WAYBILL"


class ShopeeAdapter:
    platform = "shopee"
    capabilities = Capabilities(
        webhooks=True,
        create_product=True,
        arrange_shipment=True,
        shipping_document=True,
        settlements=True,
        stock_batch_size=50,
        stock_one_item_per_call=True,
        order_window_days=15,
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
        sleep=time.sleep,
    ):
        self.host = (base_url or HOSTS.get(environment, HOSTS["production"])).rstrip("/")
        self.partner_id = str(credentials.get("partner_id") or credentials.get("app_key") or "")
        self.partner_key = credentials.get("partner_key") or credentials.get("app_secret") or ""
        tokens, shop, self.options = tokens or {}, shop or {}, options or {}
        self.client = ShopeeClient(
            host=self.host,
            partner_id=self.partner_id,
            partner_key=self.partner_key,
            shop_id=shop.get("shop_id", ""),
            tokens=TokenHolder(tokens.get("access_token", ""), on_token_expired),
            throttle=throttle,
        )
        self.sleep = sleep

    # --- authorization ---------------------------------------------------------------------

    def authorize_url(self, *, redirect_uri: str, state: str) -> str:
        # Shopee sends back only code and shop_id: our state rides in the redirect address.
        parts = urlsplit(redirect_uri)
        query = f"{parts.query}&" if parts.query else ""
        redirect = urlunsplit(parts._replace(query=query + urlencode({"state": state})))
        return self.client.auth_link(redirect)

    def _tokens(self, data: dict, shop_id: str = "") -> Tokens:
        now = datetime.now(UTC)
        access = data.get("access_token") or ""
        if not access:
            raise PermanentError("Shopee answered without an access token", code="no_token")
        shop_ids = data.get("shop_id_list") or []
        return Tokens(
            access_token=access,
            refresh_token=data.get("refresh_token") or "",
            access_expires_at=now + timedelta(seconds=int(data.get("expire_in") or 14400)),
            refresh_expires_at=now + timedelta(days=REFRESH_TOKEN_DAYS),
            shop_id=text_id(data.get("shop_id") or (shop_ids[0] if shop_ids else shop_id)),
        )

    def exchange_code(self, *, code: str, shop_id: str = "") -> Tokens:
        if not shop_id:
            raise PermanentError("Shopee's callback did not say which shop", code="no_shop_id")
        data = self.client.public(
            "POST",
            "auth/token/get",
            body={"code": code, "partner_id": _int(self.partner_id), "shop_id": _int(shop_id)},
        )
        return self._tokens(data, shop_id)

    def refresh(self, *, refresh_token: str) -> Tokens:
        try:
            data = self.client.public(
                "POST",
                "auth/access_token/get",
                body={
                    "refresh_token": refresh_token,
                    "partner_id": _int(self.partner_id),
                    "shop_id": _int(self.client.shop_id),
                },
            )
        except PermanentError as exc:
            raise ReauthorizationNeeded(exc.message, code=exc.code, details=exc.details) from exc
        return self._tokens(data, self.client.shop_id)

    def shop_info(self) -> ShopInfo:
        data = self.client.shop("GET", "shop/get_shop_info")
        info = data.get("response") if isinstance(data.get("response"), dict) else data
        return ShopInfo(
            shop_id=self.client.shop_id,
            name=info.get("shop_name") or f"Shopee {self.client.shop_id}",
            region=info.get("region") or "",
        )

    # --- products --------------------------------------------------------------------------

    def list_products(self, *, cursor: str = "") -> ProductPage:
        data = self.client.shop(
            "GET",
            "product/get_item_list",
            params={"offset": int(cursor or 0), "page_size": 100},
        )["response"]
        ids = [text_id(i["item_id"]) for i in data.get("item") or []]
        products = self._products(ids)
        next_cursor = text_id(data.get("next_offset")) if data.get("has_next_page") else ""
        return ProductPage(products=products, next_cursor=next_cursor)

    def _products(self, item_ids: list[str]) -> list[RemoteProduct]:
        out = []
        for start in range(0, len(item_ids), 50):
            chunk = item_ids[start : start + 50]
            if not chunk:
                continue
            data = self.client.shop(
                "GET", "product/get_item_base_info", params={"item_id_list": chunk}
            )["response"]
            for item in data.get("item_list") or []:
                out.append(self._product(item))
        return out

    def _product(self, item: dict) -> RemoteProduct:
        item_id = text_id(item["item_id"])
        if item.get("has_model"):
            models = self.client.shop("GET", "product/get_model_list", params={"item_id": item_id})[
                "response"
            ]
            tiers = models.get("tier_variation") or []
            variations = [
                RemoteVariation(
                    model_id=text_id(m["model_id"]),
                    seller_sku=m.get("model_sku") or "",
                    name=_model_name(tiers, m.get("tier_index") or []),
                    price=_price(m.get("price_info")),
                    stock=_stock(m.get("stock_info_v2")),
                    status=m.get("model_status") or "",
                )
                for m in models.get("model") or []
            ]
        else:
            variations = [
                RemoteVariation(
                    model_id="",
                    seller_sku=item.get("item_sku") or "",
                    price=_price(item.get("price_info")),
                    stock=_stock(item.get("stock_info_v2")),
                    status=item.get("item_status") or "",
                )
            ]
        return RemoteProduct(
            item_id=item_id,
            name=item.get("item_name") or "",
            status=item.get("item_status") or "",
            variations=variations,
            updated_at=from_unix(item.get("update_time")),
        )

    def get_product(self, item_id: str) -> RemoteProduct:
        found = self._products([str(item_id)])
        if not found:
            raise PermanentError(f"no Shopee item {item_id}", code="not_found")
        return found[0]

    def find_product_by_sku(self, seller_sku: str) -> RemoteProduct | None:
        """Shopee has no search by SKU: the items changed in the last day, read through."""
        since = int(time.time()) - 86_400
        offset = 0
        while True:
            data = self.client.shop(
                "GET",
                "product/get_item_list",
                params={
                    "offset": offset,
                    "page_size": 100,
                    "update_time_from": since,
                    "update_time_to": int(time.time()) + 60,
                },
            )["response"]
            ids = [text_id(i["item_id"]) for i in data.get("item") or []]
            for product in self._products(ids):
                if any(v.seller_sku == seller_sku for v in product.variations):
                    return product
            if not data.get("has_next_page"):
                return None
            offset = int(data.get("next_offset") or offset + 100)

    def _image_ids(self, draft: ProductDraft) -> list[str]:
        ids = []
        for image in draft.images:
            answer = self.client.upload(
                "media_space/upload_image",
                files={"image": (image.name, image.content, image.content_type)},
            )
            ids.append((answer.get("response") or {}).get("image_info", {}).get("image_id", ""))
        return [i for i in ids if i]

    def _logistics(self) -> list[dict]:
        wanted = self.options.get("logistic_ids")
        if wanted:
            return [{"logistic_id": _int(x), "enabled": True} for x in wanted]
        data = self.client.shop("GET", "logistics/get_channel_list").get("response") or {}
        return [
            {"logistic_id": c["logistics_channel_id"], "enabled": True}
            for c in data.get("logistics_channel_list") or []
            if c.get("enabled", True)
        ]

    def create_product(self, draft: ProductDraft) -> RemoteProduct:
        body = {
            "item_name": draft.name[:120],
            "description": draft.description or draft.name,
            "original_price": draft.price,
            "weight": round(max(draft.weight_g, 1) / 1000, 3),
            "category_id": _int(draft.category_id or self.options.get("category_id") or 0),
            "image": {"image_id_list": self._image_ids(draft)},
            "logistic_info": self._logistics(),
            "item_sku": draft.seller_sku,
            "seller_stock": [{"stock": draft.stock}],
        }
        item_id = text_id(
            self.client.shop("POST", "product/add_item", body=body)["response"]["item_id"]
        )
        if draft.variations:
            names = list(draft.variations[0].options)
            options = {name: [] for name in names}
            for variation in draft.variations:
                for name in names:
                    value = variation.options.get(name, "")
                    if value not in options[name]:
                        options[name].append(value)
            self.client.shop(
                "POST",
                "product/init_tier_variation",
                body={
                    "item_id": _int(item_id),
                    "tier_variation": [
                        {"name": name, "option_list": [{"option": o} for o in options[name]]}
                        for name in names
                    ],
                    "model": [
                        {
                            "tier_index": [
                                options[name].index(v.options.get(name, "")) for name in names
                            ],
                            "original_price": v.price,
                            "model_sku": v.seller_sku,
                            "seller_stock": [{"stock": v.stock}],
                        }
                        for v in draft.variations
                    ],
                },
            )
        return self.get_product(item_id)

    def update_stock(self, updates: list[StockUpdate]) -> list[StockResult]:
        """One call per item (Shopee's rule), up to 50 models each."""
        results: list[StockResult] = []
        by_item: dict[str, list[StockUpdate]] = {}
        for update in updates:
            by_item.setdefault(update.item_id, []).append(update)
        for item_id, rows in by_item.items():
            for start in range(0, len(rows), 50):
                chunk = rows[start : start + 50]
                data = (
                    self.client.shop(
                        "POST",
                        "product/update_stock",
                        body={
                            "item_id": _int(item_id),
                            "stock_list": [
                                {
                                    "model_id": _int(u.model_id or 0),
                                    "seller_stock": [{"stock": max(u.quantity, 0)}],
                                }
                                for u in chunk
                            ],
                        },
                    ).get("response")
                    or {}
                )
                failed = {
                    text_id(f.get("model_id") or 0): f.get("failed_reason") or "failed"
                    for f in data.get("failure_list") or []
                }
                for u in chunk:
                    error = failed.get(text_id(_int(u.model_id or 0)))
                    results.append(StockResult(u.item_id, u.model_id, error is None, error or ""))
        return results

    # --- orders ----------------------------------------------------------------------------

    def map_status(self, platform_status: str) -> OrderStatus:
        try:
            return STATUS_MAP[platform_status]
        except KeyError:
            raise PermanentError(
                f"unknown Shopee order status {platform_status!r}", code="unknown_status"
            ) from None

    def list_orders(
        self, *, updated_from: datetime, updated_to: datetime, cursor: str = ""
    ) -> OrderPage:
        data = self.client.shop(
            "GET",
            "order/get_order_list",
            params={
                "time_range_field": "update_time",
                "time_from": to_unix(updated_from),
                "time_to": to_unix(updated_to),
                "page_size": 100,
                "cursor": cursor,
                "response_optional_fields": "order_status",
            },
        )["response"]
        orders = [
            OrderRef(order_id=text_id(o["order_sn"]), platform_status=o.get("order_status") or "")
            for o in data.get("order_list") or []
        ]
        return OrderPage(
            orders=orders, next_cursor=data.get("next_cursor") or "" if data.get("more") else ""
        )

    def get_orders(self, order_ids: list[str]) -> list[RemoteOrder]:
        out = []
        for start in range(0, len(order_ids), 50):
            chunk = order_ids[start : start + 50]
            data = self.client.shop(
                "GET",
                "order/get_order_detail",
                params={"order_sn_list": chunk, "response_optional_fields": DETAIL_FIELDS},
            )["response"]
            for o in data.get("order_list") or []:
                out.append(self._order(o, self._escrow(text_id(o["order_sn"]))))
        return out

    def _escrow(self, order_sn: str) -> dict:
        """The order's money as Shopee accounts it (vouchers by funder, fees, the expected
        payout); {} when Shopee has none yet."""
        try:
            data = self.client.shop(
                "GET", "payment/get_escrow_detail", params={"order_sn": order_sn}
            )
        except PermanentError:
            return {}
        return (data.get("response") or {}).get("order_income") or {}

    def _order(self, o: dict, income: dict | None = None) -> RemoteOrder:
        address = o.get("recipient_address") or {}
        lines = []
        for item in o.get("item_list") or []:
            quantity = int(item.get("model_quantity_purchased") or 1)
            original = money(item.get("model_original_price"))
            discounted = money(item.get("model_discounted_price") or original)
            lines.append(
                RemoteLine(
                    item_id=text_id(item.get("item_id")),
                    model_id=text_id(item.get("model_id") or ""),
                    seller_sku=item.get("model_sku") or item.get("item_sku") or "",
                    name=" ".join(p for p in (item.get("item_name"), item.get("model_name")) if p),
                    quantity=quantity,
                    unit_price=original,
                    seller_discount=max(original - discounted, 0) * quantity,
                )
            )
        income = income or {}
        goods = sum(ln.unit_price * ln.quantity - ln.seller_discount for ln in lines)
        total = money(o.get("total_amount") or income.get("buyer_total_amount"))
        fees = expected = None
        if income:
            shipping = money(income.get("buyer_paid_shipping_fee"))
            seller_voucher = money(income.get("voucher_from_seller"))
            # Shopee's own item discounts and vouchers: paid by Shopee, an order-level voucher
            # funded by the platform for us.
            platform_voucher = money(income.get("voucher_from_shopee")) + money(
                income.get("shopee_discount")
            )
            fees = sum(
                money(income.get(k))
                for k in ("commission_fee", "service_fee", "seller_transaction_fee")
            )
            expected = money(income.get("escrow_amount"))
        else:
            shipping = money(o.get("estimated_shipping_fee"))
            if total and shipping > max(total - goods, 0):
                shipping = max(total - goods, 0)
            seller_voucher = 0
            platform_voucher = max(goods + shipping - total, 0) if total else 0
        packages = o.get("package_list") or []
        status = o.get("order_status") or ""
        return RemoteOrder(
            order_id=text_id(o["order_sn"]),
            platform_status=status,
            status=self.map_status(status),
            created_at=from_unix(o.get("create_time")) or datetime.now(UTC),
            updated_at=from_unix(o.get("update_time")) or datetime.now(UTC),
            buyer_name=address.get("name") or o.get("buyer_username") or "Shopee",
            address=RemoteAddress(
                name=address.get("name") or "",
                phone=address.get("phone") or "",
                full_address=address.get("full_address") or "",
                province=address.get("state") or address.get("city") or "",
                district=address.get("district") or "",
                ward=address.get("town") or "",
            ),
            lines=lines,
            is_cod=bool(o.get("cod")),
            shipping_fee=shipping,
            seller_voucher=seller_voucher,
            platform_voucher=platform_voucher,
            total=total,
            platform_fees=fees,
            expected_settlement=expected,
            tracking_number=o.get("tracking_no") or "",
            package_ids=[
                text_id(p.get("package_number")) for p in packages if p.get("package_number")
            ],
            note=o.get("message_to_seller") or "",
            raw=o,
        )

    def settlement(self, order_id: str) -> Settlement | None:
        """The payout of one order once Shopee released it: its escrow, found as an
        ESCROW_VERIFIED_ADD in the shop's wallet (the newest pages are read)."""
        paid = None
        for page in range(1, 11):
            data = (
                self.client.shop(
                    "GET",
                    "payment/get_wallet_transaction_list",
                    params={"page_no": page, "page_size": 100},
                ).get("response")
                or {}
            )
            for row in data.get("transaction_list") or []:
                if (
                    text_id(row.get("order_sn")) == order_id
                    and row.get("transaction_type") == "ESCROW_VERIFIED_ADD"
                ):
                    paid = row
                    break
            if paid is not None or not data.get("more"):
                break
        if paid is None:
            return None
        income = self._escrow(order_id)
        fees = sum(
            money(income.get(name))
            for name in ("commission_fee", "service_fee", "seller_transaction_fee")
        )
        return Settlement(
            order_id=order_id,
            payout=money(paid.get("amount")),
            fees=fees,
            reference=f"Shopee {paid.get('transaction_id') or order_id}",
            settled_at=from_unix(paid.get("create_time")),
        )

    # --- logistics -------------------------------------------------------------------------

    def arrange_shipment(self, order: RemoteOrder) -> ShipmentArranged:
        package = order.package_ids[0] if order.package_ids else None
        query = {"order_sn": order.order_id}
        if package:
            query["package_number"] = package
        params = self.client.shop("GET", "logistics/get_shipping_parameter", params=query)
        info = params.get("response") or {}
        needed = info.get("info_needed") or {}
        body: dict = {"order_sn": order.order_id}
        if package:
            body["package_number"] = package
        if "pickup" in needed:
            addresses = (info.get("pickup") or {}).get("address_list") or []
            address = next((a for a in addresses if a.get("time_slot_list")), None)
            if address is None:
                raise RetryableError("Shopee offers no pickup time yet", code="no_pickup_slot")
            body["pickup"] = {
                "address_id": address["address_id"],
                "pickup_time_id": address["time_slot_list"][0]["pickup_time_id"],
            }
        elif "dropoff" in needed:
            branches = (info.get("dropoff") or {}).get("branch_list") or []
            body["dropoff"] = {"branch_id": branches[0]["branch_id"]} if branches else {}
        elif "non_integrated" in needed:
            raise Unsupported(
                "this order ships with the seller's own carrier", code="non_integrated"
            )
        else:
            body["dropoff"] = {}
        self.client.shop("POST", "logistics/ship_order", body=body)
        return ShipmentArranged(
            tracking_number=self.tracking_number(order), package_id=package or ""
        )

    def tracking_number(self, order: RemoteOrder) -> str:
        query = {"order_sn": order.order_id}
        if order.package_ids:
            query["package_number"] = order.package_ids[0]
        data = self.client.shop("GET", "logistics/get_tracking_number", params=query)
        return (data.get("response") or {}).get("tracking_number") or ""

    def shipping_document(self, order: RemoteOrder) -> Document:
        tracking = self.tracking_number(order)
        if not tracking:
            raise RetryableError("no tracking number yet", code="no_tracking_number")
        entry = {"order_sn": order.order_id, "tracking_number": tracking}
        if order.package_ids:
            entry["package_number"] = order.package_ids[0]
        self.client.shop(
            "POST",
            "logistics/create_shipping_document",
            body={"order_list": [{**entry, "shipping_document_type": DOCUMENT_TYPE}]},
        )
        status = "PROCESSING"
        for attempt in range(5):
            data = self.client.shop(
                "POST",
                "logistics/get_shipping_document_result",
                body={"order_list": [{"order_sn": order.order_id}]},
            )
            results = (data.get("response") or {}).get("result_list") or []
            status = (results[0].get("status") if results else "") or "PROCESSING"
            if status != "PROCESSING":
                break
            self.sleep(0.5 * (attempt + 1))
        if status == "FAILED":
            raise PermanentError("Shopee could not make the shipping document", code="failed")
        if status != "READY":
            raise RetryableError("the shipping document is not ready yet", code="processing")
        response = self.client.raw(
            "POST",
            "logistics/download_shipping_document",
            body={
                "shipping_document_type": DOCUMENT_TYPE,
                "order_list": [{"order_sn": order.order_id}],
            },
        )
        content_type = response.headers.get("content-type", "application/pdf").split(";")[0]
        return Document(content=response.content, content_type=content_type)

    # --- pushes ----------------------------------------------------------------------------

    def verify_push(self, *, headers: dict[str, str], body: bytes, url: str) -> bool:
        return verify_push(self.partner_key, headers=headers, body=body, url=url)

    def parse_push(self, body: bytes):
        return parse_push(body)


def _int(value) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        return 0


def _price(price_info) -> int | None:
    if not price_info:
        return None
    first = price_info[0] if isinstance(price_info, list) else price_info
    return money(first.get("current_price") or first.get("original_price"))


def _stock(stock_info) -> int | None:
    if not stock_info:
        return None
    summary = stock_info.get("summary_info") or {}
    if "total_available_stock" in summary:
        return int(summary["total_available_stock"] or 0)
    seller = stock_info.get("seller_stock") or []
    return sum(int(s.get("stock") or 0) for s in seller) if seller else None


def _model_name(tiers: list, index: list) -> str:
    names = []
    for tier, position in zip(tiers, index, strict=False):
        options = tier.get("option_list") or []
        if 0 <= position < len(options):
            names.append(options[position].get("option") or "")
    return ", ".join(n for n in names if n)
