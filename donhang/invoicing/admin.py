from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from donhang.invoicing.models import Invoice, InvoiceAccount, InvoiceLine, InvoiceTemplate


@admin.register(InvoiceAccount)
class InvoiceAccountAdmin(admin.ModelAdmin):
    # The encrypted credentials are never shown nor edited here: the invoice settings page
    # (owners) sets them and only says whether they are set.
    list_display = ["name", "provider", "environment", "is_active"]
    list_filter = ["provider", "environment", "is_active"]
    fields = [
        "name",
        "provider",
        "environment",
        "base_url",
        "options",
        "is_active",
        "credentials_set",
    ]
    readonly_fields = ["credentials_set"]

    @admin.display(boolean=True, description=_("credentials set"))
    def credentials_set(self, obj):
        return bool(obj.credentials_encrypted)


@admin.register(InvoiceTemplate)
class InvoiceTemplateAdmin(admin.ModelAdmin):
    list_display = ["template_code", "series", "kind", "account", "is_default", "is_active"]
    list_filter = ["kind", "is_active"]


class InvoiceLineInline(admin.TabularInline):
    model = InvoiceLine
    extra = 0
    can_delete = False
    fields = ["position", "name", "quantity", "unit_price", "net", "vat_rate", "vat", "gross"]
    readonly_fields = fields


@admin.register(Invoice)
class InvoiceAdmin(admin.ModelAdmin):
    # Read-only: invoices change through the services (issue, retry, replace, adjust).
    list_display = ["__str__", "order", "purpose", "state", "invoice_date", "total"]
    list_filter = ["state", "purpose", "account"]
    search_fields = ["number", "buyer_tax_code", "order__code", "reference"]
    inlines = [InvoiceLineInline]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
