"""Lazada's official Python SDK (PyPI ``lazop-sdk`` 1.0.3, module ``lazop_sdk``) works unchanged
against the emulator, and fails with a wrong app secret. Skipped when it is not installed.

The SDK uses ``requests`` (real sockets): the emulator is served on 127.0.0.1 for the test. At
import it creates ``~/logs`` for its error log; HOME points at a temporary folder here.
"""

import importlib
import importlib.util
import threading
from urllib.parse import parse_qs, urlsplit

import pytest
from werkzeug.serving import make_server

from emulators.lazada import LazadaEmulator

pytestmark = pytest.mark.skipif(
    importlib.util.find_spec("lazop_sdk") is None, reason="lazop-sdk not installed"
)

REDIRECT = "https://seller.example/marketplaces/oauth/lazada/callback/"


@pytest.fixture
def lazop(monkeypatch, tmp_path):
    monkeypatch.setenv("HOME", str(tmp_path))
    return importlib.import_module("lazop_sdk.base")


@pytest.fixture
def served():
    emu = LazadaEmulator()
    emu.seed_products(None, [{"name": "Áo thun", "sku": "AO-1", "price": 150000, "stock": 9}])
    server = make_server("127.0.0.1", 0, emu.wsgi_app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield emu, f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join(5)


def authorization_code(base_url, emu):
    import requests

    answer = requests.get(
        base_url + "/oauth/authorize",
        params={"response_type": "code", "client_id": emu.app_key, "redirect_uri": REDIRECT},
        allow_redirects=False,
        timeout=10,
    )
    assert answer.status_code == 302
    return parse_qs(urlsplit(answer.headers["Location"]).query)["code"][0]


def test_lazop_sdk_works_unchanged(lazop, served):
    emu, base_url = served
    auth = lazop.LazopClient(base_url + "/rest", emu.app_key, emu.app_secret)
    request = lazop.LazopRequest("/auth/token/create")
    request.add_api_param("code", authorization_code(base_url, emu))
    tokens = auth.execute(request)
    assert tokens.code == "0", tokens.body
    token = tokens.body["access_token"]

    client = lazop.LazopClient(base_url + "/rest", emu.app_key, emu.app_secret)
    request = lazop.LazopRequest("/products/get", "GET")
    request.add_api_param("filter", "live")
    request.add_api_param("limit", "10")
    answer = client.execute(request, token)
    assert answer.code == "0"
    sku = answer.body["data"]["products"][0]["skus"][0]
    assert sku["SellerSku"] == "AO-1"

    request = lazop.LazopRequest("/product/stock/sellable/update")
    request.add_api_param(
        "payload",
        "<Request><Product><Skus><Sku><SellerSku>AO-1</SellerSku>"
        "<SellableQuantity>55</SellableQuantity></Sku></Skus></Product></Request>",
    )
    assert client.execute(request, token).code == "0"
    assert emu.stock_of("AO-1") == 55

    order = emu.create_order(lines=[{"sku": "AO-1", "quantity": 1}])
    request = lazop.LazopRequest("/orders/get", "GET")
    request.add_api_param("created_after", "2020-01-01T00:00:00+07:00")
    answer = client.execute(request, token)
    assert [o["order_id"] for o in answer.body["data"]["orders"]] == [int(order.id)]

    request = lazop.LazopRequest("/auth/token/refresh")
    request.add_api_param("refresh_token", tokens.body["refresh_token"])
    assert auth.execute(request).body["access_token"] != token


def test_lazop_sdk_fails_with_a_wrong_secret(lazop, served):
    emu, base_url = served
    client = lazop.LazopClient(base_url + "/rest", emu.app_key, "wrong-secret")
    request = lazop.LazopRequest("/auth/token/create")
    request.add_api_param("code", authorization_code(base_url, emu))
    answer = client.execute(request)
    assert answer.code == "IncompleteSignature" and answer.type == "ISV"
