from django import forms
from django.contrib import admin, messages
from django.utils.translation import gettext as _

from donhang.core.errors import DomainError
from donhang.customers.selectors import address_units_resolve
from donhang.inventory import services
from donhang.inventory.models import StockLevel, StockMovement, Warehouse


class WarehouseAdminForm(forms.ModelForm):
    class Meta:
        model = Warehouse
        fields = [
            "code",
            "name",
            "kind",
            "address_line",
            "province",
            "ward",
            "contact_name",
            "phone",
            "is_active",
            "allow_negative_stock",
            "priority",
        ]

    def clean(self):
        # The services' rules (phone, ward in province, code format) before anything is saved.
        cleaned = super().clean()
        try:
            services.warehouse_fields_validate(
                {
                    key: cleaned[key]
                    for key in ("code", "name", "kind", "phone", "priority")
                    if key in cleaned
                }
            )
            address_units_resolve(province=cleaned.get("province"), ward=cleaned.get("ward"))
        except DomainError as error:
            for field, reason in error.fields.items():
                self.add_error(field if field in self.fields else None, reason)
            if not error.fields:
                self.add_error(None, error.message)
        deactivating = (
            self.instance.pk and self.initial.get("is_active") and not cleaned.get("is_active")
        )
        if (
            deactivating
            and StockLevel.objects.filter(warehouse=self.instance)
            .exclude(on_hand=0, reserved=0)
            .exists()
        ):
            self.add_error(
                "is_active",
                _("The warehouse still holds stock. Move it out before deactivating."),
            )
        return cleaned


@admin.register(Warehouse)
class WarehouseAdmin(admin.ModelAdmin):
    """Edits go through the services, so the audit log and the stock rules apply here too."""

    form = WarehouseAdminForm
    list_display = ["code", "name", "kind", "province", "is_active", "priority"]
    list_filter = ["is_active", "kind", "province"]
    list_select_related = ["province"]
    search_fields = ["code", "name"]
    autocomplete_fields = ["province", "ward"]

    def save_model(self, request, obj, form, change):
        values = {
            name: form.cleaned_data[name]
            for name in (
                "code",
                "name",
                "kind",
                "address_line",
                "province",
                "ward",
                "contact_name",
                "phone",
                "is_active",
                "allow_negative_stock",
                "priority",
            )
            if name in form.cleaned_data
        }
        try:
            if change:
                saved = services.warehouse_update(
                    warehouse=Warehouse.objects.get(pk=obj.pk), **values, actor=request.user
                )
            else:
                saved = services.warehouse_create(**values, actor=request.user)
        except DomainError as error:
            # Too late for the form (e.g. stock arrived meanwhile): say so, keep the old row.
            messages.error(request, error.message)
            if not change:
                raise
            return
        obj.pk = saved.pk
        obj.refresh_from_db()

    def has_delete_permission(self, request, obj=None):
        # Warehouses are deactivated, never deleted: movements point at them.
        return False


class _ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(StockMovement)
class StockMovementAdmin(_ReadOnlyAdmin):
    """The ledger is written by services only."""

    list_display = [
        "at",
        "variant",
        "warehouse",
        "kind",
        "bucket",
        "delta",
        "unit_cost",
        "reason",
        "actor_label",
    ]
    list_filter = ["kind", "bucket", "warehouse"]
    list_select_related = ["variant", "variant__product", "warehouse"]
    search_fields = ["variant__sku", "reason", "reference_label", "reference_id"]
    date_hierarchy = "at"

    # Unit costs are for roles that see cost prices (catalog.view_cost), here as everywhere.
    def get_list_display(self, request):
        shown = super().get_list_display(request)
        if request.user.has_perm("catalog.view_cost"):
            return shown
        return [name for name in shown if name != "unit_cost"]

    def get_exclude(self, request, obj=None):
        excluded = list(super().get_exclude(request, obj) or [])
        if not request.user.has_perm("catalog.view_cost"):
            excluded.append("unit_cost")
        return excluded


@admin.register(StockLevel)
class StockLevelAdmin(_ReadOnlyAdmin):
    """A cache of the ledger; changed only by posting movements."""

    list_display = ["variant", "warehouse", "on_hand", "reserved", "available", "returned"]
    list_filter = ["warehouse"]
    list_select_related = ["variant", "variant__product", "warehouse"]
    search_fields = ["variant__sku"]
