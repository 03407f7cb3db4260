"""Carrier accounts, shipments and their events, inbound webhooks, COD payouts, label batches."""

from django.conf import settings
from django.core.files.storage import FileSystemStorage
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from donhang.core.secrets import decrypt_json, encrypt_json
from donhang.core.storage import PrivateFileStorage
from donhang.shipping.carriers.ports import ShipmentStatus


class Provider(models.TextChoices):
    GHN = "ghn", "Giao Hàng Nhanh"
    VIETTELPOST = "viettelpost", "Viettel Post"


class Environment(models.TextChoices):
    PRODUCTION = "production", _("Production")
    TEST = "test", _("Test (carrier's sandbox)")
    EMULATOR = "emulator", _("Emulator (offline demo)")


class CarrierAccount(models.Model):
    """A shop's account at a carrier. Credentials are encrypted at rest."""

    name = models.CharField(_("name"), max_length=100)
    provider = models.CharField(_("carrier"), max_length=20, choices=Provider.choices)
    environment = models.CharField(
        _("environment"), max_length=20, choices=Environment.choices, default=Environment.PRODUCTION
    )
    base_url = models.URLField(
        _("API address"),
        blank=True,
        help_text=_("Empty: the carrier's address for the environment."),
    )
    credentials_encrypted = models.TextField(blank=True, editable=False)
    webhook_secret_encrypted = models.TextField(blank=True, editable=False)
    options = models.JSONField(
        _("options"), default=dict, blank=True, help_text=_("e.g. GHN shop id, default service")
    )
    pickup_warehouse = models.ForeignKey(
        "inventory.Warehouse",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("pick up from"),
    )
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["provider", "name"]
        verbose_name = _("carrier account")
        verbose_name_plural = _("carrier accounts")

    def __str__(self):
        return f"{self.get_provider_display()} — {self.name}"

    @property
    def credentials(self) -> dict:
        return decrypt_json(self.credentials_encrypted)

    @credentials.setter
    def credentials(self, value: dict) -> None:
        self.credentials_encrypted = encrypt_json(value or {})

    @property
    def webhook_secret(self) -> str:
        return (
            decrypt_json(self.webhook_secret_encrypted).get("secret", "")
            if self.webhook_secret_encrypted
            else ""
        )

    @webhook_secret.setter
    def webhook_secret(self, value: str) -> None:
        self.webhook_secret_encrypted = encrypt_json({"secret": value}) if value else ""


class CarrierAddressMapping(models.Model):
    """A carrier's own ids for one of our wards, kept apart from the address itself."""

    provider = models.CharField(max_length=20, choices=Provider.choices)
    ward = models.ForeignKey("customers.Ward", on_delete=models.CASCADE, related_name="+")
    carrier_province_id = models.CharField(max_length=20)
    carrier_district_id = models.CharField(max_length=20, blank=True)
    carrier_ward_id = models.CharField(max_length=20)
    carrier_ward_name = models.CharField(max_length=100, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["provider", "ward"], name="carrier_mapping_unique")
        ]


# Create attempts per sending (then staff retry by hand).
MAX_ATTEMPTS = 5


STATUS_CHOICES = [
    (ShipmentStatus.PENDING.value, _("Sending to the carrier")),
    (ShipmentStatus.READY_TO_PICK.value, _("Waiting for pickup")),
    (ShipmentStatus.PICKING.value, _("Being picked up")),
    (ShipmentStatus.PICKED.value, _("Picked up")),
    (ShipmentStatus.IN_TRANSIT.value, _("In transit")),
    (ShipmentStatus.DELIVERING.value, _("Out for delivery")),
    (ShipmentStatus.DELIVERED.value, _("Delivered")),
    (ShipmentStatus.DELIVERY_FAILED.value, _("Delivery failed")),
    (ShipmentStatus.RETURNING.value, _("Returning to the shop")),
    (ShipmentStatus.RETURNED.value, _("Returned to the shop")),
    (ShipmentStatus.CANCELLED.value, _("Cancelled")),
    (ShipmentStatus.LOST.value, _("Lost or damaged")),
]


class ShipmentQuerySet(models.QuerySet):
    def live(self):
        """Parcels that exist at the carrier, or may: all but the cancelled, the returned and
        those whose sending ended without ever reaching the carrier (or that it refused)."""
        return self.exclude(status__in=[ShipmentStatus.CANCELLED, ShipmentStatus.RETURNED]).exclude(
            status=ShipmentStatus.PENDING,
            last_error__gt="",
            attempts__gte=MAX_ATTEMPTS,
            create_outcome__in=["", "refused"],
        )


