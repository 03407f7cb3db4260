"""A small shop for the chatbot tests: a warehouse in Hà Nội, a few products (an "áo thun" in
black and white, S/M/L; a desk lamp that is also black and white; sneakers; sunscreen), the
shop's bank account, GHN on its emulator; the chat emulators wired in-process (their webhooks
come back through our real webhook views)."""

import pytest
from django.test import Client
from django.utils import timezone

from donhang.accounts.services import api_key_create, shop_profile_update, user_create
from donhang.catalog import services as catalog
from donhang.chatbot import services
from donhang.core.integrations import register_transport
from donhang.customers.models import Ward
from donhang.inventory.models import Warehouse
from donhang.shipping import services as shipping
from emulators.common import Clock, FaultyTransport
from emulators.ghn import GhnEmulator
from emulators.messenger import MessengerEmulator
from emulators.openai_compat import OpenAICompatEmulator
from emulators.zalo_oa import ZaloOaEmulator
from emulators.zalo_oa.app import DEMO_ACCESS_TOKEN, DEMO_REFRESH_TOKEN

GHN_URL = "http://ghn.chatbot.test"
GRAPH_URL = "http://graph.chatbot.test/v25.0"
ZALO_URL = "http://zalo.chatbot.test"
LLM_URL = "http://llm.chatbot.test/v1"


@pytest.fixture
def warehouse(db):
    ward = Ward.objects.select_related("province").get(name="Phường Hoàn Kiếm")
    return Warehouse.objects.create(
        code="HN",
        name="Kho Hà Nội",
        priority=1,
        address_line="18 Hàng Bạc",
        ward=ward,
        province=ward.province,
        contact_name="Nguyễn Thị Lan",
        phone="+84912000111",
    )


@pytest.fixture
def shop(warehouse):
    """The products of the tests, with stock in the Hà Nội warehouse."""
    products = {
        "tee": catalog.product_create(
            name="Áo thun cotton basic cổ tròn",
            sku="AT-BASIC",
            attributes=[("Màu", "Đen, Trắng"), ("Size", "S, M, L")],
            defaults={"cost_price": 85_000, "sale_price": 159_000, "weight_g": 200},
            initial_stock={warehouse.pk: 12},
        ),
        "lamp": catalog.product_create(
            name="Đèn bàn LED chống cận",
            sku="DEN-BAN",
            attributes=[("Màu", "Trắng, Đen")],
            defaults={"cost_price": 140_000, "sale_price": 275_000, "weight_g": 700},
            initial_stock={warehouse.pk: 5},
        ),
        "sneaker": catalog.product_create(
            name="Giày sneaker trắng đế bằng",
            sku="GS-TRANG",
            attributes=[("Size", "37, 38, 39")],
            defaults={"cost_price": 280_000, "sale_price": 599_000, "weight_g": 700},
            initial_stock={warehouse.pk: 3},
        ),
        "sunscreen": catalog.product_create(
            name="Kem chống nắng SPF50+ 50ml",
            sku="KCN-SPF50",
            defaults={"cost_price": 85_000, "sale_price": 179_000, "weight_g": 90},
            initial_stock={warehouse.pk: 10},
        ),
    }
    shop_profile_update(
        actor=None,
        name="Shop Lan Nguyễn",
        bank_bin="970436",
        bank_account_number="1023456789",
        bank_account_holder="Nguyễn Thị Lan",
    )
    return products


def variant(product, *options):
    return next(v for v in product.variants.all() if v.options == list(options))


@pytest.fixture
def ghn(db):
    emulator = GhnEmulator(
        webhook_target=None, webhook_secret="x", seed=1, clock=Clock(timezone.now())
    )
    register_transport(GHN_URL, FaultyTransport(emulator.wsgi_app, emulator.faults))
    yield emulator
    register_transport(GHN_URL, None)


@pytest.fixture
def carrier(ghn, warehouse):
    return shipping.carrier_account_save(
        provider="ghn",
        name="GHN",
        environment="emulator",
        base_url=GHN_URL,
        credentials={"token": "demo-ghn-token"},
        options={"shop_id": 885},
        webhook_secret="x",
        pickup_warehouse=warehouse,
    )


@pytest.fixture
def bot(shop, carrier):
    """A shop ready to sell through the bot."""
    return shop


@pytest.fixture
def committed(django_capture_on_commit_callbacks):
    """Run what a block schedules after commit (tasks), as a real commit would."""
    return lambda: django_capture_on_commit_callbacks(execute=True)


@pytest.fixture
def owner(db):
    return user_create(username="chu-shop", password="mat-khau-dai-2026", role="owner")


@pytest.fixture
def api(db):
    """An API client with a sales key (what a shop's own channel would use)."""
    _key, raw = api_key_create(name="kênh riêng", role="sales")
    return Client(headers={"Authorization": f"Bearer {raw}"})


def say(api_client, text, conversation=None):
    response = api_client.post(
        "/api/v1/chatbot/messages",
        {"conversation": conversation, "text": text},
        content_type="application/json",
    )
    assert response.status_code == 200, response.content
    return response.json()


class Deliver:
    """An emulator's webhook target: our webhook view through Django's test client."""

    def __init__(self):
        self.client = Client()
        self.answers = []

    def __call__(self, method, path, headers, body):
        extra = {k: v for k, v in headers.items() if k.lower() != "content-type"}
        response = self.client.generic(
            method, path, data=body, content_type="application/json", headers=extra
        )
        self.answers.append(response.status_code)
        return response.status_code, response.content


@pytest.fixture
def deliver(db):
    return Deliver()


@pytest.fixture
def messenger(deliver):
    emulator = MessengerEmulator(webhook_target=deliver, seed=3, clock=Clock(timezone.now()))
    register_transport(GRAPH_URL, FaultyTransport(emulator.wsgi_app, emulator.faults))
    yield emulator
    register_transport(GRAPH_URL, None)


@pytest.fixture
def messenger_page(messenger, bot):
    return services.connection_save(
        kind="messenger",
        name="Trang Facebook",
        external_id=messenger.page_id,
        base_url=GRAPH_URL,
        credentials={
            "page_access_token": messenger.page_access_token,
            "app_secret": messenger.app_secret,
            "verify_token": messenger.verify_token,
        },
        actor=None,
    )


@pytest.fixture
def zalo(deliver):
    emulator = ZaloOaEmulator(webhook_target=deliver, seed=5, clock=Clock(timezone.now()))
    register_transport(ZALO_URL, FaultyTransport(emulator.wsgi_app, emulator.faults))
    yield emulator
    register_transport(ZALO_URL, None)


@pytest.fixture
def zalo_oa(zalo, bot):
    return services.connection_save(
        kind="zalo",
        name="Zalo OA",
        external_id=zalo.oa_id,
        base_url=ZALO_URL,
        auth_url=ZALO_URL,
        credentials={
            "app_id": zalo.app_id,
            "app_secret": zalo.app_secret,
            "oa_secret_key": zalo.oa_secret,
            "access_token": DEMO_ACCESS_TOKEN,
            "refresh_token": DEMO_REFRESH_TOKEN,
        },
        actor=None,
    )


@pytest.fixture
def llm(settings):
    emulator = OpenAICompatEmulator(api_key="test-key")
    register_transport(LLM_URL, FaultyTransport(emulator.wsgi_app, emulator.faults))
    settings.CHATBOT_LLM_BASE_URL = LLM_URL
    settings.CHATBOT_LLM_API_KEY = "test-key"
    settings.CHATBOT_LLM_MODEL = "test-model"
    yield emulator
    register_transport(LLM_URL, None)
