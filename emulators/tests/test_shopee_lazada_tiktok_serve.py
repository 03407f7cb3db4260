"""The demo wiring of the marketplace emulators (``emulators.serve.build_marketplaces``)."""

import argparse
import json

from emulators import serve


def args(**overrides):
    values = {
        "callback_base": "http://127.0.0.1:8000/",
        "no_webhooks": False,
        "seed": 3,
        "marketplace_step_seconds": 60.0,
        "marketplace_seed_file": None,
        "tiktok_redirect_url": None,
    }
    values.update(overrides)
    return argparse.Namespace(**values)


def test_build_marketplaces_wires_pushes_redirect_and_demo_products():
    shopee, lazada, tiktok = serve.build_marketplaces(args())
    assert shopee.push_url == "http://127.0.0.1:8000/marketplaces/webhooks/shopee/"
    assert lazada.webhooks.target == "http://127.0.0.1:8000/marketplaces/webhooks/lazada/"
    assert tiktok.push_url == "http://127.0.0.1:8000/marketplaces/webhooks/tiktok_shop/"
    assert tiktok.redirect_url == "http://127.0.0.1:8000/marketplaces/oauth/tiktok_shop/callback/"
    for emu in (shopee, lazada, tiktok):
        assert emu.stock_of("MKT-AO-M") == 15 and emu.step_seconds == 60.0
        order = emu.simulate_buyer()
        assert order is not None and order.lines[0].sku.startswith("MKT-")
    assert shopee.partner_id == 1000001 and lazada.app_key == "500001"
    assert tiktok.app_key == "6demodonhang"


def test_seed_file_replaces_the_demo_products(tmp_path):
    path = tmp_path / "products.json"
    path.write_text(
        json.dumps(
            {
                "products": [
                    {"name": "Áo thun", "sku": "AT-BASIC-DEN-S", "price": 159000, "stock": 20}
                ]
            }
        ),
        encoding="utf-8",
    )
    for emu in serve.build_marketplaces(args(marketplace_seed_file=str(path), no_webhooks=True)):
        assert emu.stock_of("AT-BASIC-DEN-S") == 20 and emu.stock_of("MKT-TOTE") is None
        assert emu.webhooks.target is None
