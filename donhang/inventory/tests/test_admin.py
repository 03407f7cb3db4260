import pytest

from donhang.core.models import AuditEntry
from donhang.inventory.models import Warehouse
from donhang.inventory.services import stock_initial_post

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    "url",
    [
        "/admin/inventory/warehouse/",
        "/admin/inventory/stockmovement/",
        "/admin/inventory/stocklevel/",
        "/admin/customers/province/",
        "/admin/customers/ward/?q=hoan+kiem",
        "/admin/inventory/warehouse/add/",
    ],
)
def test_admin_pages_open(admin_client, warehouse, variant, url):
    stock_initial_post(variant=variant, quantities={warehouse.pk: 2})
    assert admin_client.get(url).status_code == 200


def test_admin_edits_go_through_the_services(admin_client):
    response = admin_client.post(
        "/admin/inventory/warehouse/add/",
        {
            "code": "dn",
            "name": "Kho Đà Nẵng",
            "kind": "subsidiary",
            "address_line": "",
            "province": 48,
            "ward": 20242,
            "contact_name": "",
            "phone": "0236 3821 456",
            "is_active": "on",
            "priority": 30,
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    warehouse = Warehouse.objects.get()
    assert (warehouse.code, warehouse.phone) == ("DN", "+842363821456")
    assert AuditEntry.objects.filter(action="warehouse.create").exists()


def test_admin_refuses_a_ward_of_another_province(admin_client):
    response = admin_client.post(
        "/admin/inventory/warehouse/add/",
        {"code": "DN", "name": "Kho", "kind": "branch", "province": 48, "ward": 70, "priority": 1},
    )
    assert response.status_code == 200
    assert "ward" in response.context["adminform"].form.errors
    assert not Warehouse.objects.exists()


def test_admin_refuses_to_deactivate_a_stocked_warehouse(admin_client, warehouse, variant):
    stock_initial_post(variant=variant, quantities={warehouse.pk: 2})
    response = admin_client.post(
        f"/admin/inventory/warehouse/{warehouse.pk}/change/",
        {
            "code": "HN",
            "name": "Kho Hà Nội",
            "kind": "branch",
            "province": 1,
            "ward": 70,
            "priority": 100,
        },
    )
    assert response.status_code == 200
    assert "is_active" in response.context["adminform"].form.errors
    warehouse.refresh_from_db()
    assert warehouse.is_active
