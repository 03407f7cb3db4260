import pytest

from donhang.inventory.models import Warehouse
from donhang.inventory.services import stock_initial_post

pytestmark = pytest.mark.django_db

HANOI, HOAN_KIEM = 1, 70
HCMC, BEN_THANH = 79, 26743

NEW_WAREHOUSE = {
    "code": "HCM",
    "name": "Kho TP. Hồ Chí Minh",
    "kind": "branch",
    "address": {"line": "125 Lê Lợi", "province": HCMC, "ward": BEN_THANH},
    "contact_name": "Trần Minh Khoa",
    "phone": "0903 456 789",
}


def test_manager_creates_a_warehouse(client, api_as):
    response = client.post(
        "/api/v1/warehouses",
        NEW_WAREHOUSE,
        content_type="application/json",
        headers=api_as("manager"),
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["code"] == "HCM"
    assert body["phone"] == "+84903456789"
    assert body["address"] == {
        "line": "125 Lê Lợi",
        "province": HCMC,
        "province_name": "Thành phố Hồ Chí Minh",
        "ward": BEN_THANH,
        "ward_name": "Phường Bến Thành",
    }
    assert (body["on_hand"], body["is_active"]) == (0, True)
    assert Warehouse.objects.get(code="HCM").ward_id == BEN_THANH


def test_duplicate_code_is_409(client, api_as, warehouse):
    response = client.post(
        "/api/v1/warehouses",
        {**NEW_WAREHOUSE, "code": "hn"},
        content_type="application/json",
        headers=api_as("owner"),
    )
    assert response.status_code == 409
    assert "code" in response.json()["error"]["fields"]


def test_ward_of_another_province_is_422_naming_the_ward(client, api_as):
    response = client.post(
        "/api/v1/warehouses",
        {**NEW_WAREHOUSE, "address": {"province": HCMC, "ward": HOAN_KIEM}},
        content_type="application/json",
        headers=api_as("owner"),
    )
    assert response.status_code == 422
    assert list(response.json()["error"]["fields"]) == ["address.ward"]
    assert not Warehouse.objects.exists()


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"code": "HCM"}, "name"),
        ({**NEW_WAREHOUSE, "phone": "not a phone"}, "phone"),
        ({**NEW_WAREHOUSE, "kind": "castle"}, "kind"),
        ({**NEW_WAREHOUSE, "priority": "high"}, "priority"),
        ({**NEW_WAREHOUSE, "address": {"ward": "abc"}}, "address.ward"),
        ({**NEW_WAREHOUSE, "code": "H/N"}, "code"),
    ],
)
def test_bad_input_is_422_naming_the_field(client, api_as, body, field):
    response = client.post(
        "/api/v1/warehouses", body, content_type="application/json", headers=api_as("owner")
    )
    assert response.status_code == 422
    assert field in response.json()["error"]["fields"]


def test_malformed_json_is_not_a_500(client, api_as):
    response = client.post(
        "/api/v1/warehouses", "{not json", content_type="application/json", headers=api_as("owner")
    )
    assert 400 <= response.status_code < 500


def test_sales_cannot_create_a_warehouse(client, api_as):
    response = client.post(
        "/api/v1/warehouses",
        NEW_WAREHOUSE,
        content_type="application/json",
        headers=api_as("sales"),
    )
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "permission_denied"
    assert not Warehouse.objects.exists()


def test_list_and_get_with_totals(client, api_as, warehouse, variant):
    stock_initial_post(variant=variant, quantities={warehouse.pk: 7})
    Warehouse.objects.create(code="OLD", name="Kho cũ", is_active=False)
    headers = api_as("sales")
    response = client.get("/api/v1/warehouses", headers=headers)
    assert response.status_code == 200
    assert [w["code"] for w in response.json()] == ["HN", "OLD"]
    response = client.get("/api/v1/warehouses", {"active": "true"}, headers=headers)
    assert [w["code"] for w in response.json()] == ["HN"]
    response = client.get("/api/v1/warehouses/hn", headers=headers)
    assert response.status_code == 200
    assert (response.json()["on_hand"], response.json()["available"]) == (7, 7)


def test_unknown_code_is_404(client, api_as):
    headers = api_as("owner")
    assert client.get("/api/v1/warehouses/NOPE", headers=headers).status_code == 404
    response = client.patch(
        "/api/v1/warehouses/NOPE", {"name": "x"}, content_type="application/json", headers=headers
    )
    assert response.status_code == 404


def test_patch_changes_only_what_is_sent(client, api_as, warehouse):
    response = client.patch(
        "/api/v1/warehouses/HN",
        {"contact_name": "Chị Hà", "address": {"line": "18 Hàng Bài"}},
        content_type="application/json",
        headers=api_as("manager"),
    )
    assert response.status_code == 200, response.content
    warehouse.refresh_from_db()
    assert (warehouse.contact_name, warehouse.address_line, warehouse.ward_id) == (
        "Chị Hà",
        "18 Hàng Bài",
        HOAN_KIEM,
    )


def test_patch_deactivating_a_stocked_warehouse_is_409(client, api_as, warehouse, variant):
    stock_initial_post(variant=variant, quantities={warehouse.pk: 1})
    response = client.patch(
        "/api/v1/warehouses/HN",
        {"is_active": False},
        content_type="application/json",
        headers=api_as("owner"),
    )
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "warehouse_has_stock"
    warehouse.refresh_from_db()
    assert warehouse.is_active


def test_patch_needs_change_permission(client, api_as, warehouse):
    response = client.patch(
        "/api/v1/warehouses/HN",
        {"name": "Đổi tên"},
        content_type="application/json",
        headers=api_as("warehouse"),
    )
    assert response.status_code == 403