class Shipment(models.Model):
    """One parcel at a carrier. An order whose stock sits in several warehouses ships as one
    parcel per warehouse (its lines in ShipmentLine), each picked up where its stock is."""

    class FeePayer(models.TextChoices):
        BUYER = "buyer", _("Buyer")
        SELLER = "seller", _("Seller")

    class Inspection(models.TextChoices):
        NONE = "none", _("No inspection")
        VIEW = "view", _("May look, no try-on")
        TRY = "try", _("May try on")

    class CreateOutcome(models.TextChoices):
        """What we know of the create call at the carrier (intent before the call, answer
        after it). "sending" and "unknown" mean a parcel may exist that we have no number for:
        look it up by our reference (or resend under the same reference) before anything else."""

        NOT_SENT = "", _("Not sent yet")
        SENDING = "sending", _("Sending (no answer yet)")
        UNKNOWN = "unknown", _("Outcome unknown")
        REFUSED = "refused", _("Refused by the carrier")
        CREATED = "created", _("Created")

    order = models.ForeignKey("orders.Order", on_delete=models.PROTECT, related_name="shipments")
    account = models.ForeignKey(
        CarrierAccount,
        on_delete=models.PROTECT,
        related_name="shipments",
        verbose_name=_("carrier"),
    )
    reference = models.CharField(_("our reference"), max_length=40, unique=True)
    warehouse = models.ForeignKey(
        "inventory.Warehouse",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("pick up from"),
        help_text=_("The warehouse holding this parcel's stock."),
    )
    tracking_code = models.CharField(_("tracking number"), max_length=40, blank=True, db_index=True)
    service_code = models.CharField(_("service"), max_length=20, blank=True)
    service_name = models.CharField(max_length=100, blank=True)
    status = models.CharField(
        _("status"), max_length=20, choices=STATUS_CHOICES, default=ShipmentStatus.PENDING.value
    )
    carrier_status = models.CharField(_("carrier status"), max_length=40, blank=True)
    cod_amount = models.BigIntegerField(_("COD amount"), default=0)
    cod_short_reason = models.CharField(
        _("why the COD is less than the order owes"),
        max_length=300,
        blank=True,
        help_text=_("Given by a manager who let the parcels collect less than the order owes."),
    )
    goods_value = models.BigIntegerField(_("declared value"), default=0)
    fee = models.BigIntegerField(_("shipping fee"), default=0)
    fee_payer = models.CharField(
        _("shipping paid by"), max_length=10, choices=FeePayer.choices, default=FeePayer.BUYER
    )
    inspection = models.CharField(
        _("inspection"), max_length=10, choices=Inspection.choices, default=Inspection.VIEW
    )
    weight_g = models.PositiveIntegerField(_("weight (g)"))
    length_cm = models.PositiveIntegerField(_("length (cm)"), default=10)
    width_cm = models.PositiveIntegerField(_("width (cm)"), default=10)
    height_cm = models.PositiveIntegerField(_("height (cm)"), default=10)
    note = models.CharField(_("note for the carrier"), max_length=255, blank=True)
    last_error = models.TextField(_("last error"), blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    create_outcome = models.CharField(
        max_length=10, choices=CreateOutcome.choices, default="", blank=True
    )
    send_started_at = models.DateTimeField(
        null=True, blank=True, help_text="A create call under way since then (no answer yet)."
    )
    cancel_requested_at = models.DateTimeField(
        _("cancel requested"),
        null=True,
        blank=True,
        help_text=_("Waiting for the carrier before the cancel can complete."),
    )
    expected_delivery_at = models.DateTimeField(_("expected delivery"), null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    picked_at = models.DateTimeField(null=True, blank=True)
    delivered_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    last_event_at = models.DateTimeField(null=True, blank=True)
    last_polled_at = models.DateTimeField(null=True, blank=True)
    cod_paid_amount = models.BigIntegerField(_("COD paid out"), null=True, blank=True)
    cod_paid_at = models.DateTimeField(_("COD paid on"), null=True, blank=True)
    fee_charged = models.BigIntegerField(_("fee charged"), null=True, blank=True)

    objects = ShipmentQuerySet.as_manager()

    class Meta:
        ordering = ["-id"]
        verbose_name = _("shipment")
        verbose_name_plural = _("shipments")
        permissions = [
            ("reconcile_cod", _("Can record carrier COD payouts")),
            ("reduce_cod", _("Can collect less COD than the order owes")),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["account", "tracking_code"],
                condition=~Q(tracking_code=""),
                name="shipment_unique_tracking",
            )
        ]
        indexes = [models.Index(fields=["status", "last_event_at"], name="shipment_status_event")]

    def __str__(self):
        return self.tracking_code or self.reference

    @property
    def status_enum(self) -> ShipmentStatus:
        return ShipmentStatus(self.status)

    @property
    def is_late(self) -> bool:
        return bool(
            self.expected_delivery_at
            and not self.status_enum.is_terminal
            and self.status != ShipmentStatus.PENDING
            and timezone.now() > self.expected_delivery_at
        )

    @property
    def is_active(self) -> bool:
        """In memory, the same as ShipmentQuerySet.live()."""
        return self.status not in (
            ShipmentStatus.CANCELLED.value,
            ShipmentStatus.RETURNED.value,
        ) and not (
            self.status == ShipmentStatus.PENDING.value
            and self.last_error
            and self.attempts >= MAX_ATTEMPTS
            and self.create_outcome in ("", "refused")
        )


class ShipmentLine(models.Model):
    """What one parcel holds: a quantity of an order line (its stock in the parcel's warehouse)."""

    shipment = models.ForeignKey(Shipment, on_delete=models.CASCADE, related_name="lines")
    order_line = models.ForeignKey(
        "orders.OrderLine", on_delete=models.CASCADE, related_name="shipment_lines"
    )
    quantity = models.PositiveIntegerField()

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(fields=["shipment", "order_line"], name="shipment_line_unique"),
            models.CheckConstraint(condition=Q(quantity__gt=0), name="shipment_line_quantity_gt_0"),
        ]


