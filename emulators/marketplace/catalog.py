"""The catalogue half of ``MarketplaceEmulator``: shops' products, SKU indexes, seeding."""

from __future__ import annotations

import json
from pathlib import Path

from emulators.marketplace.model import ControlError, Product, Variant


class MarketplaceCatalog:
    """Products, variants and their indexes (mixed into ``MarketplaceEmulator``)."""

    # ------------------------------------------------------------------ catalogue

    def shop_products(self, shop_id: str) -> list[Product]:
        return [p for p in self.products.values() if p.shop_id == str(shop_id)]

    def index_product(self, product: Product) -> None:
        """Index a product's variants by id and by (shop, seller SKU); call it whenever variants
        are added or replaced (a shop of 10,000 SKUs must not be scanned per call)."""
        for variant in product.variants:
            self._by_variant_id[variant.id] = (product, variant)
            if variant.sku:
                key = (product.shop_id, variant.sku)
                current = self._by_sku.get(key)
                if (
                    current is None
                    or current[0].status == "deleted"
                    or current[1] not in current[0].variants
                ):
                    self._by_sku[key] = (product, variant)

    def find_variant(self, shop_id: str, sku: str) -> tuple[Product, Variant] | None:
        """The live variant with seller SKU ``sku`` in the shop."""
        found = self._by_sku.get((str(shop_id), sku))
        if found is None:
            return None
        product, variant = found
        if product.status == "deleted" or variant not in product.variants or variant.sku != sku:
            return None
        return found

    def variant_by_id(self, variant_id: str) -> tuple[Product, Variant] | None:
        found = self._by_variant_id.get(str(variant_id))
        if found is None or found[1] not in found[0].variants:
            return None
        return found

    def touch(self, product: Product) -> None:
        product.updated = self.clock.timestamp()

    def add_product(
        self,
        shop_id: str,
        *,
        name: str,
        variants: list[dict],
        sku: str = "",
        tiers: list[tuple[str, list[str]]] | None = None,
        description: str = "",
        category_id: str = "100001",
        weight_grams: int = 500,
        images: list[str] | None = None,
        status: str = "active",
        brand: str = "",
    ) -> Product:
        """``variants``: ``[{sku, price, stock, original_price?, options?}]``. One variant
        without options makes a product without models/variations."""
        with self.lock:
            now = self.clock.timestamp()
            has_model = bool(tiers) or len(variants) > 1
            if has_model and not tiers:
                tiers = [("Phân loại", [v.get("options", [v["sku"]])[0] for v in variants])]
            product = Product(
                id=self.new_product_id(),
                shop_id=str(shop_id),
                name=name,
                sku=sku,
                description=description or name,
                category_id=str(category_id),
                weight_grams=int(weight_grams),
                images=list(images or [self.new_image_id()]),
                tiers=[(t[0], list(t[1])) for t in (tiers or [])],
                has_model=has_model,
                status=status,
                created=now,
                updated=now,
                brand=brand,
            )
            for i, v in enumerate(variants):
                options = list(v.get("options") or [])
                if has_model and not options:
                    options = [product.tiers[0][1][i]] if product.tiers else [v["sku"]]
                price = int(v["price"])
                product.variants.append(
                    Variant(
                        id=self.new_variant_id(),
                        sku=str(v.get("sku") or ""),
                        price=price,
                        original_price=int(v.get("original_price") or price),
                        stock=int(v.get("stock") or 0),
                        options=options,
                        warehouse_id=self.shops.get(str(shop_id), {}).get("warehouse_id", ""),
                    )
                )
            self.products[product.id] = product
            self.index_product(product)
            return product

    def seed_products(self, shop_id: str | None, items: list[dict]) -> list[Product]:
        """Load products: ``[{name, sku?, variants:[{sku, price, stock, options?}],
        tiers?:[{name, options}]}]`` or flat ``{name, sku, price, stock}``."""
        shop_id = str(shop_id or self.default_shop_id())
        made = []
        for item in items:
            if not isinstance(item, dict) or not item.get("name"):
                raise ControlError("each product needs a name")
            variants = item.get("variants")
            if not variants:
                if not item.get("sku"):
                    raise ControlError(f"product {item['name']!r} needs a sku or variants")
                variants = [
                    {
                        "sku": item["sku"],
                        "price": item.get("price", 100000),
                        "stock": item.get("stock", 10),
                        "original_price": item.get("original_price"),
                    }
                ]
            tiers = [
                (t["name"], list(t["options"])) if isinstance(t, dict) else (t[0], list(t[1]))
                for t in item.get("tiers") or []
            ]
            made.append(
                self.add_product(
                    shop_id,
                    name=item["name"],
                    sku=item.get("sku", "") if item.get("variants") else "",
                    variants=[
                        {**v, "price": v.get("price", 100000), "stock": v.get("stock", 10)}
                        for v in variants
                    ],
                    tiers=tiers or None,
                    description=item.get("description", ""),
                    weight_grams=item.get("weight_grams", 500),
                )
            )
        return made

    def load_seed_file(self, path: str | Path) -> None:
        """A JSON file: ``{"products": [...]}`` (see ``seed_products``), or a bare list."""
        data = json.loads(Path(path).read_text(encoding="utf-8"))
        items = data.get("products", []) if isinstance(data, dict) else data
        shop = data.get("shop_id") if isinstance(data, dict) else None
        self.seed_products(shop, items)

    def new_image_id(self) -> str:
        return "img-" + "".join(self.rng.choice("0123456789abcdef") for _ in range(24))

    def default_shop_id(self) -> str:
        if self.login_shop_id:
            return self.login_shop_id
        if not self.shops:
            raise ControlError("no shop")
        return next(iter(self.shops))
