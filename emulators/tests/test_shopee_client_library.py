"""A published Shopee client (PyPI ``pyshopee`` 1.4.0, module ``pyshopee2``) works unchanged
against the emulator, and fails with a wrong partner key. Skipped when it is not installed.

``pyshopee2`` uses ``requests`` (real sockets), so the emulator is served on 127.0.0.1 for the
test. It imports ``selenium`` at import time (only its browser helper uses it; the dependency is
undeclared), so a stand-in module is provided when selenium is absent.
"""

import importlib
import importlib.util
import sys
import threading
import types
from urllib.parse import parse_qs, urlsplit

import pytest
from werkzeug.serving import make_server

from emulators.shopee import ShopeeEmulator

pytestmark = pytest.mark.skipif(
    importlib.util.find_spec("pyshopee2") is None or importlib.util.find_spec("requests") is None,
    reason="pyshopee (and requests) not installed",
)

REDIRECT = "https://seller.example/marketplaces/oauth/shopee/callback/"


@pytest.fixture
def pyshopee2(monkeypatch):
    if importlib.util.find_spec("selenium") is None:
        selenium = types.ModuleType("selenium")
        selenium.webdriver = types.ModuleType("selenium.webdriver")
        monkeypatch.setitem(sys.modules, "selenium", selenium)
        monkeypatch.setitem(sys.modules, "selenium.webdriver", selenium.webdriver)
    return importlib.import_module("pyshopee2")


@pytest.fixture
def served():
    emu = ShopeeEmulator()
    emu.seed_products(
        None,
        [
            {"name": "Áo thun", "sku": "AO-1", "price": 150000, "stock": 9},
            {"name": "Mũ", "sku": "MU-1", "price": 50000, "stock": 4},
        ],
    )
    server = make_server("127.0.0.1", 0, emu.wsgi_app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield emu, f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join(5)


def connected_client(pyshopee2, emu, base_url, key=None):
    import requests

    client = pyshopee2.Client(0, emu.partner_id, key or emu.partner_key, REDIRECT)
    client.host = base_url
    link = client.shop_authorization(REDIRECT)
    answer = requests.get(link, allow_redirects=False, timeout=10)
    assert answer.status_code == 302, answer.text
    back = parse_qs(urlsplit(answer.headers["Location"]).query)
    client.code, client.shop_id = back["code"][0], int(back["shop_id"][0])
    client.get_token()
    return client


def test_pyshopee_works_unchanged(pyshopee2, served):
    emu, base_url = served
    client = connected_client(pyshopee2, emu, base_url)
    assert client.shop.get_shop_info()["shop_name"] == "Shop Demo donhang (Shopee)"
    items = client.product.get_item_list(offset=0, page_size=10, item_status=["NORMAL"])
    ids = [i["item_id"] for i in items["response"]["item"]]
    assert len(ids) == 2
    info = client.product.get_item_base_info(item_id_list=ids)["response"]["item_list"]
    item = next(i for i in info if i["item_sku"] == "AO-1")
    answer = client.product.update_stock(
        item_id=item["item_id"], stock_list=[{"model_id": 0, "seller_stock": [{"stock": 77}]}]
    )
    assert answer["error"] == "" and emu.stock_of("AO-1") == 77
    order = emu.create_order(lines=[{"sku": "MU-1", "quantity": 1}])
    now = emu.clock.timestamp()
    listed = client.order.get_order_list(
        time_range_field="create_time", time_from=now - 60, time_to=now + 60, page_size=10
    )
    assert [o["order_sn"] for o in listed["response"]["order_list"]] == [order.id]
    detail = client.order.get_order_detail(
        order_sn_list=order.id, response_optional_fields="item_list,total_amount"
    )
    assert detail["response"]["order_list"][0]["item_list"][0]["model_sku"] == "MU-1"
    old = client.access_token
    client.get_access_token(client.shop_id, emu.partner_id, emu.partner_key, client.refresh_token)
    assert client.access_token != old
    assert client.shop.get_shop_info()["error"] == ""
    answer = client.push.set_push_config(callback_url="https://seller.example/hook")
    assert answer["error"] == "" and emu.push_url == "https://seller.example/hook"


def test_pyshopee_fails_with_a_wrong_partner_key(pyshopee2, served):
    emu, base_url = served
    client = connected_client(pyshopee2, emu, base_url)
    client.partner_key = "shpk-wrong-key"
    answer = client.shop.get_shop_info()
    assert answer["error"] == "error_sign"
