"""Returns and exchanges: goods coming back from an order (requested → received → inspected →
closed), what the inspection found per line, refunds, the exchange order and the e-invoice
correction the return prepares for the accountant."""

from __future__ import annotations

from django.conf import settings
from django.core.files.storage import FileSystemStorage
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from donhang.core.storage import PrivateFileStorage


class Source(models.TextChoices):
    STAFF = "staff", _("Staff")
    CUSTOMER = "customer", _("Customer (website or chatbot)")
    MARKETPLACE = "marketplace", _("Marketplace")
    CARRIER = "carrier", _("Carrier (returned to sender)")


class State(models.TextChoices):
    REQUESTED = "requested", pgettext_lazy("return state", "Requested")
    RECEIVED = "received", pgettext_lazy("return state", "Received")
    INSPECTED = "inspected", pgettext_lazy("return state", "Inspected")
    CLOSED = "closed", pgettext_lazy("return state", "Closed")
    CANCELLED = "cancelled", pgettext_lazy("return state", "Cancelled")


# States in which the goods are back (or on their way to be inspected): they count as returned.
GOODS_BACK = (State.RECEIVED, State.INSPECTED, State.CLOSED)


class Reason(models.TextChoices):
    CHANGED_MIND = "changed_mind", _("Changed their mind")
    WRONG_SIZE = "wrong_size", _("Wrong size or colour")
    WRONG_ITEM = "wrong_item", _("Wrong item sent")
    DEFECTIVE = "defective", _("Defective")
    DAMAGED_IN_TRANSIT = "damaged_in_transit", _("Damaged in transit")
    NOT_AS_DESCRIBED = "not_as_described", _("Not as described")
    UNDELIVERED = "undelivered", _("Not delivered (returned to sender)")
    OTHER = "other", _("Other")


class InvoiceAction(models.TextChoices):
    NONE = "", _("—")
    ADJUSTMENT = "adjustment", _("Adjustment invoice")
    REPLACEMENT = "replacement", _("Replacement invoice")


def return_storage() -> FileSystemStorage:
    """Photos of returned goods may show a buyer's name and address on the parcel: they live
    outside MEDIA_ROOT (which anyone may read), in RETURN_FILES_ROOT (default: "private/returns"
    beside MEDIA_ROOT), and are served by our own view to staff who may see returns."""
    return PrivateFileStorage("RETURN_FILES_ROOT", "private/returns")


