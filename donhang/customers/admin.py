from django.contrib import admin

from donhang.customers.models import Province, Ward


class _ReadOnlyAdmin(admin.ModelAdmin):
    """Administrative units come from the government's list (data/); they are not edited here."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Province)
class ProvinceAdmin(_ReadOnlyAdmin):
    list_display = ["code", "name"]
    search_fields = ["name", "search_name", "=code"]
    ordering = ["search_name"]


@admin.register(Ward)
class WardAdmin(_ReadOnlyAdmin):
    list_display = ["code", "name", "province"]
    list_filter = ["province"]
    list_select_related = ["province"]
    search_fields = ["name", "search_name", "=code"]
    ordering = ["province__search_name", "search_name"]
