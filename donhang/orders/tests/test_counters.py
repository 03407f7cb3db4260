"""Orders per status kept as counters: exact after every change, never a count of the orders on
the list's own request, bounded ("50+") for searches."""

import re

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from donhang.orders import counters, selectors, services
from donhang.orders.models import Order, OrderCount, Status, SubState

pytestmark = pytest.mark.django_db


def _actual(**filters) -> dict[str, int]:
    counts = {}
    for status in Order.objects.filter(**filters).values_list("status", flat=True):
        counts[status] = counts.get(status, 0) + 1
    counts["all"] = sum(counts.values())
    return counts


@pytest.fixture
def client_owner(client, owner):
    client.cookies["donhang_language"] = "en"
    client.force_login(owner)
    return client


def test_counters_follow_every_change_of_status_and_step(make_variant, place_order):
    make_variant("AT01", stock=3)
    full = place_order(("AT01", 1))
    short = place_order(("AT01", 5), phone="0987654321")  # waits for stock
    shopee = place_order(("AT01", 1), phone="0987654322", channel="shopee")
    cancelled = place_order(("AT01", 1), phone="0987654323")

    services.order_confirm(order=full)
    services.order_mark_packed(order=full)
    services.order_confirm(order=short)
    services.order_cancel(order=cancelled, reason="Khách đổi ý")

    assert counters.order_counts_get() == _actual()
    assert counters.order_counts_get(channel="shopee") == _actual(channel="shopee")
    assert counters.order_counts_get(sub_state=SubState.AWAITING_STOCK) == _actual(
        sub_state=SubState.AWAITING_STOCK
    )
    assert counters.order_counts_by_state()[(Status.PROCESSING, SubState.READY_TO_SHIP)] == 1
    assert counters.order_counters_drift() == []
    assert shopee.status == Status.NEW


def test_folding_the_deltas_keeps_the_sums(make_variant, place_order, monkeypatch):
    monkeypatch.setattr(counters, "COMPACT_EVERY", 3)
    make_variant("AT01", stock=50)
    orders = [place_order(("AT01", 1), phone=f"09876543{i:02d}") for i in range(7)]
    for order in orders[:4]:
        services.order_confirm(order=order)

    assert counters.order_counters_drift() == []
    assert counters.order_counts_get() == _actual()
    # 7 intakes and 4 moves wrote 15 deltas: folded along the way into a few rows.
    assert OrderCount.objects.count() < 8


def test_rebuild_command_finds_and_fixes_drift(make_variant, place_order):
    make_variant("AT01", stock=5)
    order = place_order(("AT01", 1))
    call_command("order_counts", "--check")  # nothing drifted

    # A change made around the services (a hand-made fix in the database) drifts the counters.
    Order.objects.filter(pk=order.pk).update(status=Status.CANCELLED)
    with pytest.raises(CommandError, match="drifted"):
        call_command("order_counts", "--check")

    call_command("order_counts", "--rebuild")
    call_command("order_counts", "--check")
    assert counters.order_counts_get() == {Status.CANCELLED: 1, "all": 1}


def test_list_page_reads_the_counters_not_the_orders(client_owner, make_variant, place_order):
    make_variant("AT01", stock=10)
    place_order(("AT01", 1))
    services.order_confirm(order=place_order(("AT01", 1), phone="0987654321"))

    with CaptureQueriesContext(connection) as ctx:
        response = client_owner.get(reverse("orders:order_list"))

    html = response.content.decode()
    assert re.search(r'data-status-tab="all".*?tab-count"[^>]*>2<', html, re.S)
    assert re.search(r'data-status-tab="processing".*?tab-count"[^>]*>1<', html, re.S)
    assert 'title="Exact count"' in html
    order_counts = [
        q["sql"]
        for q in ctx.captured_queries
        if "COUNT(" in q["sql"].upper() and '"orders_order"' in q["sql"]
    ]
    assert order_counts == []  # no count over the orders on the page's own request


def test_filter_counts_stop_at_the_bound(client_owner, make_variant, place_order, monkeypatch):
    monkeypatch.setattr(selectors, "COUNT_BOUND", 2)
    make_variant("AT01", stock=10)
    for i in range(3):
        place_order(("AT01", 1), phone=f"098765432{i}", payment_method="bank_transfer")
    place_order(("AT01", 1), phone="0987654329")

    response = client_owner.get(reverse("orders:order_list"), {"payment_method": "bank_transfer"})

    html = response.content.decode()
    assert len(re.findall(r'data-order-code="', html)) == 3  # the rows: every match
    assert re.search(r'data-status-tab="new".*?tab-count"[^>]*>2\+<', html, re.S)
    assert re.search(r'data-status-tab="cancelled".*?tab-count"[^>]*>0<', html, re.S)
    assert 'id="tab-counts-note"' in html


def test_a_search_reads_its_matches_once(make_variant, place_order, monkeypatch):
    make_variant("AT01", stock=10)
    hoa = [place_order(("AT01", 1), phone=f"098765432{i}", name="Lê Thị Hoa") for i in range(3)]
    services.order_confirm(order=hoa[0])
    place_order(("AT01", 1), phone="0987654329", name="Phạm Văn Nam")
    search = selectors.OrderFilters(q="le thi hoa")

    with CaptureQueriesContext(connection) as ctx:
        page = selectors.order_list(filters=search, limit=2)

    assert [o.pk for o in page.orders] == [hoa[2].pk, hoa[1].pk]
    assert page.counts["all"] == 3 and page.counts[Status.PROCESSING] == 1 and page.counts_exact
    assert len(ctx.captured_queries) == 2  # the matches (ids, statuses), the page's rows
    older = selectors.order_list(filters=search, limit=2, after=page.next_cursor)
    assert [o.pk for o in older.orders] == [hoa[0].pk] and older.next_cursor is None
    newer = selectors.order_list(filters=search, limit=2, before=older.prev_cursor)
    assert [o.pk for o in newer.orders] == [hoa[2].pk, hoa[1].pk]
    tab = selectors.order_list(filters=selectors.OrderFilters(q="le thi hoa", status="new"))
    assert [o.pk for o in tab.orders] == [hoa[2].pk, hoa[1].pk]

    # More matches than the window: the counts are "at least"; a page beyond it is read as usual.
    monkeypatch.setattr(selectors, "SEARCH_WINDOW", 2)
    page = selectors.order_list(filters=search, limit=1)
    assert page.counts["all"] == 2 and "all" in page.counts_capped
    assert [o.pk for o in page.orders] == [hoa[2].pk]
    far = selectors.order_list(filters=search, limit=1, after=hoa[1].pk)
    assert [o.pk for o in far.orders] == [hoa[0].pk]


def test_api_list_says_which_counts_are_bounded(
    api_manager, make_variant, place_order, monkeypatch
):
    monkeypatch.setattr(selectors, "COUNT_BOUND", 1)
    make_variant("AT01", stock=10)
    place_order(("AT01", 1), phone="0987654320", payment_method="bank_transfer")
    place_order(("AT01", 1), phone="0987654321", payment_method="bank_transfer")

    body = api_manager.get("/api/v1/orders", {"payment_method": "bank_transfer"}).json()
    assert body["counts"]["new"] == 1 and sorted(body["counts_at_least"]) == ["all", "new"]

    body = api_manager.get("/api/v1/orders").json()
    assert body["counts"]["new"] == 2 and body["counts_at_least"] == []
