from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from donhang.shipping.models import (
    CarrierAccount,
    CarrierAddressMapping,
    CodPayout,
    CodPayoutLine,
    Shipment,
    ShipmentEvent,
    ShipmentLine,
    WebhookDelivery,
)


@admin.register(CarrierAccount)
class CarrierAccountAdmin(admin.ModelAdmin):
    # The encrypted credentials and webhook secret are never shown nor edited here: the
    # carrier accounts page (owners) sets them and only says whether they are set.
    list_display = ["name", "provider", "environment", "pickup_warehouse", "is_active"]
    list_filter = ["provider", "environment", "is_active"]
    fields = [
        "name",
        "provider",
        "environment",
        "base_url",
        "options",
        "pickup_warehouse",
        "is_active",
        "credentials_set",
        "webhook_secret_set",
    ]
    readonly_fields = ["credentials_set", "webhook_secret_set"]

    @admin.display(boolean=True, description=_("credentials set"))
    def credentials_set(self, obj):
        return bool(obj.credentials_encrypted)

    @admin.display(boolean=True, description=_("webhook secret set"))
    def webhook_secret_set(self, obj):
        return bool(obj.webhook_secret_encrypted)


@admin.register(CarrierAddressMapping)
class CarrierAddressMappingAdmin(admin.ModelAdmin):
    list_display = [
        "provider",
        "ward",
        "carrier_province_id",
        "carrier_district_id",
        "carrier_ward_id",
    ]
    list_filter = ["provider"]
    raw_id_fields = ["ward"]


class ShipmentEventInline(admin.TabularInline):
    model = ShipmentEvent
    extra = 0
    can_delete = False
    readonly_fields = [
        "at",
        "status",
        "carrier_status",
        "description",
        "reason_code",
        "source",
        "applied",
        "received_at",
    ]

    def has_add_permission(self, request, obj=None):
        return False


class ShipmentLineInline(admin.TabularInline):
    model = ShipmentLine
    extra = 0
    can_delete = False
    readonly_fields = ["order_line", "quantity"]

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Shipment)
class ShipmentAdmin(admin.ModelAdmin):
    # Statuses move through the services (carrier events, cancel); shown read-only. So is the
    # COD: what a parcel collects is checked against what the order owes when it is created.
    list_display = [
        "reference",
        "tracking_code",
        "account",
        "status",
        "cod_amount",
        "fee",
        "expected_delivery_at",
        "created_at",
    ]
    list_filter = ["status", "account"]
    search_fields = ["reference", "tracking_code", "order__code"]
    raw_id_fields = ["order", "created_by"]
    readonly_fields = [
        "status",
        "carrier_status",
        "cod_amount",
        "cod_short_reason",
        "tracking_code",
        "warehouse",
        "attempts",
        "last_error",
        "create_outcome",
        "send_started_at",
        "cancel_requested_at",
        "picked_at",
        "delivered_at",
        "finished_at",
        "last_event_at",
        "last_polled_at",
        "cod_paid_amount",
        "cod_paid_at",
        "fee_charged",
    ]
    inlines = [ShipmentLineInline, ShipmentEventInline]


@admin.register(WebhookDelivery)
class WebhookDeliveryAdmin(admin.ModelAdmin):
    list_display = ["provider", "received_at", "is_duplicate", "processed_at", "error"]
    list_filter = ["provider", "is_duplicate"]
    readonly_fields = [
        "provider",
        "received_at",
        "headers",
        "body",
        "dedupe_key",
        "is_duplicate",
        "processed_at",
        "error",
    ]


class CodPayoutLineInline(admin.TabularInline):
    model = CodPayoutLine
    extra = 0
    raw_id_fields = ["shipment"]
    readonly_fields = ["cod_difference", "fee_difference", "problem"]


@admin.register(CodPayout)
class CodPayoutAdmin(admin.ModelAdmin):
    list_display = ["paid_at", "account", "reference", "source_file", "created_at"]
    list_filter = ["account"]
    search_fields = ["reference", "lines__tracking_code"]
    raw_id_fields = ["created_by"]
    inlines = [CodPayoutLineInline]
