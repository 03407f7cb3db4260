"""Issue 9: the buyer's tracking page is rate limited per client address and per code, finds an
order by its tracking number too, and never shows a name or an address."""

import pytest
from django.core.cache import cache
from django.test import Client
from django.utils import timezone

from donhang.shipping import services
from donhang.shipping.carriers.ports import ShipmentStatus, WebhookEvent

pytestmark = pytest.mark.django_db

TRACK = "/shipping/track/"


@pytest.fixture(autouse=True)
def fresh_counts():
    cache.clear()
    yield
    cache.clear()


def results(html: str) -> str:
    """The page below the lookup form (the form echoes what was typed)."""
    return html.split('id="tracking-form"')[1].split("</form>", 1)[1]


def client_at(address: str, language: str = "") -> Client:
    client = Client(REMOTE_ADDR=address)
    if language:
        client.cookies["donhang_language"] = language
    return client


def test_lookups_from_one_address_are_limited(packed_order, settings):
    settings.TRACKING_LOOKUPS_PER_ADDRESS = 3
    order = packed_order(phone="0903111222")
    buyer = client_at("198.51.100.7")
    for _ in range(3):
        assert buyer.get(TRACK, {"code": order.code, "phone": "0903111222"}).status_code == 200

    refused = buyer.get(TRACK, {"code": order.code, "phone": "0903111222"})

    assert refused.status_code == 429
    assert int(refused["Retry-After"]) == settings.TRACKING_LOOKUP_WINDOW_SECONDS
    assert "Quá nhiều lượt tra cứu" in refused.text or "Too many lookups" in refused.text
    assert 'id="tracking-error"' in refused.text
    # another address is not held back; an English reader is told in English
    assert client_at("198.51.100.8").get(TRACK, {"code": order.code, "phone": "0903111222"})
    for _ in range(3):
        client_at("198.51.100.9", "en").get(TRACK, {"code": "DH000000", "phone": "0903111222"})
    english = client_at("198.51.100.9", "en").get(
        TRACK, {"code": "DH000000", "phone": "0903111222"}
    )
    assert english.status_code == 429 and "Too many lookups" in english.text
    # opening the page without a lookup is never counted
    assert buyer.get(TRACK).status_code == 200


def test_failed_lookups_of_one_order_code_are_limited_whatever_the_address(packed_order, settings):
    settings.TRACKING_FAILURES_PER_CODE = 4
    order = packed_order(phone="0903111222")
    # Someone guesses phone numbers for a known order code, from many addresses
    for n in range(4):
        guess = client_at(f"203.0.113.{n}").get(
            TRACK, {"code": order.code, "phone": f"090300{n:04d}"}
        )
        assert guess.status_code == 200 and order.code not in results(guess.text)

    # Then the code is held back, even with the right phone from a new address
    held = client_at("203.0.113.200").get(TRACK, {"code": order.code, "phone": "0903111222"})
    assert held.status_code == 429
    # Other orders are not
    other = packed_order(phone="0903444555")
    found = client_at("203.0.113.201").get(TRACK, {"code": other.code, "phone": "0903444555"})
    assert found.status_code == 200 and other.code in results(found.text)


def test_lookup_by_tracking_number_and_phone(ghn_account, ghn, packed_order, committed):
    order = packed_order(phone="0903111222")
    with committed():
        shipment = services.shipment_create(order=order, account=ghn_account)
    shipment.refresh_from_db()
    assert shipment.tracking_code

    found = client_at("192.0.2.1", "en").get(
        TRACK, {"code": shipment.tracking_code.lower(), "phone": "0903 111 222"}
    )
    wrong_phone = client_at("192.0.2.2", "en").get(
        TRACK, {"code": shipment.tracking_code, "phone": "0903 999 888"}
    )

    assert found.status_code == 200
    assert f"Order {order.code}" in found.text and shipment.tracking_code in found.text
    assert f"Order {order.code}" not in wrong_phone.text
    assert "No order matches this code and phone number." in wrong_phone.text


def test_the_page_never_shows_a_name_or_an_address(ghn_account, ghn, packed_order, committed):
    order = packed_order(phone="0903111222")
    with committed():
        shipment = services.shipment_create(order=order, account=ghn_account)
    shipment.refresh_from_db()
    # A carrier's own words may name the recipient and the street
    services.shipment_apply_event(
        shipment=shipment,
        event=WebhookEvent(
            tracking_code=shipment.tracking_code,
            reference=shipment.reference,
            carrier_status="delivering",
            status=ShipmentStatus.DELIVERING,
            at=timezone.now(),
            description="Giao cho Trần Thị Bích Ngọc, 45 Lê Lợi",
        ),
        source="webhook",
    )
    order.refresh_from_db()

    for code in (order.code, shipment.tracking_code):
        html = client_at("192.0.2.9").get(TRACK, {"code": code, "phone": "0903111222"}).text
        assert order.code in html and shipment.tracking_code in html
        for private in (
            order.customer_name,
            order.shipping_name or order.customer_name,
            order.shipping_address_line,
            order.shipping_ward.name,
            "ngoc@example.vn",
            "Lê Lợi",
        ):
            assert private not in html, private
