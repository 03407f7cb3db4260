from django.contrib import admin

from donhang.purchasing.models import (
    GoodsReceipt,
    GoodsReceiptLine,
    PurchaseOrder,
    PurchaseOrderLine,
    Supplier,
    SupplierVariant,
)


class SupplierVariantInline(admin.TabularInline):
    model = SupplierVariant
    extra = 0
    raw_id_fields = ["variant"]


@admin.register(Supplier)
class SupplierAdmin(admin.ModelAdmin):
    list_display = ["name", "tax_code", "contact_name", "phone", "province", "is_active"]
    list_filter = ["is_active"]
    search_fields = ["name", "tax_code", "phone", "search_text"]
    raw_id_fields = ["province", "ward"]
    inlines = [SupplierVariantInline]


class PurchaseOrderLineInline(admin.TabularInline):
    model = PurchaseOrderLine
    extra = 0
    raw_id_fields = ["variant"]


@admin.register(PurchaseOrder)
class PurchaseOrderAdmin(admin.ModelAdmin):
    # Status and totals move through the services (send, cancel, receipts); shown read-only.
    list_display = [
        "code",
        "supplier",
        "status",
        "warehouse",
        "expected_date",
        "total",
        "created_at",
    ]
    list_filter = ["status", "warehouse"]
    search_fields = ["code", "supplier__name"]
    list_select_related = ["supplier", "warehouse"]
    raw_id_fields = ["supplier", "created_by"]
    readonly_fields = [
        "code",
        "status",
        "goods_total",
        "vat_total",
        "total",
        "created_at",
        "sent_at",
        "received_at",
    ]
    inlines = [PurchaseOrderLineInline]


class GoodsReceiptLineInline(admin.TabularInline):
    model = GoodsReceiptLine
    extra = 0
    raw_id_fields = ["variant", "purchase_order_line"]

    def has_change_permission(self, request, obj=None):
        return False

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(GoodsReceipt)
class GoodsReceiptAdmin(admin.ModelAdmin):
    # A receipt posted stock movements: it is a record, not editable here.
    list_display = ["code", "purchase_order", "supplier", "warehouse", "received_at"]
    list_filter = ["warehouse"]
    search_fields = ["code", "purchase_order__code", "supplier__name"]
    list_select_related = ["purchase_order", "supplier", "warehouse"]
    inlines = [GoodsReceiptLineInline]

    def has_change_permission(self, request, obj=None):
        return False

    def has_add_permission(self, request):
        return False
