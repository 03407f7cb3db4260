"""The demo's marketplace shops: one of each platform on its emulator (`make run` serves them
on the ports of MARKETPLACE_EMULATOR_PORTS), and three of the emulators' four demo products in
our catalog, so that their listings match by SKU and one is left to link or create.

The shops are saved waiting for authorization; the scheduler's emulator job authorizes them
once the emulators are up (and again after an emulator restarted). Pointing a shop at the real
platform: see README.md, "Marketplaces"."""

from __future__ import annotations

from django.conf import settings

from donhang.catalog.models import Product
from donhang.catalog.services import product_create
from donhang.marketplaces.models import Environment, ShopConnection

# The emulators' demo app credentials (emulators/serve.py): public demo values, not secrets.
DEMO_SHOPS = [
    (
        "shopee",
        "Shopee (demo)",
        "http://127.0.0.1:{port}",
        {
            "partner_id": "1000001",
            "partner_key": "shpk4e6f2d64656d6f2d73686f7065652d706172746e65722d6b6579",
        },
    ),
    (
        "lazada",
        "Lazada (demo)",
        "http://127.0.0.1:{port}/rest",
        {"app_key": "500001", "app_secret": "dGVtb2xhemFkYWFwcHNlY3JldGRvbmhhbmc"},
    ),
    (
        "tiktok_shop",
        "TikTok Shop (demo)",
        "http://127.0.0.1:{port}",
        {
            "app_key": "6demodonhang",
            "app_secret": "7d3f0c1e5b2a4d6e8f9a0b1c2d3e4f5a6b7c8d9e",
            "service_id": "7300000000000000001",
        },
    ),
]

# Three of the four products the emulators list (MKT-TOTE stays unmatched on purpose).
DEMO_PRODUCTS = [
    ("MKT-BINH", "Bình giữ nhiệt inox 500ml", None, {"MKT-BINH-500": 189_000}),
    (
        "MKT-AO",
        "Áo thun cotton unisex",
        ("Size", ["M", "L"]),
        {"MKT-AO-M": 159_000, "MKT-AO-L": 159_000},
    ),
]


def load_demo_marketplaces(*, actor, warehouse) -> list[ShopConnection]:
    for sku, name, attribute, variants in DEMO_PRODUCTS:
        if Product.objects.filter(sku=sku).exists():
            continue
        prices = list(variants.values())
        if attribute is None:
            product_create(
                name=name,
                sku=sku,
                defaults={"cost_price": prices[0] // 2, "sale_price": prices[0], "weight_g": 400},
                variants=[{"sku": next(iter(variants))}],
                generate_matrix=False,
                initial_stock={warehouse.pk: 30},
                actor=actor,
            )
        else:
            product_create(
                name=name,
                sku=sku,
                attributes=[attribute],
                defaults={"cost_price": prices[0] // 2, "sale_price": prices[0], "weight_g": 250},
                variants=[
                    {"options": [option], "sku": variant_sku}
                    for option, variant_sku in zip(attribute[1], variants, strict=True)
                ],
                initial_stock={warehouse.pk: 20},
                actor=actor,
            )
    ports = getattr(settings, "MARKETPLACE_EMULATOR_PORTS", {})
    made = []
    for platform, name, url, credentials in DEMO_SHOPS:
        if ShopConnection.objects.filter(platform=platform, name=name).exists():
            continue
        connection = ShopConnection(
            platform=platform,
            name=name,
            environment=Environment.EMULATOR,
            base_url=url.format(port=ports.get(platform, 8721)),
            options={"auto_authorize": True, "category_id": "100001"},
        )
        connection.credentials = credentials
        connection.save()
        made.append(connection)
    return made
