"""Marketplace emulators wired in-process: our clients reach them through httpx transports,
their pushes come back through our real push view, and the seller's authorization goes through
our real pages (connect → the platform's authorize page → our callback)."""

from __future__ import annotations

import importlib
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from django.test import Client
from django.utils import timezone

from donhang.accounts.services import user_create
from donhang.catalog import services as catalog
from donhang.core.integrations import register_transport
from donhang.inventory.models import Warehouse
from donhang.marketplaces.http import Throttle, register_throttle
from donhang.marketplaces.models import ShopConnection
from emulators.common import Clock, FaultyTransport

HOSTS = {
    "shopee": "http://shopee.emulator.test",
    "lazada": "http://lazada.emulator.test",
    "tiktok_shop": "http://tiktok.emulator.test",
}
PUSH_PATH = "/marketplaces/webhooks/{platform}/"
PLATFORMS = ["shopee", "lazada", "tiktok_shop"]


class FakeTime:
    """The emulators' rate-limit clock: moves only when the client sleeps (no real waiting)."""

    def __init__(self):
        self.now = 1000.0
        self.slept = 0.0

    def __call__(self):
        return self.now

    def sleep(self, seconds):
        self.now += seconds
        self.slept += seconds


class Deliver:
    """A push target: POSTs to our push view; counts the answers."""

    def __init__(self):
        self.client = Client()
        self.statuses = []

    def __call__(self, method, path, headers, body):
        extra = {k: v for k, v in headers.items() if k.lower() != "content-type"}
        response = self.client.generic(
            method, path, data=body, content_type="application/json", headers=extra
        )
        self.statuses.append(response.status_code)
        return response.status_code


def _emulator_module(platform: str):
    try:
        return importlib.import_module(f"emulators.{platform}")
    except ImportError:
        pytest.skip(f"the {platform} emulator is not there yet")


class Platform:
    """One platform's emulator and what our side needs to reach it."""

    def __init__(self, platform: str, deliver: Deliver, fake_time: FakeTime):
        self.platform = platform
        self.fake_time = fake_time
        module = _emulator_module(platform)
        push_url = "http://testserver" + PUSH_PATH.format(platform=platform)
        if platform == "shopee":
            emu = module.ShopeeEmulator(
                push_url=push_url,
                push_target=deliver,
                rate_time=fake_time,
                clock=Clock(timezone.now()),
            )
            self.credentials = {"partner_id": str(emu.partner_id), "partner_key": emu.partner_key}
            self.base_url = HOSTS[platform]
        elif platform == "lazada":
            emu = module.LazadaEmulator(
                push_url=push_url,
                push_target=deliver,
                rate_time=fake_time,
                clock=Clock(timezone.now()),
            )
            self.credentials = {"app_key": str(emu.app_key), "app_secret": emu.app_secret}
            self.base_url = HOSTS[platform] + "/rest"
        else:
            emu = module.TiktokShopEmulator(
                redirect_url=f"http://testserver/marketplaces/oauth/{platform}/callback/",
                push_url=push_url,
                push_target=deliver,
                rate_time=fake_time,
                clock=Clock(timezone.now()),
            )
            self.credentials = {
                "app_key": str(emu.app_key),
                "app_secret": emu.app_secret,
                "service_id": str(getattr(emu, "service_id", "") or ""),
            }
            self.base_url = HOSTS[platform]
        self.emu = emu
        self.transport = FaultyTransport(emu.wsgi_app, emu.faults)
        register_transport(HOSTS[platform], self.transport)
        if platform == "lazada":
            register_transport(self.base_url, self.transport)

    def close(self):
        register_transport(HOSTS[self.platform], None)
        register_transport(self.base_url, None)

    def browser(self) -> httpx.Client:
        """The seller's browser on the platform's pages (authorize)."""
        return httpx.Client(transport=self.transport, follow_redirects=False)

    def seed(self, products: list[dict]):
        return self.emu.seed_products(None, products)

    def stock(self, sku: str) -> int | None:
        return self.emu.stock_of(sku)


@pytest.fixture
def fake_time():
    """Our clients wait on the same fake clock as the emulators' rate limits: a "wait a
    second" costs no real time."""
    clock = FakeTime()
    register_throttle("*", Throttle(0, clock=clock, sleep=clock.sleep))
    yield clock
    register_throttle("*", None)


@pytest.fixture
def deliver(db):
    return Deliver()


@pytest.fixture(params=PLATFORMS)
def marketplace(request, deliver, fake_time):
    """Each platform's emulator in turn: the contract suite and the end-to-end tests run once
    per platform."""
    platform = Platform(request.param, deliver, fake_time)
    yield platform
    platform.close()


@pytest.fixture
def shopee(deliver, fake_time):
    platform = Platform("shopee", deliver, fake_time)
    yield platform
    platform.close()


@pytest.fixture
def warehouse(db, hoan_kiem):
    return Warehouse.objects.create(
        code="HN",
        name="Kho Hà Nội",
        priority=1,
        address_line="18 Hàng Bạc",
        ward=hoan_kiem,
        province=hoan_kiem.province,
        contact_name="Nguyễn Thị Lan",
        phone="+84912000111",
    )


@pytest.fixture
def manager(db):
    return user_create(username="quanly", password="mat-khau-123", role="manager")


@pytest.fixture
def staff_client(manager):
    client = Client()
    client.force_login(manager)
    return client


@pytest.fixture
def committed(django_capture_on_commit_callbacks):
    """Run what a block schedules after commit (tasks), as a real commit would."""
    return lambda: django_capture_on_commit_callbacks(execute=True)


@pytest.fixture
def our_product(warehouse):
    """make(sku, stock, price): one of our products (one variant) with stock in the warehouse."""

    def make(sku: str, stock: int = 10, price: int = 150_000, name: str | None = None):
        product = catalog.product_create(
            name=name or f"Sản phẩm {sku}",
            sku=sku,
            defaults={"cost_price": 80_000, "sale_price": price, "weight_g": 300},
            initial_stock={warehouse.pk: stock} if stock else None,
        )
        return product.variants.get()

    return make


@pytest.fixture
def connect(staff_client, committed):
    """connect(platform) → the connected ShopConnection, through our pages and the platform's
    authorize page, as a seller would."""

    def run(platform: Platform, name: str | None = None) -> ShopConnection:
        with committed():
            response = staff_client.post(
                "/marketplaces/connect/",
                {
                    "platform": platform.platform,
                    "name": name or f"{platform.platform} test",
                    "app_key": next(iter(platform.credentials.values())),
                    "app_secret": list(platform.credentials.values())[1],
                    "service_id": platform.credentials.get("service_id", ""),
                    "environment": "emulator",
                    "base_url": platform.base_url,
                },
            )
            assert response.status_code == 302, response.content.decode()[:2000]
            authorize = response["Location"]
            with platform.browser() as browser:
                answer = browser.get(authorize)
            assert answer.status_code in (302, 303), answer.text
            back = urlsplit(answer.headers["location"])
            assert back.path == f"/marketplaces/oauth/{platform.platform}/callback/", back
            callback = staff_client.get(back.path + "?" + back.query)
            assert callback.status_code == 302, callback
        connection = ShopConnection.objects.get(name=name or f"{platform.platform} test")
        assert connection.is_connected, connection.last_error
        return connection

    return run


def query_of(url: str) -> dict:
    return {k: v[0] for k, v in parse_qs(urlsplit(url).query).items()}
