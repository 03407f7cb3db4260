import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from donhang.inventory.models import Warehouse
from donhang.inventory.services import MovementLine, stock_initial_post, stock_movements_post

pytestmark = pytest.mark.django_db

HANOI, HOAN_KIEM = 1, 70
HCMC, BEN_THANH = 79, 26743

FORM = {
    "code": "hcm",
    "name": "Kho TP. Hồ Chí Minh",
    "kind": "branch",
    "address_line": "125 Lê Lợi",
    "province": HCMC,
    "ward": BEN_THANH,
    "contact_name": "Trần Minh Khoa",
    "phone": "0903456789",
    "priority": 20,
}


def test_pages_need_a_login(client, warehouse):
    response = client.get(reverse("inventory:warehouse_list"))
    assert response.status_code == 302
    assert "/accounts/login/" in response["Location"]


def test_empty_list_invites_to_add_one(login):
    client = login("manager")
    response = client.get(reverse("inventory:warehouse_list"))
    assert response.status_code == 200
    assert "empty-state" in response.content.decode()
    assert reverse("inventory:warehouse_create") in response.content.decode()


def test_list_shows_totals_per_warehouse(login, make_variant, django_assert_max_num_queries):
    client = login("sales")
    hanoi = Warehouse.objects.create(code="HN", name="Kho Hà Nội", province_id=1, ward_id=70)
    saigon = Warehouse.objects.create(code="HCM", name="Kho Sài Gòn", province_id=79)
    for n in range(5):
        stock_initial_post(variant=make_variant(), quantities={hanoi.pk: 10 + n, saigon.pk: 1})
    with CaptureQueriesContext(connection) as two_warehouses:
        client.get(reverse("inventory:warehouse_list"))
    Warehouse.objects.create(code="DN", name="Kho Đà Nẵng", province_id=48, ward_id=20242)
    # One query for the warehouses with their totals, whatever their number (the rest is the
    # session, the user and the base layout).
    with django_assert_max_num_queries(len(two_warehouses)):
        response = client.get(reverse("inventory:warehouse_list"))
    assert response.status_code == 200
    rows = {w.code: w for w in response.context["warehouses"]}
    assert (rows["HN"].total_on_hand, rows["HCM"].total_on_hand) == (60, 5)
    body = response.content.decode()
    assert "Kho Hà Nội" in body
    assert "Phường Hoàn Kiếm" in body
    # Sales may look but not add.
    assert reverse("inventory:warehouse_create") not in body


def test_sales_cannot_open_the_create_page(login):
    client = login("sales")
    assert client.get(reverse("inventory:warehouse_create")).status_code == 403
    assert client.post(reverse("inventory:warehouse_create"), FORM).status_code == 403
    assert not Warehouse.objects.exists()


def test_manager_creates_a_warehouse_from_the_form(login):
    client = login("manager")
    page = client.get(reverse("inventory:warehouse_create"))
    assert 'hx-get="/customers/wards/"' in page.content.decode()
    response = client.post(reverse("inventory:warehouse_create"), FORM)
    warehouse = Warehouse.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("inventory:warehouse_detail", args=[warehouse.pk])
    assert (warehouse.code, warehouse.phone, warehouse.ward_id) == (
        "HCM",
        "+84903456789",
        BEN_THANH,
    )


def test_form_errors_are_shown_and_wards_follow_the_province(login, warehouse):
    client = login("manager")
    response = client.post(
        reverse("inventory:warehouse_create"),
        {**FORM, "code": "HN", "ward": HOAN_KIEM, "phone": "123"},
    )
    assert response.status_code == 200
    form = response.context["form"]
    assert {"ward", "phone"} <= set(form.errors)
    # The ward select lists the chosen province's wards only.
    ward_codes = {value for value, _label in form.fields["ward"].widget.choices if value}
    assert BEN_THANH in ward_codes and HOAN_KIEM not in ward_codes
    response = client.post(reverse("inventory:warehouse_create"), {**FORM, "code": "HN"})
    assert "code" in response.context["form"].errors
    assert Warehouse.objects.count() == 1


