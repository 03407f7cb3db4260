import os
import shutil

import pytest


@pytest.fixture(autouse=True)
def _media_root(settings, tmp_path):
    # Uploaded files of a test never land in the real media folder.
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    # Real hashers are slow by design; tests only need hashing to work.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _immediate_tasks(settings):
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}


CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")


@pytest.fixture(scope="session")
def browser():
    """Debian's chromium driven by Playwright; never a downloaded browser."""
    if not shutil.which(CHROMIUM) and not os.path.exists(CHROMIUM):
        pytest.fail(f"{CHROMIUM} is missing: `make browser-deps` installs Debian's chromium")
    # Playwright's sync API runs an event loop in this thread; Django's ORM calls made by the
    # test itself (setting up data) are still synchronous and safe.
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(
            executable_path=CHROMIUM,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--no-first-run",
                "--disable-quic",
            ],
        )
        yield browser
        browser.close()


@pytest.fixture
def page(browser, live_server):
    context = browser.new_context(base_url=live_server.url, locale="vi-VN")
    context.set_default_timeout(15_000)
    page = context.new_page()
    yield page
    context.close()


@pytest.fixture
def hoan_kiem(db):
    """A real ward (Phường Hoàn Kiếm, Hà Nội) of the 2025 units."""
    from donhang.customers.models import Ward

    return Ward.objects.select_related("province").get(name="Phường Hoàn Kiếm")


@pytest.fixture
def place_order(db, hoan_kiem):
    """Take an order through the orders service with a valid Hà Nội address:
    place_order(("SKU", qty), …, phone=…, channel=…, any order_create keyword)."""
    from donhang.orders import services as orders
    from donhang.orders.models import Channel

    def place(*lines, phone="0912345678", channel=Channel.MANUAL_PHONE, **kwargs):
        return orders.order_create(
            channel=channel,
            customer=orders.CustomerInput(
                name=kwargs.pop("name", "Nguyễn Văn An"),
                phone=phone,
                address=orders.AddressInput(line="12 Hàng Bạc", ward=hoan_kiem.code),
            ),
            lines=[orders.LineInput(sku=sku, quantity=qty) for sku, qty in lines],
            **kwargs,
        )

    return place