class Return(models.Model):
    code = models.CharField(_("return code"), max_length=20, unique=True, null=True)
    order = models.ForeignKey(
        "orders.Order", on_delete=models.PROTECT, related_name="returns", verbose_name=_("order")
    )
    source = models.CharField(
        _("source"), max_length=12, choices=Source.choices, default=Source.STAFF
    )
    state = models.CharField(
        _("state"), max_length=12, choices=State.choices, default=State.REQUESTED
    )
    reason = models.CharField(
        _("reason"), max_length=24, choices=Reason.choices, default=Reason.OTHER
    )
    note = models.TextField(_("note"), blank=True)
    external_id = models.CharField(
        _("marketplace return id"),
        max_length=64,
        blank=True,
        help_text=_("The platform's id of the return request (marketplace returns)."),
    )
    from_parcel = models.BooleanField(
        _("returned parcel"),
        default=False,
        help_text=_("The whole parcel came back: its goods already wait for inspection."),
    )
    at_counter = models.BooleanField(
        _("handed in at the counter"),
        default=False,
        help_text=_("Inspected on the spot: good units go straight back to sellable stock."),
    )
    warehouse = models.ForeignKey(
        "inventory.Warehouse",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("received at"),
    )
    exchange_order = models.OneToOneField(
        "orders.Order",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="exchange_for",
        verbose_name=_("exchange order"),
    )
    exchange_credit = models.BigIntegerField(
        _("credit used for the exchange"),
        default=0,
        help_text=_("Value of the returned goods paid towards the exchange order."),
    )
    invoice_action = models.CharField(
        _("e-invoice correction"),
        max_length=12,
        choices=InvoiceAction.choices,
        default="",
        blank=True,
    )
    invoice = models.ForeignKey(
        "invoicing.Invoice",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("invoice to correct"),
    )
    invoice_correction = models.ForeignKey(
        "invoicing.Invoice",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("correction invoice"),
    )

    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_by_label = models.CharField(max_length=150, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    received_at = models.DateTimeField(_("received at"), null=True, blank=True)
    received_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    inspected_at = models.DateTimeField(_("inspected at"), null=True, blank=True)
    inspected_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    cancelled_at = models.DateTimeField(_("cancelled at"), null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-id"]
        verbose_name = _("return")
        verbose_name_plural = _("returns")
        permissions = [
            ("receive_return", _("Can receive returned goods")),
            ("inspect_return", _("Can inspect returned goods")),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["order", "external_id"],
                condition=~Q(external_id=""),
                name="return_unique_order_external_id",
            ),
            # One returned parcel per order: the carrier's hook may be called again.
            models.UniqueConstraint(
                fields=["order"],
                condition=Q(from_parcel=True) & ~Q(state="cancelled"),
                name="return_one_parcel_per_order",
            ),
            models.CheckConstraint(
                condition=Q(exchange_credit__gte=0), name="return_exchange_credit_gte_0"
            ),
        ]
        indexes = [
            models.Index(fields=["state", "-id"], name="return_state_id"),
            models.Index(fields=["source", "-id"], name="return_source_id"),
            models.Index(fields=["created_at"], name="return_created_at"),
        ]

    def __str__(self):
        return self.code or f"#{self.pk}"

    @property
    def is_open(self) -> bool:
        return self.state not in (State.CLOSED, State.CANCELLED)


def _photo_path(line: ReturnLine, filename: str) -> str:
    # The name is ours (CleanImage.name); only the folder is added here.
    return f"{line.goods_return.created_at:%Y/%m}/{filename}"


class ReturnLine(models.Model):
    goods_return = models.ForeignKey(Return, on_delete=models.CASCADE, related_name="lines")
    order_line = models.ForeignKey(
        "orders.OrderLine", on_delete=models.PROTECT, related_name="return_lines"
    )
    variant = models.ForeignKey("catalog.Variant", on_delete=models.PROTECT, related_name="+")
    sku = models.CharField(_("SKU"), max_length=64)
    name = models.CharField(_("product"), max_length=300)
    quantity = models.PositiveIntegerField(_("quantity"))
    reason = models.CharField(
        _("reason"), max_length=24, choices=Reason.choices, default=Reason.OTHER
    )
    unit_cost = models.BigIntegerField(
        _("unit cost (excl. VAT)"),
        null=True,
        blank=True,
        help_text=_("The cost the units left the warehouse with (the sale)."),
    )
    good_quantity = models.PositiveIntegerField(_("good"), default=0)
    damaged_quantity = models.PositiveIntegerField(_("damaged"), default=0)
    missing_quantity = models.PositiveIntegerField(_("missing"), default=0)
    good_warehouse = models.ForeignKey(
        "inventory.Warehouse",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("good units to"),
    )
    damage_note = models.CharField(_("damage"), max_length=500, blank=True)
    damage_photo = models.FileField(
        _("photo"), storage=return_storage, upload_to=_photo_path, blank=True, max_length=200
    )

    class Meta:
        ordering = ["id"]
        constraints = [
            models.CheckConstraint(condition=Q(quantity__gt=0), name="returnline_quantity_gt_0"),
            models.CheckConstraint(
                condition=Q(
                    quantity__gte=F("good_quantity") + F("damaged_quantity") + F("missing_quantity")
                ),
                name="returnline_inspected_lte_quantity",
            ),
            models.UniqueConstraint(
                fields=["goods_return", "order_line"], name="returnline_unique_order_line"
            ),
        ]
        indexes = [models.Index(fields=["variant"], name="returnline_variant")]

    def __str__(self):
        return f"{self.sku} × {self.quantity}"

    @property
    def back_quantity(self) -> int:
        """Units that came back (good and damaged), once inspected."""
        return self.good_quantity + self.damaged_quantity


class RefundMethod(models.TextChoices):
    CASH = "cash", _("Cash")
    BANK_TRANSFER = "bank_transfer", _("Bank transfer")
    MARKETPLACE = "marketplace", _("Through the marketplace")


class RefundStatus(models.TextChoices):
    PENDING = "pending", pgettext_lazy("refund status", "To pay")
    REFUNDED = "refunded", pgettext_lazy("refund status", "Refunded")
    CANCELLED = "cancelled", pgettext_lazy("refund status", "Cancelled")


class Refund(models.Model):
    """Money going back to the buyer for a return. Once paid it is a negative payment of the
    order (orders.Payment), which moves its payment status to partly refunded / refunded."""

    goods_return = models.ForeignKey(Return, on_delete=models.PROTECT, related_name="refunds")
    order = models.ForeignKey("orders.Order", on_delete=models.PROTECT, related_name="+")
    amount = models.BigIntegerField(_("amount"))
    includes_shipping = models.BooleanField(_("shipping fee included"), default=False)
    method = models.CharField(_("method"), max_length=16, choices=RefundMethod.choices)
    status = models.CharField(
        _("status"), max_length=12, choices=RefundStatus.choices, default=RefundStatus.PENDING
    )
    bank_bin = models.CharField(_("bank BIN"), max_length=6, blank=True)
    bank_name = models.CharField(_("bank"), max_length=100, blank=True)
    bank_account = models.CharField(_("account number"), max_length=19, blank=True)
    account_holder = models.CharField(_("account holder"), max_length=100, blank=True)
    reference = models.CharField(_("reference"), max_length=120, blank=True)
    note = models.CharField(_("note"), max_length=300, blank=True)
    payment = models.OneToOneField(
        "orders.Payment", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    refunded_at = models.DateTimeField(_("refunded at"), null=True, blank=True)

    class Meta:
        ordering = ["id"]
        verbose_name = _("refund")
        verbose_name_plural = _("refunds")
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="refund_amount_gt_0"),
            models.CheckConstraint(
                condition=~Q(status="refunded") | Q(payment__isnull=False),
                name="refund_refunded_has_payment",
            ),
        ]
        indexes = [models.Index(fields=["order", "status"], name="refund_order_status")]

    def __str__(self):
        return f"{self.goods_return} · {self.amount}"
