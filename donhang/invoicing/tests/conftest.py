"""E-invoice emulators wired in-process (our adapters reach them through httpx transports), the
demo shop's profile (its tax code is the emulators' seller), orders to invoice."""

import pytest
from django.utils import timezone

from donhang.accounts.models import ShopProfile
from donhang.accounts.services import user_create
from donhang.catalog import services as catalog
from donhang.core.integrations import register_transport
from donhang.customers.models import Ward
from donhang.inventory.models import Warehouse
from donhang.invoicing import services
from donhang.orders import services as orders
from emulators.common import Clock, FaultyTransport
from emulators.misa import MisaEmulator
from emulators.sinvoice import SInvoiceEmulator

SINVOICE_URL = "http://sinvoice.emulator.test"
MISA_URL = "http://misa.emulator.test/api/integration"
SHOP_TAX_CODE = "0107654326"
YY = timezone.localdate().year % 100


@pytest.fixture
def shop(db):
    ward = Ward.objects.select_related("province").get(name="Phường Hoàn Kiếm")
    return ShopProfile.objects.create(
        id=ShopProfile.SINGLETON_ID,
        name="Công ty TNHH Thời trang Lan Nguyễn",
        tax_code=SHOP_TAX_CODE,
        address_line="18 Hàng Bài",
        ward=ward,
        province=ward.province,
        phone="+842438251234",
        email="lienhe@thoitranglan.example.vn",
    )


@pytest.fixture
def sinvoice_emulator(db):
    emulator = SInvoiceEmulator(clock=Clock(timezone.now()), seed=1)
    register_transport(SINVOICE_URL, FaultyTransport(emulator.wsgi_app, emulator.faults))
    yield emulator
    register_transport(SINVOICE_URL, None)


@pytest.fixture
def misa_emulator(db):
    emulator = MisaEmulator(clock=Clock(timezone.now()), seed=1)
    register_transport(MISA_URL, FaultyTransport(emulator.wsgi_app, emulator.faults))
    yield emulator
    register_transport(MISA_URL, None)


@pytest.fixture
def sinvoice_template(shop, sinvoice_emulator):
    account = services.invoice_account_save(
        provider="sinvoice",
        name="S-Invoice",
        environment="emulator",
        base_url=SINVOICE_URL,
        credentials={"username": SHOP_TAX_CODE, "password": "demo-password"},
    )
    return services.invoice_template_save(
        account=account, kind="vat", template_code="1/001", series=f"C{YY}TAA", is_default=True
    )


@pytest.fixture
def misa_template(shop, misa_emulator):
    account = services.invoice_account_save(
        provider="misa",
        name="MISA",
        environment="emulator",
        base_url=MISA_URL,
        credentials={
            "app_id": "demo-misa-appid",
            "username": "demo@donhang.vn",
            "password": "demo-password",
        },
    )
    return services.invoice_template_save(
        account=account, kind="vat", template_code="1", series=f"C{YY}TAA"
    )


@pytest.fixture(params=["sinvoice", "misa"])
def provider(request):
    """(template, emulator) for each provider: the contract suite runs once per provider."""
    if request.param == "sinvoice":
        return request.getfixturevalue("sinvoice_template"), request.getfixturevalue(
            "sinvoice_emulator"
        )
    return request.getfixturevalue("misa_template"), request.getfixturevalue("misa_emulator")


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


COMPANY = orders.BuyerInput(
    kind="company",
    company_name="Công ty TNHH Thương mại Ánh Dương",
    tax_code="0100109106",
    address="18 Hàng Bạc, Phường Hoàn Kiếm, Thành phố Hà Nội",
    email="ketoan@anhduong.example",
    wants_invoice=True,
)


@pytest.fixture
def make_order(db, warehouse):
    """An order with a line at 8 % (a shirt) and one at 10 % (a phone case), 30,000 shipping
    paid by the buyer, confirmed; `stage` "shipping" hands it over."""
    counter = {"n": 0}

    def make(
        *,
        buyer=COMPANY,
        stage="shipping",
        lines=((165_000, "8", 2), (99_000, "10", 1)),
        fee=30_000,
        payment="cod",
        discounts=None,
        name="Trần Thị Bích Ngọc",
    ):
        counter["n"] += 1
        inputs = []
        for i, (price, rate, quantity) in enumerate(lines):
            product = catalog.product_create(
                name="Áo sơ mi lụa" if rate == "8" else "Ốp lưng điện thoại",
                sku=f"SP-{counter['n']}-{i}",
                defaults={"cost_price": 50_000, "sale_price": price, "vat_rate": rate},
                initial_stock={warehouse.pk: 100},
            )
            inputs.append(orders.LineInput(variant_id=product.variants.get().pk, quantity=quantity))
        ward = Ward.objects.get(name="Phường Sài Gòn")
        order = orders.order_create(
            channel="website",
            customer=orders.CustomerInput(
                name=name,
                phone=f"09031{counter['n']:05d}",
                email="ngoc@example.vn",
                address=orders.AddressInput(line="45 Lê Lợi", ward=ward.code),
            ),
            lines=inputs,
            shipping_fee=fee,
            payment_method=payment,
            buyer=buyer,
            discounts=discounts,
            confirm=True,
        )
        if stage == "shipping":
            orders.order_mark_packed(order=order)
            orders.order_hand_over(order=order)
        order.refresh_from_db()
        return order

    return make


@pytest.fixture
def accountant(db):
    return user_create(username="ketoan", password="mat-khau-dai-2026", role="accountant")


@pytest.fixture
def committed(django_capture_on_commit_callbacks):
    """Run what a block schedules after commit (tasks), as a real commit would."""
    return lambda: django_capture_on_commit_callbacks(execute=True)