def test_edit_form_starts_with_the_stored_values(login, warehouse):
    client = login("manager")
    Warehouse.objects.filter(pk=warehouse.pk).update(phone="+84912345678")
    response = client.get(reverse("inventory:warehouse_edit", args=[warehouse.pk]))
    body = response.content.decode()
    assert 'value="0912 345 678"' in body
    assert f'<option value="{HOAN_KIEM}" selected>' in body
    response = client.post(
        reverse("inventory:warehouse_edit", args=[warehouse.pk]),
        {**FORM, "code": "HN", "name": "Kho Hà Nội mới"},
    )
    assert response.status_code == 302
    warehouse.refresh_from_db()
    assert (warehouse.name, warehouse.province_id) == ("Kho Hà Nội mới", HCMC)


def test_warehouse_role_cannot_edit(login, warehouse):
    client = login("warehouse")
    assert client.get(reverse("inventory:warehouse_edit", args=[warehouse.pk])).status_code == 403
    url = reverse("inventory:warehouse_set_active", args=[warehouse.pk])
    assert client.post(url, {"is_active": "0"}).status_code == 403


def test_deactivate_button_explains_a_refusal(login, warehouse, variant):
    client = login("manager")
    client.cookies["donhang_language"] = "en"
    stock_initial_post(variant=variant, quantities={warehouse.pk: 3})
    url = reverse("inventory:warehouse_set_active", args=[warehouse.pk])
    response = client.post(url, {"is_active": "0"}, follow=True)
    warehouse.refresh_from_db()
    assert warehouse.is_active
    assert "still holds stock" in response.content.decode()


def test_detail_lists_stock_and_searches_it(login, warehouse, make_variant):
    client = login("sales")
    shirt = make_variant(sku="AO-DEN-M", name="Áo thun đen")
    jeans = make_variant(sku="QUAN-JEAN-30", name="Quần jean")
    stock_initial_post(variant=shirt, quantities={warehouse.pk: 12})
    stock_initial_post(variant=jeans, quantities={warehouse.pk: 4})
    url = reverse("inventory:warehouse_detail", args=[warehouse.pk])
    response = client.get(url)
    assert [lvl.variant.sku for lvl in response.context["page_obj"]] == ["AO-DEN-M", "QUAN-JEAN-30"]
    response = client.get(url, {"q": "jean"})
    assert [lvl.variant.sku for lvl in response.context["page_obj"]] == ["QUAN-JEAN-30"]
    response = client.get(
        url, {"q": "quần"}, headers={"HX-Request": "true", "HX-Target": "stock-table"}
    )
    body = response.content.decode()
    assert body.startswith('<div id="stock-table">')
    assert "QUAN-JEAN-30" in body and "AO-DEN-M" not in body


def test_unknown_warehouse_is_404(login):
    client = login("owner")
    assert client.get(reverse("inventory:warehouse_detail", args=[999])).status_code == 404


def test_variant_stock_page_shows_levels_and_history(login, warehouse, variant):
    client = login("accountant")
    saigon = Warehouse.objects.create(code="HCM", name="Kho Sài Gòn")
    stock_initial_post(variant=variant, quantities={warehouse.pk: 10})
    stock_movements_post(
        lines=[MovementLine(variant.pk, warehouse.pk, -2)],
        kind="damaged",
        reason="Hàng lỗi",
        reference_type="stocktake",
        reference_id="7",
        reference_label="KK-0007",
    )
    response = client.get(reverse("inventory:variant_stock", args=[variant.pk]))
    assert response.status_code == 200
    rows = {row.warehouse.code: row for row in response.context["rows"]}
    assert (rows["HN"].on_hand, rows["HN"].available) == (8, 8)
    assert rows[saigon.code].on_hand == 0
    history = list(response.context["page_obj"])
    assert [m.delta for m in history] == [-2, 10]
    body = response.content.decode()
    assert "Hàng lỗi" in body and "KK-0007" in body


def test_sales_sees_levels_but_not_the_history(login, warehouse, variant):
    client = login("sales")
    stock_initial_post(variant=variant, quantities={warehouse.pk: 1})
    response = client.get(reverse("inventory:variant_stock", args=[variant.pk]))
    assert response.status_code == 200
    assert response.context["page_obj"] is None
    assert 'id="variant-movements"' not in response.content.decode()


def test_variant_stock_of_unknown_variant_is_404(login):
    client = login("owner")
    assert client.get(reverse("inventory:variant_stock", args=[999])).status_code == 404
