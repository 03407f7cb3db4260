import pytest
from django.test import Client

from donhang.core.models import AuditEntry
from donhang.customers.models import Customer
from donhang.customers.services import customer_address_add, customer_create
from donhang.orders.models import Channel

pytestmark = pytest.mark.django_db


def test_without_a_key_the_answer_is_401():
    for response in (
        Client().get("/api/v1/customers"),
        Client().get("/api/v1/customers/1"),
        Client().post("/api/v1/customers", {"name": "An"}, content_type="application/json"),
    ):
        assert response.status_code == 401
        assert response.json()["error"]["code"] == "unauthorized"


def test_list_searches_and_pages(api_as):
    customer_create(name="Nguyễn Văn An", phone="0912345678", email="an@example.vn")
    customer_create(name="Trần Thị Bình", phone="0987654321")
    customer_create(name="Đặng Thu Hà", phone="0903111222", tags="VIP")
    client = api_as("sales")
    everyone = client.get("/api/v1/customers").json()
    assert everyone["count"] == 3
    assert [c["name"] for c in everyone["items"]] == [
        "Đặng Thu Hà",
        "Trần Thị Bình",
        "Nguyễn Văn An",
    ]
    assert everyone["items"][0]["tags"] == ["VIP"]

    by_phone = client.get("/api/v1/customers", {"q": "0912 345 678"}).json()
    assert [c["phone"] for c in by_phone["items"]] == ["+84912345678"]
    by_name = client.get("/api/v1/customers", {"q": "tran thi binh"}).json()
    assert [c["name"] for c in by_name["items"]] == ["Trần Thị Bình"]

    page = client.get("/api/v1/customers", {"limit": 2, "offset": 2}).json()
    assert (page["count"], page["limit"], page["offset"]) == (3, 2, 2)
    assert [c["name"] for c in page["items"]] == ["Nguyễn Văn An"]


def test_get_has_addresses_and_an_order_summary(api_as, make_variant, place_order):
    make_variant(sku="AT01", stock=10, price=120_000)
    website = place_order(("AT01", 1), channel=Channel.WEBSITE)
    shopee = place_order(("AT01", 2), channel=Channel.SHOPEE)
    customer = Customer.objects.get()
    customer_address_add(customer=customer, line="8 Lý Thái Tổ", province=1, ward=70)
    body = api_as("accountant").get(f"/api/v1/customers/{customer.pk}").json()
    assert body["name"] == "Nguyễn Văn An"
    assert body["phone"] == "+84912345678"
    assert body["orders_count"] == 2
    assert body["total_spent"] == website.total + shopee.total
    assert body["merged_into"] is None
    assert [o["code"] for o in body["recent_orders"]] == [shopee.code, website.code]
    assert [o["channel"] for o in body["recent_orders"]] == ["shopee", "website"]
    assert {a["line"] for a in body["addresses"]} == {"12 Hàng Bạc", "8 Lý Thái Tổ"}
    assert {a["ward_name"] for a in body["addresses"]} == {"Phường Hoàn Kiếm"}

    missing = api_as("sales").get("/api/v1/customers/999999")
    assert missing.status_code == 404


def test_create(api_as):
    response = api_as("sales").post(
        "/api/v1/customers",
        {"name": "Lê Minh", "phone": "0912 345 678", "email": "minh@example.vn", "tags": ["sỉ"]},
        content_type="application/json",
    )
    assert response.status_code == 201, response.content
    body = response.json()
    customer = Customer.objects.get()
    assert body["id"] == customer.pk
    assert (body["phone"], body["tags"], body["addresses"]) == ("+84912345678", ["sỉ"], [])
    assert AuditEntry.objects.filter(action="customer.create", object_id=str(customer.pk)).exists()


def test_create_refuses_a_bad_phone_naming_the_field(api_as):
    response = api_as("sales").post(
        "/api/v1/customers",
        {"name": "Lê Minh", "phone": "12345"},
        content_type="application/json",
    )
    assert response.status_code == 422
    error = response.json()["error"]
    assert list(error["fields"]) == ["phone"]
    assert not Customer.objects.exists()

    bad_email = api_as("manager").post(
        "/api/v1/customers",
        {"name": "Lê Minh", "email": "not-an-email"},
        content_type="application/json",
    )
    assert bad_email.status_code == 422
    assert list(bad_email.json()["error"]["fields"]) == ["email"]

    no_name = api_as("manager").post(
        "/api/v1/customers", {"phone": "0912345678"}, content_type="application/json"
    )
    assert no_name.status_code == 422
    assert "name" in no_name.json()["error"]["fields"]


def test_roles_without_the_permission_get_403(api_as):
    warehouse = api_as("warehouse")
    assert warehouse.get("/api/v1/customers").status_code == 403
    accountant = api_as("accountant")
    response = accountant.post(
        "/api/v1/customers", {"name": "Lê Minh"}, content_type="application/json"
    )
    assert response.status_code == 403
    assert not Customer.objects.exists()
