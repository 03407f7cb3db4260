"""The statements of the hot paths, pinned: one API order of three lines, the order list and the
order page. A change that adds a statement (or one per row) fails here first; the counts say
what each statement is for. BEGIN and COMMIT are left out (SQLite logs them, PostgreSQL not)."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from donhang.orders import services
from donhang.orders.tests.conftest import api_client, order_payload


def _statements(ctx) -> list[str]:
    return [q["sql"] for q in ctx.captured_queries if not q["sql"].startswith(("BEGIN", "COMMIT"))]


def _explain(statements: list[str]) -> str:
    return "\n".join(f"{i + 1:2}. {sql[:140]}" for i, sql in enumerate(statements))


# One API order of 3 lines, a new customer, with an Idempotency-Key:
#  key (role and creator with it; the role's permissions are cached) · idempotency lookup ·
#  variants (with their products) · [customers: customer by its phone, insert, audit, address;
#  no savepoint] · warehouses with the channel's rule (one statement) · stock levels locked ·
#  order · lines · VAT rows · stock levels · reservations · stock-changed records · order code ·
#  timeline · counter · idempotency record. The ward (with its province) is read once per
#  process. (Before issue 16: 37.)
API_ORDER_STATEMENTS = 19


@pytest.mark.django_db(transaction=True)  # as in production: no test transaction around it
def test_one_api_order_of_three_lines(make_variant, hoan_kiem):
    for sku in ("A1", "A2", "A3"):
        make_variant(sku, stock=10)
    client = api_client("sales")
    body = order_payload(hoan_kiem)
    body["lines"] = [{"sku": sku, "quantity": 1} for sku in ("A1", "A2", "A3")]
    first = client.post(
        "/api/v1/orders", body, content_type="application/json", headers={"Idempotency-Key": "1"}
    )
    assert first.status_code == 201
    body["customer"]["phone"] = "0912000001"

    with CaptureQueriesContext(connection) as ctx:
        response = client.post(
            "/api/v1/orders",
            body,
            content_type="application/json",
            headers={"Idempotency-Key": "2"},
        )

    assert response.status_code == 201
    assert [ln["reserved"] for ln in response.json()["lines"]] == [1, 1, 1]
    statements = _statements(ctx)
    assert len(statements) == API_ORDER_STATEMENTS, _explain(statements)
    # The answer is built from what was written: the order is never read back.
    assert not [s for s in statements if s.startswith("SELECT") and '"orders_order"' in s]


@pytest.fixture
def client_owner(client, owner):
    client.cookies["donhang_language"] = "en"
    client.force_login(owner)
    return client


# session · user · the user's permissions (own, groups') · shops for the filter · the page of
# orders (with province, warehouse, shop) · the counters (or, for a search, each tab counted up
# to the bound, in one statement) · carrier accounts for the bulk buttons (shipping, through the
# hook) · the user's role for the menu · warehouses for the filter
LIST_PAGE_STATEMENTS = 10


@pytest.mark.django_db
def test_order_list_page_whatever_the_number_of_orders(client_owner, make_variant, place_order):
    make_variant("AT01", stock=100)
    place_order(("AT01", 1))
    url = reverse("orders:order_list")
    client_owner.get(url)
    with CaptureQueriesContext(connection) as few:
        client_owner.get(url)
    for i in range(12):
        services.order_confirm(order=place_order(("AT01", 1), phone=f"09876543{i:02d}"))

    with CaptureQueriesContext(connection) as many:
        response = client_owner.get(url)

    assert response.status_code == 200
    assert len(_statements(many)) == len(_statements(few)) == LIST_PAGE_STATEMENTS, _explain(
        _statements(many)
    )
    # A tab, a search, a deep page: the same statements (a search counts each tab up to the
    # bound in one of them).
    for params in ({"status": "processing"}, {"q": "nguyen van an"}, {"after": 5}):
        with CaptureQueriesContext(connection) as ctx:
            assert client_owner.get(url, params).status_code == 200
        assert len(_statements(ctx)) == LIST_PAGE_STATEMENTS, (params, _explain(_statements(ctx)))


# session · user · permissions (2) · the order (customer, address, warehouse, shop…) · lines with
# variants · reservations · timeline · VAT rows · payments · free stock of its variants · the
# user's role for the menu · and what the apps above add to the page through hooks: shipments
# and carriers (shipping), the invoice and templates (invoicing), returns (returns)
ORDER_PAGE_STATEMENTS = 19


@pytest.mark.django_db
def test_order_page_whatever_the_number_of_lines(client_owner, make_variant, place_order):
    for sku in ("A1", "A2", "A3", "A4", "A5"):
        make_variant(sku, stock=10)
    one = place_order(("A1", 1))
    five = place_order(*[(sku, 1) for sku in ("A1", "A2", "A3", "A4", "A5")], phone="0987654321")
    services.order_confirm(order=five)
    client_owner.get(reverse("orders:order_detail", args=[one.code]))

    counts = []
    for order in (one, five):
        with CaptureQueriesContext(connection) as ctx:
            response = client_owner.get(reverse("orders:order_detail", args=[order.code]))
        assert response.status_code == 200
        counts.append(len(_statements(ctx)))

    assert counts[0] == counts[1], _explain(_statements(ctx))
    assert counts[1] == ORDER_PAGE_STATEMENTS, _explain(_statements(ctx))
