import pytest
from django.urls import reverse

from donhang.core.models import AuditEntry
from donhang.inventory.models import Reservation, StockLevel, StockMovement, Warehouse
from donhang.inventory.services import stock_initial_post
from donhang.orders.models import AllocationStrategy, Channel, ChannelRule, SubState

pytestmark = pytest.mark.django_db


@pytest.fixture
def hanoi(db):
    return Warehouse.objects.create(code="HN", name="Kho Hà Nội", priority=1)


@pytest.fixture
def saigon(db):
    return Warehouse.objects.create(code="HCM", name="Kho Sài Gòn", priority=2)


def _level(variant, warehouse):
    return StockLevel.objects.get(variant=variant, warehouse=warehouse)


def _reserved_from(order):
    return sorted(
        Reservation.objects.filter(order_line__order=order).values_list(
            "warehouse__code", flat=True
        )
    )


# --- stock adjustment ------------------------------------------------------------------------


def test_only_managers_see_and_post_the_adjustment_form(login, variant, hanoi):
    url = reverse("inventory:variant_stock", args=[variant.pk])
    sales = login("sales")
    page = sales.get(url)
    assert page.status_code == 200
    assert 'id="adjust-form"' not in page.content.decode()
    refused = sales.post(url, {"warehouse": hanoi.pk, "delta": 5, "reason": "Tìm thấy"})
    assert refused.status_code == 403
    assert not StockMovement.objects.exists()


def test_adjustment_posts_a_movement_to_the_ledger(login, english, variant, hanoi):
    stock_initial_post(variant=variant, quantities={hanoi.pk: 3})
    client = login("manager")
    url = reverse("inventory:variant_stock", args=[variant.pk])
    assert 'id="adjust-form"' in client.get(url).content.decode()
    response = client.post(url, {"warehouse": hanoi.pk, "delta": "5", "reason": "Kiểm kho thừa"})
    assert response.status_code == 302
    assert response["Location"] == url
    movement = StockMovement.objects.get(kind=StockMovement.Kind.ADJUSTMENT)
    assert (movement.delta, movement.reason, movement.actor.username) == (
        5,
        "Kiểm kho thừa",
        "manager",
    )
    assert _level(variant, hanoi).on_hand == 8
    page = client.get(url).content.decode()
    assert "Kiểm kho thừa" in page
    assert "changed by +5" in page


def test_a_refused_adjustment_changes_nothing(login, english, variant, hanoi, place_order):
    stock_initial_post(variant=variant, quantities={hanoi.pk: 3})
    place_order((variant.sku, 2))  # 2 of the 3 are held for an order
    client = login("manager")
    url = reverse("inventory:variant_stock", args=[variant.pk])
    before = StockMovement.objects.count()
    response = client.post(url, {"warehouse": hanoi.pk, "delta": "-2", "reason": "Hỏng"})
    assert response.status_code == 200
    form = response.context["adjust_form"]
    assert "delta" in form.errors
    assert "Not enough stock" in " ".join(form.non_field_errors())
    assert StockMovement.objects.count() == before
    level = _level(variant, hanoi)
    assert (level.on_hand, level.reserved) == (3, 2)

    no_reason = client.post(url, {"warehouse": hanoi.pk, "delta": "1", "reason": "  "})
    assert "reason" in no_reason.context["adjust_form"].errors
    zero = client.post(url, {"warehouse": hanoi.pk, "delta": "0", "reason": "x"})
    assert "delta" in zero.context["adjust_form"].errors
    assert StockMovement.objects.count() == before


def test_added_stock_goes_to_a_waiting_order(login, variant, hanoi, place_order):
    stock_initial_post(variant=variant, quantities={hanoi.pk: 1})
    order = place_order((variant.sku, 3))
    assert order.sub_state == SubState.AWAITING_STOCK
    client = login("owner")
    client.post(
        reverse("inventory:variant_stock", args=[variant.pk]),
        {"warehouse": hanoi.pk, "delta": "2", "reason": "Nhập bù"},
    )
    order.refresh_from_db()
    assert order.sub_state == SubState.NONE
    assert _level(variant, hanoi).reserved == 3


# --- channel rules ---------------------------------------------------------------------------


def test_channel_rules_page_needs_change_warehouse(login, english):
    url = reverse("inventory:channel_rules")
    assert login("sales").get(url).status_code == 403


def test_channel_rule_decides_where_a_new_order_reserves(
    login, english, variant, hanoi, saigon, place_order
):
    stock_initial_post(variant=variant, quantities={hanoi.pk: 5, saigon.pk: 8})
    before = place_order((variant.sku, 1), channel=Channel.WEBSITE)
    assert _reserved_from(before) == ["HN"]  # no rule: priority order

    manager = login("manager")
    page = manager.get(reverse("inventory:channel_rules"))
    assert page.status_code == 200
    body = page.content.decode()
    assert "Website" in body
    assert "TikTok Shop" in body
    response = manager.post(
        reverse("inventory:channel_rules"),
        {
            "channel": "website",
            "website-strategy": AllocationStrategy.PRIORITY,
            "website-warehouses": [saigon.pk],
        },
    )
    assert response.status_code == 302
    rule = ChannelRule.objects.get(channel="website")
    assert [w.code for w in rule.warehouses.all()] == ["HCM"]
    assert AuditEntry.objects.filter(action="channel_rule.set", object_id=str(rule.pk)).exists()

    after = place_order((variant.sku, 1), channel=Channel.WEBSITE)
    assert _reserved_from(after) == ["HCM"]
    # Other channels keep the default, and orders already taken keep their stock.
    assert _reserved_from(place_order((variant.sku, 1), channel=Channel.MANUAL_PHONE)) == ["HN"]
    assert _reserved_from(before) == ["HN"]

    page = manager.get(reverse("inventory:channel_rules"))
    website_form = dict((row.channel, form) for row, form in page.context["forms"])["website"]
    assert website_form.initial["warehouses"] == [saigon.pk]


def test_most_stock_rule_over_every_warehouse(login, variant, hanoi, saigon, place_order):
    stock_initial_post(variant=variant, quantities={hanoi.pk: 5, saigon.pk: 8})
    manager = login("manager")
    manager.post(
        reverse("inventory:channel_rules"),
        {"channel": "shopee", "shopee-strategy": AllocationStrategy.MOST_STOCK},
    )
    rule = ChannelRule.objects.get(channel="shopee")
    assert (rule.strategy, list(rule.warehouses.all())) == (AllocationStrategy.MOST_STOCK, [])
    order = place_order((variant.sku, 2), channel=Channel.SHOPEE, external_id="SP-9")
    assert _reserved_from(order) == ["HCM"]


def test_channel_rule_refuses_unknown_warehouses(login, hanoi):
    manager = login("manager")
    response = manager.post(
        reverse("inventory:channel_rules"),
        {"channel": "website", "website-strategy": "priority", "website-warehouses": [99999]},
    )
    assert response.status_code == 200
    forms = dict((row.channel, form) for row, form in response.context["forms"])
    assert "warehouses" in forms["website"].errors
    assert not ChannelRule.objects.exists()
    bad_channel = manager.post(reverse("inventory:channel_rules"), {"channel": "fax"})
    assert bad_channel.status_code == 400
