from django.contrib import admin

from donhang.purchasing.models import (
    GoodsReceipt,
    GoodsReceiptLine,
    PurchaseOrder,
    PurchaseOrderLine,
    Supplier,
    SupplierVariant,
)

# Purchase prices are cost prices: shown here, as everywhere, only to catalog.view_cost.
VIEW_COST = "catalog.view_cost"


class HidesCostMixin:
    cost_fields: tuple[str, ...] = ()

    def get_list_display(self, request):
        shown = super().get_list_display(request)
        if request.user.has_perm(VIEW_COST):
            return shown
        return [name for name in shown if name not in self.cost_fields]

    def get_exclude(self, request, obj=None):
        excluded = list(super().get_exclude(request, obj) or [])
        if not request.user.has_perm(VIEW_COST):
            excluded += self.cost_fields
        return excluded

    def get_readonly_fields(self, request, obj=None):
        fields = super().get_readonly_fields(request, obj)
        if request.user.has_perm(VIEW_COST):
            return fields
        return [name for name in fields if name not in self.cost_fields]


class SupplierVariantInline(HidesCostMixin, admin.TabularInline):
    cost_fields = ("last_purchase_price",)
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


class PurchaseOrderLineInline(HidesCostMixin, admin.TabularInline):
    cost_fields = ("unit_price",)
    model = PurchaseOrderLine
    extra = 0
    raw_id_fields = ["variant"]


@admin.register(PurchaseOrder)
class PurchaseOrderAdmin(HidesCostMixin, admin.ModelAdmin):
    cost_fields = ("goods_total", "vat_total", "total")
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


class GoodsReceiptLineInline(HidesCostMixin, admin.TabularInline):
    cost_fields = ("unit_cost",)
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
