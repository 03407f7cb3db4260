"""Products, SKUs, prices and stock of the Lazada emulator."""

from __future__ import annotations

from werkzeug.wrappers import Response

from emulators.lazada.base import (
    FILTERS,
    ITEM_STATUS,
    SKU_KEYS,
    LazadaError,
    as_list,
    endpoint,
    json_param,
    parse_iso,
    parse_payload,
    payload_product,
)
from emulators.marketplace import Product, Variant, as_int


class LazadaProducts:
    """Mixed into the emulator through its API class."""

    # ------------------------------------------------------------------ products

    def sku_dict(self, product: Product, variant: Variant) -> dict:
        sku = {
            "SkuId": int(variant.id),
            "SellerSku": variant.sku,
            "ShopSku": f"{product.id}_VNAMZ-{variant.id}",
            "quantity": variant.stock + variant.reserved,
            "Available": variant.stock,
            "sellableStock": variant.stock,
            "price": float(variant.original_price),
            "special_price": float(variant.price)
            if variant.price < variant.original_price
            else 0.0,
            "Status": "active" if variant.status == "active" else "inactive",
            "package_weight": f"{product.weight_grams / 1000:g}",
            "package_length": "10",
            "package_width": "10",
            "package_height": "10",
            "Images": [],
            "Url": f"https://www.lazada.vn/products/i{product.id}-s{variant.id}.html",
            "multiWarehouseInventories": [
                {
                    "warehouseCode": variant.warehouse_id or "dropshipping",
                    "quantity": variant.stock + variant.reserved,
                    "sellableQuantity": variant.stock,
                    "occupyQuantity": variant.reserved,
                }
            ],
        }
        sale_prop = {}
        for (name, _options), value in zip(product.tiers, variant.options, strict=False):
            sale_prop[name] = value
        if sale_prop:
            sku["saleProp"] = sale_prop
            sku.update(sale_prop)
        return sku

    def product_dict(self, product: Product) -> dict:
        return {
            "item_id": int(product.id),
            "primary_category": as_int(product.category_id, 0),
            "attributes": {
                "name": product.name,
                "description": product.description,
                "brand": product.brand or "No Brand",
            },
            "images": [f"https://vn-live.slatic.net/p/{i}.jpg" for i in product.images],
            "skus": [self.sku_dict(product, v) for v in product.variants],
            "status": ITEM_STATUS.get(product.status, "Active"),
            "created_time": str(int(product.created * 1000)),
            "updated_time": str(int(product.updated * 1000)),
            "trialProduct": False,
            "variation": {
                f"variation{i + 1}": {"name": name, "options": options}
                for i, (name, options) in enumerate(product.tiers)
            },
        }

    def seller_product(self, seller_id: str, item_id) -> Product:
        product = self.products.get(str(as_int(item_id)))
        if product is None or product.shop_id != seller_id:
            raise LazadaError("InvalidParameter", f"item_id {item_id} not found")
        return product

    def find_sku(self, seller_id: str, sku: dict) -> tuple[Product, Variant]:
        sku_id, seller_sku = sku.get("SkuId"), sku.get("SellerSku")
        if sku_id:
            found = self.variant_by_id(str(as_int(sku_id)))
        else:
            found = self.find_variant(seller_id, str(seller_sku or ""))
        if found is not None:
            product, _variant = found
            item_ok = not sku.get("ItemId") or str(as_int(sku["ItemId"])) == product.id
            if product.shop_id == seller_id and product.status != "deleted" and item_ok:
                return found
        raise LazadaError("E204", f"SKU {sku_id or seller_sku} not found")

    @endpoint()
    def h_products_get(self, request, p, seller_id):
        filt = p.get("filter", "all")
        if filt not in FILTERS:
            raise LazadaError("InvalidParameter", f"Invalid filter {filt}")
        limit = as_int(p.get("limit"), 10)
        offset = as_int(p.get("offset"), 0)
        if limit is None or not 1 <= limit <= 50:
            raise LazadaError("E019", "E019: Invalid Limit (1..50)")
        if offset is None or not 0 <= offset <= 10000:
            raise LazadaError("E014", "E014: Invalid Offset")
        bounds = {
            name: parse_iso(p[name], name).timestamp()
            for name in ("update_after", "update_before", "create_after", "create_before")
            if p.get(name)
        }
        skus = set(map(str, json_param(p, "sku_seller_list"))) if p.get("sku_seller_list") else None

        def keep(product: Product) -> bool:
            if filt == "all" and product.status == "deleted":
                return False
            if filt == "live" and product.status != "active":
                return False
            if filt in ("inactive", "deleted", "pending") and product.status != filt:
                return False
            if filt == "rejected":
                return False
            if filt == "sold-out" and (product.status != "active" or product.total_stock > 0):
                return False
            checks = {
                "update_after": product.updated >= bounds.get("update_after", product.updated),
                "update_before": product.updated <= bounds.get("update_before", product.updated),
                "create_after": product.created >= bounds.get("create_after", product.created),
                "create_before": product.created <= bounds.get("create_before", product.created),
            }
            if not all(checks.values()):
                return False
            return skus is None or any(v.sku in skus for v in product.variants)

        matched = sorted(
            (x for x in self.shop_products(seller_id) if keep(x)), key=lambda x: int(x.id)
        )
        page = matched[offset : offset + limit]
        return self.ok(
            {"total_products": len(matched), "products": [self.product_dict(x) for x in page]}
        )

    @endpoint()
    def h_item_get(self, request, p, seller_id):
        if p.get("item_id"):
            return self.ok(self.product_dict(self.seller_product(seller_id, p["item_id"])))
        if p.get("seller_sku"):
            found = self.find_variant(seller_id, p["seller_sku"])
            if found:
                return self.ok(self.product_dict(found[0]))
        raise LazadaError("InvalidParameter", "item_id or seller_sku not found")

    @staticmethod
    def sale_props(sku: dict) -> dict:
        props = dict(sku.get("saleProp") or {}) if isinstance(sku.get("saleProp"), dict) else {}
        for key, value in sku.items():
            if key not in SKU_KEYS and isinstance(value, str | int | float):
                props.setdefault(key, str(value))
        return props

    def sku_spec(self, sku: dict) -> dict:
        seller_sku = str(sku.get("SellerSku") or "").strip()
        price = as_int(sku.get("price"))
        quantity = as_int(sku.get("quantity"), 0)
        if not seller_sku:
            raise LazadaError("InvalidParameter", "SellerSku is required")
        if price is None or price <= 0:
            raise LazadaError("InvalidParameter", f"price of {seller_sku} must be > 0")
        if quantity is None or quantity < 0:
            raise LazadaError("InvalidParameter", f"quantity of {seller_sku} must be ≥ 0")
        special = as_int(sku.get("special_price"))
        return {
            "sku": seller_sku,
            "price": special if special and 0 < special < price else price,
            "original_price": price,
            "stock": quantity,
            "props": self.sale_props(sku),
        }

    @endpoint()
    def h_product_create(self, request, p, seller_id):
        product, skus = payload_product(parse_payload(p.get("payload")))
        attributes = product.get("Attributes") or {}
        name = str(attributes.get("name") or "").strip()
        category = as_int(product.get("PrimaryCategory"))
        if not name:
            raise LazadaError("InvalidParameter", "Attributes.name is required")
        if not category:
            raise LazadaError("InvalidParameter", "PrimaryCategory is required")
        if not skus:
            raise LazadaError("InvalidParameter", "Skus.Sku is required")
        specs = [self.sku_spec(s) for s in skus]
        for spec in specs:
            if (
                self.find_variant(seller_id, spec["sku"])
                or [s["sku"] for s in specs].count(spec["sku"]) > 1
            ):
                raise LazadaError("SellerSkuExists", f"SellerSku {spec['sku']} already exists")
        tier_names: list[str] = []
        for spec in specs:
            for key in spec["props"]:
                if key not in tier_names:
                    tier_names.append(key)
        tiers = [
            (n, list(dict.fromkeys(s["props"].get(n, "-") for s in specs))) for n in tier_names
        ]
        images = (
            [str(i) for i in as_list((product.get("Images") or {}).get("Image"))]
            if isinstance(product.get("Images"), dict)
            else []
        )
        made = self.add_product(
            seller_id,
            name=name,
            description=str(attributes.get("description") or name),
            category_id=str(category),
            images=images or None,
            brand=str(attributes.get("brand") or ""),
            tiers=tiers or None,
            variants=[
                {
                    "sku": s["sku"],
                    "price": s["price"],
                    "original_price": s["original_price"],
                    "stock": s["stock"],
                    "options": [s["props"].get(n, "-") for n in tier_names] or None,
                }
                for s in specs
            ],
        )
        return self.ok(
            {
                "item_id": int(made.id),
                "sku_list": [
                    {
                        "sku_id": int(v.id),
                        "seller_sku": v.sku,
                        "shop_sku": f"{made.id}_VNAMZ-{v.id}",
                    }
                    for v in made.variants
                ],
            }
        )

    @endpoint()
    def h_product_update(self, request, p, seller_id):
        product, skus = payload_product(parse_payload(p.get("payload")))
        target = self.seller_product(seller_id, product.get("ItemId"))
        attributes = product.get("Attributes") or {}
        if attributes.get("name"):
            target.name = str(attributes["name"])
        if attributes.get("description"):
            target.description = str(attributes["description"])
        for sku in skus:
            existing = next(
                (
                    v
                    for v in target.variants
                    if (sku.get("SkuId") and str(as_int(sku["SkuId"])) == v.id)
                    or (not sku.get("SkuId") and v.sku == str(sku.get("SellerSku") or ""))
                ),
                None,
            )
            if existing is None:
                spec = self.sku_spec(sku)
                if self.find_variant(seller_id, spec["sku"]):
                    raise LazadaError("SellerSkuExists", f"SellerSku {spec['sku']} already exists")
                options = [spec["props"].get(n, "-") for n, _ in target.tiers]
                for (_name, opts), value in zip(target.tiers, options, strict=False):
                    if value not in opts:
                        opts.append(value)
                target.variants.append(
                    Variant(
                        id=self.new_variant_id(),
                        sku=spec["sku"],
                        price=spec["price"],
                        original_price=spec["original_price"],
                        stock=spec["stock"],
                        options=options,
                    )
                )
                target.has_model = target.has_model or len(target.variants) > 1
                self.index_product(target)
                continue
            price = as_int(sku.get("price"))
            if price:
                existing.original_price = price
                existing.price = price
            special = as_int(sku.get("special_price"))
            if special and 0 < special < existing.original_price:
                existing.price = special
            if sku.get("quantity") not in (None, ""):
                self._set_quantity(existing, as_int(sku["quantity"]), sku)
        self.touch(target)
        return self.ok()

    @staticmethod
    def _set_quantity(variant: Variant, quantity: int | None, sku: dict) -> None:
        if quantity is None or quantity < variant.reserved:
            raise LazadaError(
                "E204",
                f"E204: Quantity of {sku.get('SellerSku') or sku.get('SkuId')} is below "
                f"the reserved {variant.reserved}",
            )
        variant.stock = quantity - variant.reserved

    def _stock_skus(self, p: dict) -> list[dict]:
        _product, skus = payload_product(parse_payload(p.get("payload")))
        if not skus or len(skus) > 50:
            raise LazadaError("E204", "E204: 1 to 50 SKUs per call")
        return skus

    @endpoint()
    def h_price_quantity(self, request, p, seller_id):
        skus = self._stock_skus(p)
        plan, detail = [], []
        for sku in skus:
            try:
                product, variant = self.find_sku(seller_id, sku)
            except LazadaError as exc:
                detail.append(
                    {"field": "SkuId", "message": exc.message, "seller_sku": sku.get("SellerSku")}
                )
                continue
            quantity = sku.get("Quantity")
            warehouses = sku.get("MultiWarehouseInventories")
            if warehouses:
                entries = as_list(
                    warehouses.get("MultiWarehouseInventory")
                    if isinstance(warehouses, dict)
                    else warehouses
                )
                quantity = sum(as_int(e.get("Quantity"), 0) or 0 for e in entries)
            qty = as_int(quantity) if quantity not in (None, "") else None
            if qty is not None and qty < variant.reserved:
                detail.append(
                    {
                        "field": "Quantity",
                        "message": f"Quantity must be ≥ reserved {variant.reserved}",
                        "seller_sku": variant.sku,
                    }
                )
                continue
            price = as_int(sku.get("Price")) if sku.get("Price") not in (None, "") else None
            sale = as_int(sku.get("SalePrice")) if sku.get("SalePrice") not in (None, "") else None
            if (price is not None and price <= 0) or (sale is not None and sale <= 0):
                detail.append(
                    {"field": "Price", "message": "Invalid price", "seller_sku": variant.sku}
                )
                continue
            plan.append((product, variant, qty, price, sale))
        if detail:
            raise LazadaError("E204", "E204: Some SKUs could not be updated", detail=detail)
        for product, variant, qty, price, sale in plan:
            if qty is not None:
                variant.stock = qty - variant.reserved
            if price is not None:
                on_sale = variant.price < variant.original_price
                variant.original_price = price
                if not on_sale or variant.price >= price:
                    variant.price = price
            if sale is not None:
                variant.price = min(sale, variant.original_price)
            self.touch(product)
        return self.ok()

    def _sellable(self, p: dict, seller_id: str, *, delta: bool) -> Response:
        skus = self._stock_skus(p)
        plan, detail = [], []
        for sku in skus:
            try:
                product, variant = self.find_sku(seller_id, sku)
            except LazadaError as exc:
                detail.append(
                    {"field": "SkuId", "message": exc.message, "seller_sku": sku.get("SellerSku")}
                )
                continue
            value = as_int(sku.get("SellableQuantity"))
            if value is None:
                detail.append(
                    {"field": "SellableQuantity", "message": "required", "seller_sku": variant.sku}
                )
                continue
            new = variant.stock + value if delta else value
            if new < 0:
                detail.append(
                    {"field": "SellableQuantity", "message": "below 0", "seller_sku": variant.sku}
                )
                continue
            plan.append((product, variant, new))
        if detail:
            raise LazadaError("E204", "E204: Some SKUs could not be updated", detail=detail)
        for product, variant, new in plan:
            variant.stock = new
            self.touch(product)
        return self.ok()

    @endpoint()
    def h_sellable_update(self, request, p, seller_id):
        return self._sellable(p, seller_id, delta=False)

    @endpoint()
    def h_sellable_adjust(self, request, p, seller_id):
        return self._sellable(p, seller_id, delta=True)
