"""Warehouses of the demo shop. Safe to run again: existing codes are left as they are."""

from __future__ import annotations

from donhang.inventory.models import Warehouse
from donhang.inventory.services import warehouse_create

DEMO_WAREHOUSES = [
    {
        "code": "HN",
        "name": "Kho Hà Nội (trụ sở)",
        "kind": Warehouse.Kind.HEAD_OFFICE,
        "address_line": "18 Hàng Bài",
        "province": 1,  # Thành phố Hà Nội
        "ward": 70,  # Phường Hoàn Kiếm
        "contact_name": "Nguyễn Thị Thu Hà",
        "phone": "0912 345 678",
        "priority": 10,
    },
    {
        "code": "HCM",
        "name": "Kho TP. Hồ Chí Minh",
        "kind": Warehouse.Kind.BRANCH,
        "address_line": "125 Lê Lợi",
        "province": 79,  # Thành phố Hồ Chí Minh
        "ward": 26743,  # Phường Bến Thành
        "contact_name": "Trần Minh Khoa",
        "phone": "0903 456 789",
        "priority": 20,
    },
    {
        "code": "DN",
        "name": "Kho Đà Nẵng",
        "kind": Warehouse.Kind.SUBSIDIARY,
        "address_line": "56 Bạch Đằng",
        "province": 48,  # Thành phố Đà Nẵng
        "ward": 20242,  # Phường Hải Châu
        "contact_name": "Lê Văn Phúc",
        "phone": "0236 3821 456",
        "priority": 30,
        # Opening later: shows an inactive warehouse in the demo.
        "is_active": False,
    },
]


def load_demo_warehouses(*, actor) -> list[Warehouse]:
    """Create HN, HCM and DN (inactive) unless they exist; return the active warehouses."""
    existing = set(Warehouse.objects.values_list("code", flat=True))
    for spec in DEMO_WAREHOUSES:
        if spec["code"] not in existing:
            warehouse_create(**spec, actor=actor)
    return list(Warehouse.objects.filter(is_active=True).order_by("priority", "code"))
