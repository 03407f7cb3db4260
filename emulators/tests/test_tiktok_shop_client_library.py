"""A published TikTok Shop client (PyPI ``tiktok-shop-api`` 0.1.0, unofficial, generated from the
docs) works unchanged against the emulator, and fails with a wrong app secret. Skipped when it
is not installed. The client takes an httpx transport, so the emulator stays in-process.
"""

import importlib.util
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from emulators.tiktok_shop import TiktokShopEmulator

pytestmark = pytest.mark.skipif(
    importlib.util.find_spec("tiktok_shop_api") is None, reason="tiktok-shop-api not installed"
)

BASE = "http://tiktok-emulator.local"
REDIRECT = "https://seller.example/marketplaces/oauth/tiktok_shop/callback/"


@pytest.fixture
def emu():
    e = TiktokShopEmulator(redirect_url=REDIRECT)
    e.seed_products(
        None,
        [
            {"name": "Áo thun", "sku": "AO-1", "price": 150000, "stock": 9},
            {"name": "Mũ", "sku": "MU-1", "price": 50000, "stock": 4},
        ],
    )
    return e


def tokens_for(tts, emu, transport):
    auth = tts.TikTokShopAuth(
        emu.app_key, emu.app_secret, service_id=emu.service_id, base_url=BASE, transport=transport
    )
    link = urlsplit(auth.authorization_url(type="seller", region="row", state="abc"))
    page = httpx.Client(transport=transport, base_url=BASE).get(f"{link.path}?{link.query}")
    assert page.status_code == 302
    code = parse_qs(urlsplit(page.headers["location"]).query)["code"][0]
    return auth, auth.exchange_code(code)


def test_tiktok_shop_api_works_unchanged(emu):
    tts = pytest.importorskip("tiktok_shop_api")
    models = pytest.importorskip("tiktok_shop_api.generated.models")
    transport = httpx.WSGITransport(app=emu.wsgi_app)
    auth, tokens = tokens_for(tts, emu, transport)
    client = tts.TikTokShop(
        emu.app_key,
        emu.app_secret,
        access_token=tokens.access_token,
        base_url=BASE,
        transport=transport,
    )
    shops = client.authorization.get_authorized_shops().to_dict()["data"]["shops"]
    assert shops[0]["name"] == "Shop Demo donhang (TikTok)"
    seller = client.with_shop(shop_cipher=shops[0]["cipher"])

    found = seller.products.search_products(
        page_size=10, body=models.SearchProductsRequest.from_dict({"status": "ACTIVATE"})
    ).to_dict()["data"]
    by_sku = {p["skus"][0]["seller_sku"]: p for p in found["products"]}
    product = by_sku["AO-1"]
    detail = seller.products.get_product(product["id"]).to_dict()["data"]
    sku = detail["skus"][0]
    body = models.UpdateInventoryRequest.from_dict(
        {
            "skus": [
                {
                    "id": sku["id"],
                    "inventory": [
                        {"warehouse_id": sku["inventory"][0]["warehouse_id"], "quantity": 31}
                    ],
                }
            ]
        }
    )
    seller.products.update_inventory(product["id"], body=body)
    assert emu.stock_of("AO-1") == 31

    first = emu.create_order(lines=[{"sku": "MU-1", "quantity": 1}])
    second = emu.create_order(lines=[{"sku": "AO-1", "quantity": 2}], payment="prepaid")
    listed = seller.orders.get_order_list(page_size=20).to_dict()["data"]
    assert {o["id"] for o in listed["orders"]} == {first.id, second.id}
    details = seller.orders.get_order_detail(ids=[first.id, second.id]).to_dict()["data"]
    assert [o["status"] for o in details["orders"]] == ["AWAITING_SHIPMENT", "UNPAID"]

    renewed = auth.refresh(tokens.refresh_token)
    assert renewed.access_token != tokens.access_token


def test_tiktok_shop_api_fails_with_a_wrong_secret(emu):
    tts = pytest.importorskip("tiktok_shop_api")
    transport = httpx.WSGITransport(app=emu.wsgi_app)
    _auth, tokens = tokens_for(tts, emu, transport)
    client = tts.TikTokShop(
        emu.app_key,
        "wrong-secret",
        access_token=tokens.access_token,
        base_url=BASE,
        transport=transport,
    )
    with pytest.raises(tts.TikTokShopError) as caught:
        client.authorization.get_authorized_shops()
    assert caught.value.code == 106001 and caught.value.http_status == 401
    bad_auth = tts.TikTokShopAuth(emu.app_key, "wrong-secret", base_url=BASE, transport=transport)
    with pytest.raises(tts.TikTokShopError):
        bad_auth.refresh(tokens.refresh_token)
