"""The demo: one shop of each platform on its emulator, connected by the scheduler once the
emulators answer, with three of their four demo products matched."""

import pytest
from django.conf import settings

from donhang.core.integrations import register_transport
from donhang.marketplaces import services
from donhang.marketplaces.demo import load_demo_marketplaces
from donhang.marketplaces.models import ConnectionStatus, Listing, ShopConnection
from donhang.marketplaces.tasks import authorize_emulator_shops_task
from donhang.marketplaces.tests.conftest import Platform

pytestmark = pytest.mark.django_db


@pytest.fixture
def demo_emulators(deliver, fake_time):
    """The three emulators where the demo expects them (the ports of the settings)."""
    platforms = []
    for code in ("shopee", "lazada", "tiktok_shop"):
        platform = Platform(code, deliver, fake_time)
        platform.emu.redirect_url = getattr(platform.emu, "redirect_url", None) and (
            "http://127.0.0.1:8000/marketplaces/oauth/tiktok_shop/callback/"
        )
        platform.emu.seed_products(None, DEMO_PRODUCTS)
        root = f"http://127.0.0.1:{settings.MARKETPLACE_EMULATOR_PORTS[code]}"
        register_transport(root, platform.transport)
        register_transport(root + "/rest", platform.transport)
        platforms.append((platform, root))
    yield [p for p, _root in platforms]
    for platform, root in platforms:
        register_transport(root, None)
        register_transport(root + "/rest", None)
        platform.close()


DEMO_PRODUCTS = [
    {"name": "Bình giữ nhiệt inox 500ml", "sku": "MKT-BINH-500", "price": 189000, "stock": 40},
    {"name": "Túi tote canvas in chữ", "sku": "MKT-TOTE", "price": 129000, "stock": 25},
    {
        "name": "Áo thun cotton unisex",
        "tiers": [{"name": "Size", "options": ["M", "L"]}],
        "variants": [
            {"sku": "MKT-AO-M", "price": 159000, "stock": 15, "options": ["M"]},
            {"sku": "MKT-AO-L", "price": 159000, "stock": 12, "options": ["L"]},
        ],
    },
]


def test_the_demo_shops_connect_themselves_to_the_emulators(
    demo_emulators, warehouse, committed, settings
):
    settings.MARKETPLACE_CALLS_PER_SECOND = 0
    made = load_demo_marketplaces(actor=None, warehouse=warehouse)
    assert len(made) == 3 and all(c.status == ConnectionStatus.PENDING for c in made)
    assert load_demo_marketplaces(actor=None, warehouse=warehouse) == []  # safe to run again

    with committed():
        done = authorize_emulator_shops_task.enqueue().return_value

    assert sorted(done) == sorted(c.pk for c in made)
    for connection in ShopConnection.objects.all():
        assert connection.is_connected, connection.last_error
        listings = Listing.objects.filter(connection=connection)
        assert listings.filter(variant__isnull=False).count() == 3
        assert list(listings.filter(variant__isnull=True).values_list("seller_sku", flat=True)) == [
            "MKT-TOTE"
        ]
    # Nothing to do the next minute.
    assert services.connections_emulator_authorize() == []