class ShipmentEvent(models.Model):
    shipment = models.ForeignKey(Shipment, on_delete=models.CASCADE, related_name="events")
    at = models.DateTimeField()
    carrier_status = models.CharField(max_length=40)
    status = models.CharField(max_length=20, choices=STATUS_CHOICES)
    description = models.CharField(max_length=500, blank=True)
    reason_code = models.CharField(max_length=40, blank=True)
    source = models.CharField(max_length=10)  # webhook, poll, api
    applied = models.BooleanField(
        default=True, help_text="False when ignored (out of order, after a terminal state)"
    )
    received_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["at", "id"]


class WebhookDelivery(models.Model):
    """Every inbound webhook, stored raw before anything else happens."""

    provider = models.CharField(max_length=20)
    account = models.ForeignKey(
        CarrierAccount,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text="The account whose secret the webhook carried.",
    )
    received_at = models.DateTimeField(auto_now_add=True, db_index=True)
    headers = models.JSONField(default=dict)
    body = models.TextField()
    dedupe_key = models.CharField(max_length=200, blank=True)
    is_duplicate = models.BooleanField(default=False)
    processed_at = models.DateTimeField(null=True, blank=True)
    error = models.TextField(blank=True)

    class Meta:
        ordering = ["-id"]


class CodPayout(models.Model):
    """A carrier's COD payout (a statement): what it paid for which shipments."""

    account = models.ForeignKey(
        CarrierAccount, on_delete=models.PROTECT, related_name="payouts", verbose_name=_("carrier")
    )
    reference = models.CharField(_("statement reference"), max_length=60, blank=True)
    paid_at = models.DateField(_("paid on"))
    source_file = models.CharField(max_length=200, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-paid_at", "-id"]


class CodPayoutLine(models.Model):
    payout = models.ForeignKey(CodPayout, on_delete=models.CASCADE, related_name="lines")
    tracking_code = models.CharField(max_length=40)
    shipment = models.ForeignKey(
        Shipment, null=True, blank=True, on_delete=models.SET_NULL, related_name="payout_lines"
    )
    cod_amount = models.BigIntegerField()
    fee = models.BigIntegerField(default=0)
    cod_difference = models.BigIntegerField(default=0)
    fee_difference = models.BigIntegerField(default=0)
    problem = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["id"]


def label_storage() -> FileSystemStorage:
    """Label PDFs hold buyers' names, phones and addresses: kept outside MEDIA_ROOT (served to
    anyone), in LABEL_FILES_ROOT (default: "private/labels" beside MEDIA_ROOT), and served by our
    own view to staff who may see shipments."""
    return PrivateFileStorage("LABEL_FILES_ROOT", "private/labels")


class LabelBatch(models.Model):
    """Our own labels for many shipments in one PDF, made in the background (more labels than a
    page request should wait for); the page follows its progress and then offers the file."""

    class State(models.TextChoices):
        PENDING = "pending", _("Waiting")
        RUNNING = "running", _("Printing")
        DONE = "done", _("Ready")
        FAILED = "failed", _("Failed")

    shipment_ids = models.JSONField(default=list)
    size = models.CharField(max_length=10, default="A6")
    total = models.PositiveIntegerField(default=0)
    done = models.PositiveIntegerField(default=0)
    state = models.CharField(max_length=10, choices=State.choices, default=State.PENDING)
    file = models.FileField(storage=label_storage, upload_to="batches", blank=True)
    error = models.CharField(max_length=500, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-id"]

    @property
    def percent(self) -> int:
        return int(100 * self.done / self.total) if self.total else 100
