"""Shop profile, items, models, prices and stock of the Shopee emulator."""

from __future__ import annotations

from emulators.marketplace import (
    Product,
    Variant,
    as_int,
    list_param,
)
from emulators.shopee.base import (
    CHANNEL,
    ITEM_STATUS,
    ShopeeError,
    endpoint,
    need,
    need_int,
)


class ShopeeProducts:
    """Mixed into the emulator through its API class."""

    # ------------------------------------------------------------------ shop

    @endpoint()
    def h_shop_info(self, request, data, shop_id):
        shop = self.shops[shop_id]
        info = {
            "shop_name": shop["name"],
            "region": shop["region"],
            "status": "NORMAL",
            "sip_affi_shops": [],
            "is_cb": False,
            "is_cnsc": False,
            "is_sip": False,
            "is_main_shop": False,
            "is_direct_shop": False,
            "auth_time": shop.get("auth_time") or 0,
            "expire_time": shop.get("expire_time") or 0,
            "shop_fulfillment_flag": "Others",
        }
        return self.ok(info, **info)

    @endpoint()
    def h_profile(self, request, data, shop_id):
        shop = self.shops[shop_id]
        return self.ok({"shop_logo": "", "description": "", "shop_name": shop["name"]})

    # ------------------------------------------------------------------ products

    def product(self, shop_id: str, item_id) -> Product:
        product = self.products.get(str(as_int(item_id)))
        if product is None or product.shop_id != shop_id or product.status == "deleted":
            raise ShopeeError("error_param", f"item_id {item_id} not found.")
        return product

    @staticmethod
    def stock_info(stock: int, reserved: int = 0) -> dict:
        return {
            "summary_info": {"total_reserved_stock": reserved, "total_available_stock": stock},
            "seller_stock": [{"stock": stock, "if_saleable": True}],
        }

    def item_dict(self, product: Product) -> dict:
        item = {
            "item_id": int(product.id),
            "category_id": as_int(product.category_id, 0),
            "item_name": product.name,
            "description": product.description,
            "item_sku": product.sku if product.has_model else product.variants[0].sku,
            "create_time": int(product.created),
            "update_time": int(product.updated),
            "attribute_list": [],
            "image": {
                "image_id_list": list(product.images),
                "image_url_list": [f"https://cf.shopee.vn/file/{i}" for i in product.images],
            },
            "weight": f"{product.weight_grams / 1000:g}",
            "dimension": {"package_length": 0, "package_width": 0, "package_height": 0},
            "logistic_info": [
                {
                    "logistic_id": CHANNEL["logistics_channel_id"],
                    "logistic_name": CHANNEL["logistics_channel_name"],
                    "enabled": True,
                    "is_free": False,
                }
            ],
            "pre_order": {"is_pre_order": False, "days_to_ship": 2},
            "condition": "NEW",
            "item_status": ITEM_STATUS.get(product.status, "NORMAL"),
            "has_model": product.has_model,
            "brand": {"brand_id": 0, "original_brand_name": product.brand or "NoBrand"},
            "item_dangerous": 0,
        }
        if not product.has_model:
            v = product.variants[0]
            item["price_info"] = [
                {"currency": "VND", "original_price": v.original_price, "current_price": v.price}
            ]
            item["stock_info_v2"] = self.stock_info(v.stock, v.reserved)
        return item

    def model_dict(self, product: Product, variant) -> dict:
        tier_index = []
        for i, (_name, options) in enumerate(product.tiers):
            value = variant.options[i] if i < len(variant.options) else None
            tier_index.append(options.index(value) if value in options else 0)
        return {
            "model_id": int(variant.id),
            "model_sku": variant.sku,
            "tier_index": tier_index,
            "model_status": "MODEL_NORMAL",
            "price_info": [
                {
                    "currency": "VND",
                    "original_price": variant.original_price,
                    "current_price": variant.price,
                }
            ],
            "stock_info_v2": self.stock_info(variant.stock, variant.reserved),
            "pre_order": {"is_pre_order": False, "days_to_ship": 2},
        }

    @endpoint()
    def h_item_list(self, request, data, shop_id):
        args = request.args
        offset = as_int(args.get("offset"), 0)
        page_size = need_int(args, "page_size", minimum=1, maximum=100)
        if offset is None or offset < 0:
            raise ShopeeError("error_param", "offset should be ≥ 0.")
        wanted = set(list_param(args.getlist("item_status"))) or {
            "NORMAL",
            "UNLIST",
            "BANNED",
            "REVIEWING",
        }
        start = as_int(args.get("update_time_from"))
        end = as_int(args.get("update_time_to"))
        items = [
            p
            for p in self.shop_products(shop_id)
            if ITEM_STATUS.get(p.status, "NORMAL") in wanted
            and (start is None or p.updated >= start)
            and (end is None or p.updated <= end)
        ]
        items.sort(key=lambda p: int(p.id))
        page = items[offset : offset + page_size]
        nxt = offset + len(page)
        return self.ok(
            {
                "item": [
                    {
                        "item_id": int(p.id),
                        "item_status": ITEM_STATUS.get(p.status, "NORMAL"),
                        "update_time": int(p.updated),
                    }
                    for p in page
                ],
                "total_count": len(items),
                "has_next_page": nxt < len(items),
                "next_offset": nxt,
            }
        )

    @endpoint()
    def h_item_base_info(self, request, data, shop_id):
        ids = list_param(request.args.getlist("item_id_list"))
        if not ids or len(ids) > 50:
            raise ShopeeError("error_param", "item_id_list should have 1 to 50 ids.")
        return self.ok({"item_list": [self.item_dict(self.product(shop_id, i)) for i in ids]})

    @endpoint()
    def h_model_list(self, request, data, shop_id):
        product = self.product(shop_id, need(request.args, "item_id"))
        if not product.has_model:
            return self.ok({"tier_variation": [], "model": []})
        return self.ok(
            {
                "tier_variation": [
                    {"name": name, "option_list": [{"option": o} for o in options]}
                    for name, options in product.tiers
                ],
                "model": [self.model_dict(product, v) for v in product.variants],
            }
        )

    @staticmethod
    def seller_stock(entries) -> int:
        if not isinstance(entries, list) or not entries:
            raise ShopeeError("error_param", "seller_stock is required.")
        total = 0
        for entry in entries:
            stock = as_int((entry or {}).get("stock"))
            if stock is None or stock < 0:
                raise ShopeeError("error_param", "stock should be an integer ≥ 0.")
            total += stock
        return total

    @staticmethod
    def price(value, name="original_price") -> int:
        price = as_int(value)
        if price is None or price <= 0:
            raise ShopeeError("error_param", f"{name} should be a positive integer (VND).")
        return price

    @endpoint()
    def h_add_item(self, request, data, shop_id):
        name = need(data, "item_name")
        price = self.price(need(data, "original_price"))
        description = need(data, "description")
        try:
            weight = float(need(data, "weight"))
        except (TypeError, ValueError):
            raise ShopeeError("error_param", "weight should be a number (kg).") from None
        if weight <= 0:
            raise ShopeeError("error_param", "weight should be > 0.")
        category = need_int(data, "category_id", minimum=1)
        images = (data.get("image") or {}).get("image_id_list") or []
        if not images:
            raise ShopeeError("error_param", "image.image_id_list is required.")
        if not data.get("logistic_info"):
            raise ShopeeError("error_param", "logistic_info is required.")
        stock = self.seller_stock(data["seller_stock"]) if data.get("seller_stock") else 0
        product = self.add_product(
            shop_id,
            name=str(name),
            description=str(description),
            category_id=str(category),
            weight_grams=round(weight * 1000),
            images=[str(i) for i in images],
            variants=[{"sku": str(data.get("item_sku") or ""), "price": price, "stock": stock}],
            status="inactive" if data.get("item_status") == "UNLIST" else "active",
        )
        item = self.item_dict(product)
        return self.ok(
            {
                "item_id": int(product.id),
                "item_name": product.name,
                "item_sku": item["item_sku"],
                "description": product.description,
                "original_price": price,
                "weight": weight,
                "category_id": category,
                "item_status": item["item_status"],
                "image": item["image"],
                "seller_stock": [{"stock": stock}],
                "logistic_info": data.get("logistic_info"),
            }
        )

    def _new_models(self, product: Product, models: list, *, limit: int = 50) -> list:
        if not isinstance(models, list) or not models or len(models) > limit:
            raise ShopeeError("error_param", f"model should have 1 to {limit} entries.")
        seen = {tuple(v.options) for v in product.variants} if product.has_model else set()
        made = []
        for m in models:
            index = m.get("tier_index")
            if not isinstance(index, list) or len(index) != len(product.tiers):
                raise ShopeeError("error_param", "tier_index does not match tier_variation.")
            options = []
            for level, i in enumerate(index):
                tier_options = product.tiers[level][1]
                if not isinstance(i, int) or not 0 <= i < len(tier_options):
                    raise ShopeeError("error_param", f"tier_index {index} is out of range.")
                options.append(tier_options[i])
            if tuple(options) in seen:
                raise ShopeeError("error_param", f"tier_index {index} already exists.")
            seen.add(tuple(options))
            price = self.price(m.get("original_price"))
            made.append(
                {
                    "sku": str(m.get("model_sku") or ""),
                    "price": price,
                    "stock": self.seller_stock(m.get("seller_stock"))
                    if m.get("seller_stock")
                    else 0,
                    "options": options,
                }
            )
        return made

    def _variant_from(self, spec: dict):
        return Variant(
            id=self.new_variant_id(),
            sku=spec["sku"],
            price=spec["price"],
            original_price=spec["price"],
            stock=spec["stock"],
            options=spec["options"],
        )

    @endpoint()
    def h_init_tier(self, request, data, shop_id):
        product = self.product(shop_id, need(data, "item_id"))
        if product.has_model:
            raise ShopeeError("error_param", "The item already has tier variations.")
        tiers = need(data, "tier_variation")
        if not isinstance(tiers, list) or not 1 <= len(tiers) <= 2:
            raise ShopeeError("error_param", "tier_variation should have 1 or 2 tiers.")
        parsed = []
        for tier in tiers:
            options = [str(o.get("option", "")) for o in tier.get("option_list") or []]
            if not tier.get("name") or not options or "" in options:
                raise ShopeeError("error_param", "Each tier needs a name and options.")
            parsed.append((str(tier["name"]), options))
        product.tiers = parsed
        specs = self._new_models(product, need(data, "model"))
        product.has_model = True
        product.variants = [self._variant_from(s) for s in specs]
        self.index_product(product)
        self.touch(product)
        return self.ok(
            {
                "item_id": int(product.id),
                "tier_variation": [
                    {"name": n, "option_list": [{"option": o} for o in opts]}
                    for n, opts in product.tiers
                ],
                "model": [
                    {
                        "tier_index": self.model_dict(product, v)["tier_index"],
                        "model_id": int(v.id),
                        "model_sku": v.sku,
                        "original_price": v.original_price,
                        "seller_stock": [{"stock": v.stock}],
                    }
                    for v in product.variants
                ],
            }
        )

    @endpoint()
    def h_add_model(self, request, data, shop_id):
        product = self.product(shop_id, need(data, "item_id"))
        if not product.has_model:
            raise ShopeeError("error_param", "Call init_tier_variation first.")
        specs = self._new_models(product, need(data, "model_list"))
        added = [self._variant_from(s) for s in specs]
        product.variants += added
        self.index_product(product)
        self.touch(product)
        return self.ok({"model": [self.model_dict(product, v) for v in added]})

    def _model(self, product: Product, model_id):
        mid = as_int(model_id, 0)
        if not product.has_model:
            return product.variants[0] if mid == 0 else None
        return next((v for v in product.variants if int(v.id) == mid), None)

    @endpoint()
    def h_update_price(self, request, data, shop_id):
        product = self.product(shop_id, need(data, "item_id"))
        entries = need(data, "price_list")
        if not isinstance(entries, list) or len(entries) > 50:
            raise ShopeeError("error_param", "price_list should have 1 to 50 entries.")
        success, failure = [], []
        for entry in entries:
            variant = self._model(product, entry.get("model_id"))
            price = as_int(entry.get("original_price"))
            if variant is None:
                failure.append(
                    {"model_id": entry.get("model_id"), "failed_reason": "Invalid model_id."}
                )
            elif price is None or price <= 0:
                failure.append(
                    {"model_id": entry.get("model_id"), "failed_reason": "Invalid price."}
                )
            else:
                variant.price = variant.original_price = price
                success.append(
                    {"model_id": as_int(entry.get("model_id"), 0), "original_price": price}
                )
        if success:
            self.touch(product)
        return self.ok({"success_list": success, "failure_list": failure})

    @endpoint()
    def h_update_stock(self, request, data, shop_id):
        product = self.product(shop_id, need(data, "item_id"))
        entries = need(data, "stock_list")
        if not isinstance(entries, list) or len(entries) > 50:
            raise ShopeeError("error_param", "stock_list should have 1 to 50 entries.")
        success, failure = [], []
        for entry in entries:
            variant = self._model(product, entry.get("model_id"))
            if variant is None:
                failure.append(
                    {"model_id": entry.get("model_id"), "failed_reason": "Invalid model_id."}
                )
                continue
            try:
                stock = self.seller_stock(entry.get("seller_stock"))
            except ShopeeError as exc:
                failure.append({"model_id": entry.get("model_id"), "failed_reason": exc.message})
                continue
            variant.stock = stock
            success.append({"model_id": as_int(entry.get("model_id"), 0), "stock": stock})
        if success:
            self.touch(product)
        return self.ok({"success_list": success, "failure_list": failure})

    @endpoint()
    def h_unlist_item(self, request, data, shop_id):
        success, failure = [], []
        for entry in need(data, "item_list"):
            try:
                product = self.product(shop_id, entry.get("item_id"))
            except ShopeeError as exc:
                failure.append({"item_id": entry.get("item_id"), "failed_reason": exc.message})
                continue
            unlist = bool(entry.get("unlist"))
            product.status = "inactive" if unlist else "active"
            self.touch(product)
            success.append({"item_id": int(product.id), "unlist": unlist})
        return self.ok({"success_list": success, "failure_list": failure})

    @endpoint()
    def h_channels(self, request, data, shop_id):
        return self.ok({"logistics_channel_list": [dict(CHANNEL)]})
