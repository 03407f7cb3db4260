import pytest

from donhang.core.errors import Conflict, ValidationFailed
from donhang.core.models import AuditEntry
from donhang.inventory.demo import load_demo_warehouses
from donhang.inventory.models import StockLevel, Warehouse
from donhang.inventory.services import (
    MovementLine,
    stock_initial_post,
    stock_movements_post,
    warehouse_create,
    warehouse_set_active,
    warehouse_update,
)

pytestmark = pytest.mark.django_db

HANOI, HOAN_KIEM = 1, 70
HCMC, BEN_THANH = 79, 26743


def test_create_normalises_code_and_phone_and_audits(owner):
    warehouse = warehouse_create(
        code=" hcm-1 ",
        name="Kho TP. Hồ Chí Minh",
        province=HCMC,
        ward=BEN_THANH,
        phone="0903 456 789",
        actor=owner,
    )
    warehouse.refresh_from_db()
    assert (warehouse.code, warehouse.phone) == ("HCM-1", "+84903456789")
    assert (warehouse.province_id, warehouse.ward_id) == (HCMC, BEN_THANH)
    assert warehouse.phone_display == "0903 456 789"
    entry = AuditEntry.objects.get(action="warehouse.create")
    assert (entry.actor, entry.object_id) == (owner, str(warehouse.pk))


def test_duplicate_code_is_a_conflict_naming_code():
    warehouse_create(code="HN", name="Kho Hà Nội")
    with pytest.raises(Conflict) as caught:
        warehouse_create(code="hn", name="Kho khác")
    assert "code" in caught.value.fields
    assert Warehouse.objects.count() == 1


@pytest.mark.parametrize(
    ("arguments", "field"),
    [
        ({"code": "H N"}, "code"),
        ({"code": ""}, "code"),
        ({"name": "  "}, "name"),
        ({"phone": "12"}, "phone"),
        ({"kind": "castle"}, "kind"),
        ({"priority": -1}, "priority"),
        ({"province": HCMC, "ward": HOAN_KIEM}, "ward"),
        ({"province": 999}, "province"),
    ],
)
def test_invalid_input_is_refused_naming_the_field(arguments, field):
    with pytest.raises(ValidationFailed) as caught:
        warehouse_create(**{"code": "HN", "name": "Kho Hà Nội", **arguments})
    assert field in caught.value.fields
    assert not Warehouse.objects.exists()


def test_update_changes_only_given_fields_and_records_them(warehouse, owner):
    warehouse_update(warehouse=warehouse, phone="84912345678", contact_name="Chị Hà", actor=owner)
    warehouse.refresh_from_db()
    assert (warehouse.phone, warehouse.contact_name, warehouse.name) == (
        "+84912345678",
        "Chị Hà",
        "Kho Hà Nội",
    )
    entry = AuditEntry.objects.get(action="warehouse.update")
    assert set(entry.data["changes"]) == {"phone", "contact_name"}


def test_update_without_changes_writes_nothing(warehouse):
    warehouse_update(warehouse=warehouse, name="Kho Hà Nội", province=HANOI)
    assert not AuditEntry.objects.filter(action="warehouse.update").exists()


def test_moving_province_keeps_a_ward_only_if_it_belongs(warehouse):
    with pytest.raises(ValidationFailed) as caught:
        warehouse_update(warehouse=warehouse, province=HCMC)
    assert "ward" in caught.value.fields
    warehouse_update(warehouse=warehouse, province=HCMC, ward=BEN_THANH)
    warehouse.refresh_from_db()
    assert (warehouse.province_id, warehouse.ward_id) == (HCMC, BEN_THANH)


def test_code_cannot_be_changed_to_a_taken_one(warehouse):
    other = warehouse_create(code="HCM", name="Kho HCM")
    with pytest.raises(Conflict) as caught:
        warehouse_update(warehouse=other, code="hn")
    assert "code" in caught.value.fields


def test_deactivating_a_warehouse_with_stock_is_refused(warehouse, variant, owner):
    stock_initial_post(variant=variant, quantities={warehouse.pk: 4})
    with pytest.raises(Conflict) as caught:
        warehouse_set_active(warehouse=warehouse, is_active=False, actor=owner)
    assert "4" in caught.value.message
    with pytest.raises(Conflict):
        warehouse_update(warehouse=warehouse, is_active=False)
    warehouse.refresh_from_db()
    assert warehouse.is_active


def test_deactivating_a_warehouse_with_reservations_is_refused(warehouse, variant):
    stock_initial_post(variant=variant, quantities={warehouse.pk: 2})
    stock_movements_post(lines=[MovementLine(variant.pk, warehouse.pk, -2)], kind="sale")
    StockLevel.objects.filter(warehouse=warehouse).update(reserved=0)
    # Emptied: allowed. Now a reservation on an allow-negative level blocks it again.
    Warehouse.objects.filter(pk=warehouse.pk).update(allow_negative_stock=True)
    StockLevel.objects.filter(warehouse=warehouse).update(allow_negative=True, reserved=1)
    with pytest.raises(Conflict):
        warehouse_set_active(warehouse=warehouse, is_active=False)


def test_an_empty_warehouse_can_be_deactivated_and_activated_again(warehouse, variant, owner):
    stock_initial_post(variant=variant, quantities={warehouse.pk: 2})
    stock_movements_post(lines=[MovementLine(variant.pk, warehouse.pk, -2)], kind="adjustment")
    warehouse_set_active(warehouse=warehouse, is_active=False, actor=owner)
    warehouse.refresh_from_db()
    assert not warehouse.is_active
    warehouse_set_active(warehouse=warehouse, is_active=True, actor=owner)
    warehouse.refresh_from_db()
    assert warehouse.is_active
    assert list(
        AuditEntry.objects.filter(object_type="inventory.warehouse", object_id=str(warehouse.pk))
        .order_by("id")
        .values_list("action", flat=True)
    ) == ["warehouse.deactivate", "warehouse.activate"]


def test_negative_stock_setting_reaches_the_levels(warehouse, variant):
    stock_initial_post(variant=variant, quantities={warehouse.pk: 1})
    warehouse_update(warehouse=warehouse, allow_negative_stock=True)
    stock_movements_post(lines=[MovementLine(variant.pk, warehouse.pk, -3)], kind="sale")
    assert StockLevel.objects.get(warehouse=warehouse).on_hand == -2
    # Turning it off while a level is below zero would break the ledger's rule: refused.
    with pytest.raises(Conflict) as caught:
        warehouse_update(warehouse=warehouse, allow_negative_stock=False)
    assert "allow_negative_stock" in caught.value.fields
    warehouse.refresh_from_db()
    assert warehouse.allow_negative_stock


def test_demo_warehouses_are_idempotent(owner):
    first = load_demo_warehouses(actor=owner)
    second = load_demo_warehouses(actor=owner)
    assert [w.code for w in first] == [w.code for w in second] == ["HN", "HCM"]
    assert Warehouse.objects.count() == 3
    hanoi = Warehouse.objects.select_related("ward", "province").get(code="HN")
    assert hanoi.kind == Warehouse.Kind.HEAD_OFFICE
    assert hanoi.ward.name == "Phường Hoàn Kiếm"
    assert hanoi.province.name == "Thành phố Hà Nội"
    assert hanoi.phone.startswith("+84")
    assert not Warehouse.objects.get(code="DN").is_active
