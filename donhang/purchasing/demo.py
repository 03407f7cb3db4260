"""Demo suppliers, each the preferred source of some products, and one draft purchase order."""

from __future__ import annotations

from donhang.catalog.models import Variant
from donhang.customers.models import Ward
from donhang.purchasing import services
from donhang.purchasing.models import PurchaseOrder, Supplier

SUPPLIERS = [
    (
        "Công ty TNHH Dệt May Thành Công",
        "0301234567",
        "Phạm Văn Thành",
        "0283 811 2233",
        "Phường Sài Gòn",
        "25 Nguyễn Huệ",
    ),
    (
        "Công ty CP Giày Dép Bình Tiên",
        "0302345678",
        "Lê Thị Hoa",
        "0283 755 1122",
        "Phường Sài Gòn",
        "10 Hàm Nghi",
    ),
    (
        "Công ty TNHH Mỹ Phẩm Thanh Xuân",
        "0101234567",
        "Nguyễn Minh Châu",
        "0243 556 7788",
        "Phường Ba Đình",
        "88 Kim Mã",
    ),
]


def load_demo_suppliers(*, actor, warehouse) -> list[Supplier]:
    if Supplier.objects.exists():
        return []
    suppliers = []
    for name, tax_code, contact, phone, ward_name, line in SUPPLIERS:
        ward = Ward.objects.filter(name=ward_name).order_by("code").first()
        suppliers.append(
            services.supplier_create(
                name=name,
                tax_code=tax_code,
                contact_name=contact,
                phone=phone,
                address_line=line,
                ward=ward.code if ward else None,
                payment_terms="30 ngày sau khi nhận hàng",
                actor=actor,
            )
        )
    variants = list(Variant.objects.filter(is_active=True).order_by("id"))
    for i, variant in enumerate(variants):
        supplier = suppliers[i % len(suppliers)]
        services.supplier_variant_set(
            supplier=supplier,
            variant=variant,
            is_preferred=True,
            last_purchase_price=variant.cost_price,
            actor=actor,
        )
    if variants and not PurchaseOrder.objects.exists():
        services.purchase_order_create(
            supplier=suppliers[0],
            warehouse=warehouse,
            actor=actor,
            note="Đơn nhập hàng mẫu",
            lines=[services.PoLineInput(variant_id=v.pk, quantity=20) for v in variants[:3]],
        )
    return suppliers
