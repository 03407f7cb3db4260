import pytest

from donhang.inventory.models import StockLevel
from donhang.orders.models import Order, Status
from donhang.orders.tests.conftest import order_payload

pytestmark = pytest.mark.django_db


def post_order(client, body, key=None):
    headers = {"Idempotency-Key": key} if key else {}
    return client.post("/api/v1/orders", body, content_type="application/json", headers=headers)


def test_create_order_answers_201_with_totals(api_sales, make_variant, hoan_kiem):
    make_variant(stock=5, price=165_000)

    response = post_order(api_sales, order_payload(hoan_kiem, quantity=2))

    assert response.status_code == 201, response.content
    body = response.json()
    assert body["code"].startswith("DH")
    assert body["status"] == "new"
    assert body["cod_amount"] == 2 * 165_000 + 30_000
    assert body["customer"]["phone"] == "+84987654321"
    assert body["shipping_address"]["ward_name"] == "Phường Hoàn Kiếm"
    assert body["lines"] == [
        {
            "sku": "AT01",
            "name": "Sản phẩm AT01",
            "quantity": 2,
            "unit_price": 165_000,
            "discount": 0,
            "line_discount": 0,
            "discount_percent": None,
            "order_discount": 0,
            "gross": 330_000,
            "net": 300_000,
            "vat": 30_000,
            "vat_rate": "10",
            "reserved": 2,
            "short": 0,
        }
    ]


def test_a_repeated_idempotency_key_returns_the_first_result(api_sales, make_variant, hoan_kiem):
    make_variant(stock=5)
    body = order_payload(hoan_kiem)

    first = post_order(api_sales, body, key="web-1001")
    again = post_order(api_sales, body, key="web-1001")

    assert first.status_code == again.status_code == 201
    assert again.json()["code"] == first.json()["code"]
    assert again["Idempotent-Replayed"] == "true"
    assert Order.objects.count() == 1


def test_a_reused_key_with_another_body_is_refused(api_sales, make_variant, hoan_kiem):
    make_variant(stock=5)
    post_order(api_sales, order_payload(hoan_kiem), key="web-1")

    response = post_order(api_sales, order_payload(hoan_kiem, quantity=3), key="web-1")

    assert response.status_code == 422
    assert "Idempotency-Key" in response.json()["error"]["fields"]
    assert Order.objects.count() == 1


def test_no_backorder_answers_409_and_creates_nothing(api_sales, make_variant, hoan_kiem):
    make_variant(stock=1)

    response = post_order(api_sales, order_payload(hoan_kiem, quantity=2, allow_backorder=False))

    assert response.status_code == 409
    assert response.json()["error"]["code"] == "insufficient_stock"
    assert "lines.0.quantity" in response.json()["error"]["fields"]
    assert Order.objects.count() == 0


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"lines": [{"sku": "NOPE", "quantity": 1}]}, "lines.0.sku"),
        ({"lines": [{"sku": "AT01", "quantity": 0}]}, "lines.0.quantity"),
        (
            {
                "customer": {
                    "name": "An",
                    "phone": "0123",
                    "address": {"line": "1 Lý Thái Tổ", "ward": 70},
                }
            },
            "customer.phone",
        ),
        ({"customer": {"name": "An", "phone": "0912345678"}}, "customer.address.ward"),
        ({"lines": "nope"}, "lines"),
        ({"shipping_fee": -1}, "shipping_fee"),
        ({"channel": "ebay"}, "channel"),
    ],
)
def test_bad_input_answers_422_naming_the_field(api_sales, make_variant, hoan_kiem, change, field):
    make_variant(stock=5)

    response = post_order(api_sales, order_payload(hoan_kiem, **change))

    assert response.status_code == 422, response.content
    assert field in response.json()["error"]["fields"]
    assert Order.objects.count() == 0


def test_list_filters_and_cursor_pages(api_sales, make_variant, place_order):
    make_variant(stock=100)
    codes = [place_order(("AT01", 1), phone=f"09123456{i:02d}").code for i in range(5)]

    page1 = api_sales.get("/api/v1/orders?limit=2").json()
    page2 = api_sales.get(f"/api/v1/orders?limit=2&cursor={page1['next_cursor']}").json()
    by_phone = api_sales.get("/api/v1/orders?q=0912345603").json()

    assert [o["code"] for o in page1["items"]] == codes[::-1][:2]
    assert [o["code"] for o in page2["items"]] == codes[::-1][2:4]
    assert [o["code"] for o in by_phone["items"]] == [codes[3]]
    assert page1["counts"]["new"] == 5


def test_confirm_and_cancel_over_the_api(api_sales, make_variant, place_order, warehouse):
    variant = make_variant(stock=3)
    order = place_order(("AT01", 2))

    confirmed = api_sales.post(f"/api/v1/orders/{order.code}/confirm")
    cancelled = api_sales.post(
        f"/api/v1/orders/{order.code}/cancel",
        {"reason": "Khách hủy"},
        content_type="application/json",
    )

    assert confirmed.status_code == 200
    assert confirmed.json()["sub_state"] == "packing"
    assert cancelled.json()["status"] == "cancelled"
    assert [e["to_status"] for e in cancelled.json()["events"] if e["kind"] == "status"] == [
        "processing",
        "cancelled",
    ]
    assert StockLevel.objects.get(variant=variant, warehouse=warehouse).reserved == 0


def test_a_forbidden_transition_answers_409(api_sales, make_variant, place_order):
    make_variant(stock=3)
    order = place_order(("AT01", 1))
    api_sales.post(f"/api/v1/orders/{order.code}/cancel")

    response = api_sales.post(f"/api/v1/orders/{order.code}/confirm")

    assert response.status_code == 409
    assert response.json()["error"]["code"] == "transition_not_allowed"
    order.refresh_from_db()
    assert order.status == Status.CANCELLED


def test_unknown_order_is_404(api_sales):
    assert api_sales.get("/api/v1/orders/DH999999").status_code == 404


def test_stock_per_warehouse(api_sales, make_variant, place_order):
    make_variant(stock=10)
    place_order(("AT01", 4))

    body = api_sales.get("/api/v1/stock?sku=AT01").json()

    assert body["warehouses"] == [
        {
            "warehouse": "HN",
            "warehouse_name": "Kho Hà Nội",
            "on_hand": 10,
            "reserved": 4,
            "available": 6,
        }
    ]


def test_stock_adjustment_needs_a_manager_and_serves_waiting_orders(
    api_sales, api_manager, make_variant, place_order
):
    make_variant(stock=0)
    waiting = place_order(("AT01", 2))
    body = {"sku": "AT01", "warehouse": "HN", "delta": 5, "reason": "Tìm thấy khi kiểm kho"}

    refused = api_sales.post("/api/v1/stock/movements", body, content_type="application/json")
    done = api_manager.post("/api/v1/stock/movements", body, content_type="application/json")

    assert refused.status_code == 403
    assert done.status_code == 201
    assert (done.json()["on_hand"], done.json()["available"]) == (5, 3)
    waiting.refresh_from_db()
    assert waiting.sub_state == ""
    assert waiting.lines.get().reserved_quantity == 2


def test_a_warehouse_key_cannot_create_orders(api_warehouse, make_variant, hoan_kiem):
    make_variant(stock=5)

    assert post_order(api_warehouse, order_payload(hoan_kiem)).status_code == 403
