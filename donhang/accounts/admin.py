from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.utils.translation import gettext_lazy as _

from donhang.accounts.models import ApiKey, LoginFailure, User


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    fieldsets = (
        *DjangoUserAdmin.fieldsets[:1],
        (_("Personal info"), {"fields": ("last_name", "first_name", "email", "phone")}),
        *DjangoUserAdmin.fieldsets[2:],
    )
    list_display = ("username", "full_name", "role_label", "email", "phone", "is_active")
    list_filter = ("is_active", "groups", "is_staff", "is_superuser")
    search_fields = ("username", "first_name", "last_name", "email", "phone")

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("groups")

    @admin.display(description=_("name"))
    def full_name(self, obj):
        return obj.get_full_name()

    @admin.display(description=_("role"))
    def role_label(self, obj):
        return obj.role_label


@admin.register(ApiKey)
class ApiKeyAdmin(admin.ModelAdmin):
    list_display = (
        "name",
        "prefix",
        "role",
        "created_by",
        "created_at",
        "last_used_at",
        "revoked_at",
    )
    list_filter = ("role",)
    search_fields = ("name", "prefix")
    list_select_related = ("role", "created_by")
    readonly_fields = ("prefix", "key_hash", "created_by", "created_at", "last_used_at")

    def has_add_permission(self, request):
        # A key's value is shown once when it is created; that happens under Staff → API keys
        # or `manage.py create_api_key`, never here.
        return False


@admin.register(LoginFailure)
class LoginFailureAdmin(admin.ModelAdmin):
    list_display = ("at", "username", "ip_address")
    search_fields = ("username", "ip_address")
    date_hierarchy = "at"

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
