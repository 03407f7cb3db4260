"""Products, SKUs, inventory, prices and warehouses of the TikTok Shop emulator."""

from __future__ import annotations

from emulators.marketplace import (
    Product,
    Variant,
    as_int,
)
from emulators.tiktok_shop.base import (
    PRODUCT_FILTERS,
    PRODUCT_STATUS,
    bad,
    conflict,
    decode_token,
    encode_token,
    endpoint,
    money,
    not_found,
)


class TiktokProducts:
    """Mixed into the emulator through its API class."""

    # ------------------------------------------------------------------ products

    def shop_product(self, shop: dict, product_id: str) -> Product:
        product = self.products.get(str(product_id))
        if product is None or product.shop_id != shop["shop_id"] or product.status == "deleted":
            raise not_found(f"Product {product_id} not found")
        return product

    def product_status(self, product: Product) -> str:
        if (
            product.status == "pending"
            and product.extra.get("active_at", 0) <= self.clock.timestamp()
        ):
            product.status = "active"
        return PRODUCT_STATUS.get(product.status, "ACTIVATE")

    def sku_price(self, variant: Variant) -> dict:
        return {
            "currency": "VND",
            "sale_price": money(variant.price),
            "tax_exclusive_price": money(variant.price),
            "amount": money(variant.price),
        }

    def inventory(self, variant: Variant) -> list[dict]:
        return [{"warehouse_id": variant.warehouse_id, "quantity": variant.stock}]

    def sales_attributes(self, product: Product, variant: Variant) -> list[dict]:
        out = []
        for i, ((name, options), value) in enumerate(
            zip(product.tiers, variant.options, strict=False)
        ):
            out.append(
                {
                    "id": str(7000000000000000000 + i),
                    "name": name,
                    "value_id": str(7100000000000000000 + i * 1000 + options.index(value))
                    if value in options
                    else "0",
                    "value_name": value,
                }
            )
        return out

    def product_summary(self, product: Product) -> dict:
        return {
            "id": product.id,
            "title": product.name,
            "status": self.product_status(product),
            "skus": [
                {
                    "id": v.id,
                    "seller_sku": v.sku,
                    "price": self.sku_price(v),
                    "inventory": self.inventory(v),
                }
                for v in product.variants
            ],
            "sales_regions": ["VN"],
            "create_time": int(product.created),
            "update_time": int(product.updated),
            "is_not_for_sale": False,
            "recommended_categories": [],
        }

    def product_detail(self, product: Product) -> dict:
        return {
            "id": product.id,
            "title": product.name,
            "description": product.description,
            "status": self.product_status(product),
            "category_chains": [
                {
                    "id": product.category_id,
                    "parent_id": "0",
                    "local_name": "Thời trang",
                    "is_leaf": True,
                }
            ],
            "brand": {"id": "", "name": product.brand or "No brand"},
            "main_images": [
                {
                    "uri": uri,
                    "urls": [f"https://p16-oec-va.ibyteimg.com/{uri}~tplv.jpeg"],
                    "width": 800,
                    "height": 800,
                }
                for uri in product.images
            ],
            "skus": [
                {
                    "id": v.id,
                    "seller_sku": v.sku,
                    "price": self.sku_price(v),
                    "inventory": self.inventory(v),
                    "sales_attributes": self.sales_attributes(product, v),
                }
                for v in product.variants
            ],
            "package_weight": {"value": f"{product.weight_grams / 1000:g}", "unit": "KILOGRAM"},
            "is_cod_allowed": True,
            "create_time": int(product.created),
            "update_time": int(product.updated),
            "audit": {"status": "APPROVED"},
        }

    @endpoint()
    def h_product_search(self, request, body, shop, version):
        page_size = as_int(request.args.get("page_size"))
        if page_size is None or not 1 <= page_size <= 100:
            raise bad("page_size should be between 1 and 100")
        status = str(body.get("status") or "ALL").upper()
        if status not in PRODUCT_FILTERS:
            raise bad(f"Invalid status {status}")
        skus = body.get("seller_skus")
        if skus is not None and (not isinstance(skus, list) or len(skus) > 10):
            raise bad("seller_skus: at most 10")
        bounds = {
            k: as_int(body.get(k))
            for k in ("update_time_ge", "update_time_le", "create_time_ge", "create_time_le")
        }

        def keep(p: Product) -> bool:
            word = self.product_status(p)
            if status == "ALL" and word == "DELETED":
                return False
            if status != "ALL" and word != status:
                return False
            if skus and not any(v.sku in skus for v in p.variants):
                return False
            return (
                (bounds["update_time_ge"] is None or p.updated >= bounds["update_time_ge"])
                and (bounds["update_time_le"] is None or p.updated <= bounds["update_time_le"])
                and (bounds["create_time_ge"] is None or p.created >= bounds["create_time_ge"])
                and (bounds["create_time_le"] is None or p.created <= bounds["create_time_le"])
            )

        matched = sorted(
            (p for p in self.shop_products(shop["shop_id"]) if keep(p)), key=lambda p: p.id
        )
        token = request.args.get("page_token")
        if token:
            (after,) = decode_token(token)
            matched_after = [p for p in matched if p.id > after]
        else:
            matched_after = matched
        page = matched_after[:page_size]
        more = len(matched_after) > page_size
        return self.ok(
            {
                "products": [self.product_summary(p) for p in page],
                "next_page_token": encode_token((page[-1].id,)) if more else "",
                "total_count": len(matched),
            }
        )

    @endpoint()
    def h_product_get(self, request, body, shop, version, product_id):
        return self.ok(self.product_detail(self.shop_product(shop, product_id)))

    @endpoint()
    def h_product_create(self, request, body, shop, version):
        key = str(body.get("idempotency_key") or "")
        if key and (shop["shop_id"], key) in self.idempotency:
            product = self.products[self.idempotency[(shop["shop_id"], key)]]
            return self.ok(self.create_answer(product))
        title = str(body.get("title") or "").strip()
        if not title:
            raise bad("title is required")
        if not body.get("category_id"):
            raise bad("category_id is required")
        images = body.get("main_images") or []
        if (
            not isinstance(images, list)
            or not 1 <= len(images) <= 9
            or not all(isinstance(i, dict) and i.get("uri") for i in images)
        ):
            raise bad("main_images: 1 to 9 images with uri")
        weight = body.get("package_weight") or {}
        try:
            kilos = float(weight.get("value"))
        except (TypeError, ValueError):
            raise bad("package_weight.value is required") from None
        if str(weight.get("unit", "KILOGRAM")).upper() == "POUND":
            kilos *= 0.4536
        skus = body.get("skus") or []
        if not isinstance(skus, list) or not skus:
            raise bad("skus is required")
        specs, tier_names = [], []
        for sku in skus:
            seller_sku = str(sku.get("seller_sku") or "")
            price = as_int((sku.get("price") or {}).get("amount"))
            if price is None or price <= 0:
                raise bad(f"price.amount of {seller_sku or 'a SKU'} must be > 0")
            stock = 0
            for entry in sku.get("inventory") or []:
                if str(entry.get("warehouse_id")) != shop["warehouse_id"]:
                    raise bad(f"Unknown warehouse_id {entry.get('warehouse_id')}")
                quantity = as_int(entry.get("quantity"))
                if quantity is None or quantity < 0:
                    raise bad("inventory.quantity must be ≥ 0")
                stock += quantity
            if seller_sku and self.find_variant(shop["shop_id"], seller_sku):
                raise conflict(f"seller_sku {seller_sku} already exists")
            attrs = {}
            for attribute in sku.get("sales_attributes") or []:
                name = str(attribute.get("name") or attribute.get("id") or "")
                attrs[name] = str(attribute.get("value_name") or attribute.get("value_id") or "")
                if name not in tier_names:
                    tier_names.append(name)
            specs.append({"sku": seller_sku, "price": price, "stock": stock, "attrs": attrs})
        tiers = [
            (n, list(dict.fromkeys(s["attrs"].get(n, "-") for s in specs))) for n in tier_names
        ]
        product = self.add_product(
            shop["shop_id"],
            name=title,
            description=str(body.get("description") or title),
            category_id=str(body["category_id"]),
            weight_grams=round(kilos * 1000),
            images=[str(i["uri"]) for i in images],
            tiers=tiers or None,
            status="pending" if self.review_seconds else "active",
            variants=[
                {
                    "sku": s["sku"],
                    "price": s["price"],
                    "stock": s["stock"],
                    "options": [s["attrs"].get(n, "-") for n in tier_names] or None,
                }
                for s in specs
            ],
        )
        product.extra["active_at"] = self.clock.timestamp() + self.review_seconds
        if key:
            self.idempotency[(shop["shop_id"], key)] = product.id
        return self.ok(self.create_answer(product))

    def create_answer(self, product: Product) -> dict:
        return {
            "product_id": product.id,
            "skus": [
                {
                    "id": v.id,
                    "seller_sku": v.sku,
                    "sales_attributes": [
                        {"id": a["id"], "value_id": a["value_id"]}
                        for a in self.sales_attributes(product, v)
                    ],
                }
                for v in product.variants
            ],
            "warnings": [],
        }

    def _sku_updates(self, product: Product, body: dict) -> list[tuple[Variant, dict]]:
        entries = body.get("skus")
        if not isinstance(entries, list) or not entries:
            raise bad("skus is required")
        out = []
        for entry in entries:
            variant = next((v for v in product.variants if v.id == str(entry.get("id"))), None)
            if variant is None:
                raise not_found(f"SKU {entry.get('id')} does not belong to product {product.id}")
            out.append((variant, entry))
        return out

    @endpoint()
    def h_inventory(self, request, body, shop, version, product_id):
        product = self.shop_product(shop, product_id)
        if self.product_status(product) != "ACTIVATE":
            raise conflict(f"Product is {self.product_status(product)}: inventory needs ACTIVATE")
        plan = []
        for variant, entry in self._sku_updates(product, body):
            inventory = entry.get("inventory") or []
            given = {str(i.get("warehouse_id")): as_int(i.get("quantity")) for i in inventory}
            if set(given) != {variant.warehouse_id}:
                raise bad(f"inventory of SKU {variant.id} must list every warehouse of the SKU")
            quantity = given[variant.warehouse_id]
            if quantity is None or quantity < 0:
                raise bad("quantity must be an integer ≥ 0")
            plan.append((variant, quantity))
        for variant, quantity in plan:
            variant.stock = quantity
        self.touch(product)
        return self.ok({})

    @endpoint()
    def h_prices(self, request, body, shop, version, product_id):
        product = self.shop_product(shop, product_id)
        plan = []
        for variant, entry in self._sku_updates(product, body):
            price = entry.get("price") or {}
            amount = as_int(price.get("amount"))
            if amount is None or amount <= 0 or price.get("currency", "VND") != "VND":
                raise bad(f"price of SKU {variant.id} must be a positive VND amount")
            plan.append((variant, amount))
        for variant, amount in plan:
            variant.price = variant.original_price = amount
        self.touch(product)
        return self.ok({})

    @endpoint(cipher=False)
    def h_image_upload(self, request, body, seller_id, version):
        files = body.get("_files")
        if not files or "data" not in files:
            raise bad("data (the image file) is required")
        uri = "tos-maliva-i-o3syd03w52-us/" + self.new_image_id()[4:]
        return self.ok(
            {
                "uri": uri,
                "url": f"https://p16-oec-va.ibyteimg.com/{uri}~tplv.jpeg",
                "width": 800,
                "height": 800,
                "use_case": body.get("use_case", "MAIN_IMAGE"),
            }
        )

    @endpoint()
    def h_warehouses(self, request, body, shop, version):
        return self.ok(
            {
                "warehouses": [
                    {
                        "id": shop["warehouse_id"],
                        "name": "Kho Sài Gòn",
                        "effect_status": "ENABLED",
                        "type": "SALES_WAREHOUSE",
                        "sub_type": "DOMESTIC_WAREHOUSE",
                        "is_default": True,
                        "address": {"region": "Vietnam", "full_address": shop["address"]},
                    }
                ]
            }
        )
