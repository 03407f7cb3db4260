"""Suppliers, purchase orders and goods receipts."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from donhang.core.models import TimestampedModel
from donhang.core.money import VatRate


class Supplier(TimestampedModel):
    name = models.CharField(_("name"), max_length=200)
    tax_code = models.CharField(_("tax code"), max_length=20, blank=True)
    contact_name = models.CharField(_("contact person"), max_length=120, blank=True)
    phone = models.CharField(_("phone"), max_length=20, blank=True)
    email = models.EmailField(_("email"), blank=True)
    address_line = models.CharField(_("street address"), max_length=255, blank=True)
    province = models.ForeignKey(
        "customers.Province",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("province"),
    )
    ward = models.ForeignKey(
        "customers.Ward",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("ward"),
    )
    payment_terms = models.CharField(
        _("payment terms"), max_length=120, blank=True, help_text=_("e.g. 30 days after delivery")
    )
    note = models.TextField(_("note"), blank=True)
    is_active = models.BooleanField(_("active"), default=True)
    search_text = models.CharField(max_length=400, blank=True, editable=False)

    class Meta:
        ordering = ["name"]
        verbose_name = _("supplier")
        verbose_name_plural = _("suppliers")

    def __str__(self):
        return self.name


class SupplierVariant(models.Model):
    """A variant a supplier sells us, with the last price we paid (excl. VAT)."""

    supplier = models.ForeignKey(Supplier, on_delete=models.CASCADE, related_name="variants")
    variant = models.ForeignKey(
        "catalog.Variant", on_delete=models.CASCADE, related_name="suppliers"
    )
    supplier_sku = models.CharField(_("supplier's code"), max_length=64, blank=True)
    last_purchase_price = models.BigIntegerField(_("last purchase price"), default=0)
    is_preferred = models.BooleanField(_("preferred supplier"), default=False)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["supplier", "variant"], name="suppliervariant_unique"),
            models.UniqueConstraint(
                fields=["variant"],
                condition=Q(is_preferred=True),
                name="suppliervariant_one_preferred",
            ),
        ]


class PurchaseOrder(models.Model):
    class Status(models.TextChoices):
        DRAFT = "draft", pgettext_lazy("purchase order", "Draft")
        SENT = "sent", pgettext_lazy("purchase order", "Sent")
        PARTIALLY_RECEIVED = (
            "partially_received",
            pgettext_lazy("purchase order", "Partially received"),
        )
        RECEIVED = "received", pgettext_lazy("purchase order", "Received")
        # Partly received, the rest cancelled: nothing more is expected.
        CLOSED = "closed", pgettext_lazy("purchase order", "Closed")
        CANCELLED = "cancelled", pgettext_lazy("purchase order", "Cancelled")

    code = models.CharField(_("code"), max_length=20, unique=True, null=True)
    supplier = models.ForeignKey(
        Supplier,
        on_delete=models.PROTECT,
        related_name="purchase_orders",
        verbose_name=_("supplier"),
    )
    warehouse = models.ForeignKey(
        "inventory.Warehouse",
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("deliver to"),
    )
    status = models.CharField(
        _("status"), max_length=20, choices=Status.choices, default=Status.DRAFT
    )
    expected_date = models.DateField(_("expected on"), null=True, blank=True)
    note = models.TextField(_("note"), blank=True)
    goods_total = models.BigIntegerField(_("goods (excl. VAT)"), default=0)
    vat_total = models.BigIntegerField(_("VAT"), default=0)
    total = models.BigIntegerField(_("total"), default=0)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)
    received_at = models.DateTimeField(_("received at"), null=True, blank=True)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)

    class Meta:
        ordering = ["-id"]
        verbose_name = _("purchase order")
        verbose_name_plural = _("purchase orders")
        permissions = [("confirm_purchaseorder", _("Can confirm and send purchase orders"))]
        indexes = [models.Index(fields=["status", "-id"], name="po_status_id")]

    def __str__(self):
        return self.code or f"#{self.pk}"

    @property
    def is_open(self) -> bool:
        return self.status in (self.Status.DRAFT, self.Status.SENT, self.Status.PARTIALLY_RECEIVED)


class PurchaseOrderLine(models.Model):
    purchase_order = models.ForeignKey(
        PurchaseOrder, on_delete=models.CASCADE, related_name="lines"
    )
    variant = models.ForeignKey("catalog.Variant", on_delete=models.PROTECT, related_name="+")
    quantity = models.PositiveIntegerField(_("quantity"))
    received_quantity = models.PositiveIntegerField(_("received"), default=0)
    cancelled_quantity = models.PositiveIntegerField(
        _("cancelled"), default=0, help_text=_("Not delivered and no longer expected.")
    )
    unit_price = models.BigIntegerField(_("unit price (excl. VAT)"))
    vat_rate = models.CharField(
        _("VAT rate"), max_length=8, choices=VatRate.choices, default=VatRate.TEN
    )

    class Meta:
        ordering = ["id"]
        constraints = [
            models.CheckConstraint(condition=Q(quantity__gt=0), name="poline_quantity_gt_0"),
            models.CheckConstraint(condition=Q(unit_price__gte=0), name="poline_price_gte_0"),
        ]

    @property
    def remaining(self) -> int:
        """Units still expected from the supplier."""
        return max(self.quantity - self.received_quantity - self.cancelled_quantity, 0)


class GoodsReceipt(models.Model):
    code = models.CharField(_("code"), max_length=20, unique=True, null=True)
    purchase_order = models.ForeignKey(
        PurchaseOrder,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="receipts",
        verbose_name=_("purchase order"),
    )
    supplier = models.ForeignKey(
        Supplier, null=True, blank=True, on_delete=models.PROTECT, related_name="receipts"
    )
    warehouse = models.ForeignKey(
        "inventory.Warehouse",
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("warehouse"),
    )
    note = models.TextField(_("note"), blank=True)
    received_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    received_at = models.DateTimeField(_("received at"), auto_now_add=True)

    class Meta:
        ordering = ["-id"]
        verbose_name = _("goods receipt")
        verbose_name_plural = _("goods receipts")

    def __str__(self):
        return self.code or f"#{self.pk}"


class GoodsReceiptLine(models.Model):
    receipt = models.ForeignKey(GoodsReceipt, on_delete=models.CASCADE, related_name="lines")
    purchase_order_line = models.ForeignKey(
        PurchaseOrderLine,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="receipt_lines",
    )
    variant = models.ForeignKey("catalog.Variant", on_delete=models.PROTECT, related_name="+")
    quantity = models.PositiveIntegerField(_("quantity"))
    unit_cost = models.BigIntegerField(_("unit cost (excl. VAT)"))

    class Meta:
        ordering = ["id"]
        constraints = [
            models.CheckConstraint(condition=Q(quantity__gt=0), name="grline_quantity_gt_0")
        ]
