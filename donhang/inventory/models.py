"""Stock is a ledger: StockMovement rows are the truth, StockLevel caches them per warehouse."""

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from donhang.core.models import TimestampedModel
from donhang.core.phone import display_phone


class Warehouse(TimestampedModel):
    class Kind(models.TextChoices):
        HEAD_OFFICE = "head_office", _("Head office")
        BRANCH = "branch", _("Branch")
        SUBSIDIARY = "subsidiary", _("Subsidiary")
        OTHER = "other", _("Other")

    code = models.CharField(_("code"), max_length=20, unique=True)
    name = models.CharField(_("name"), max_length=120)
    kind = models.CharField(_("type"), max_length=20, choices=Kind.choices, default=Kind.BRANCH)
    address_line = models.CharField(_("street address"), max_length=255, blank=True)
    province = models.ForeignKey(
        "customers.Province", on_delete=models.PROTECT, verbose_name=_("province"), null=True
    )
    ward = models.ForeignKey(
        "customers.Ward", on_delete=models.PROTECT, verbose_name=_("ward"), null=True
    )
    contact_name = models.CharField(_("contact person"), max_length=120, blank=True)
    phone = models.CharField(_("phone"), max_length=20, blank=True, help_text=_("E.164"))
    is_active = models.BooleanField(_("active"), default=True)
    allow_negative_stock = models.BooleanField(_("allow negative stock"), default=False)
    priority = models.PositiveSmallIntegerField(
        _("priority"), default=100, help_text=_("Lower ships first when several have stock.")
    )

    class Meta:
        ordering = ["priority", "code"]
        verbose_name = _("warehouse")
        verbose_name_plural = _("warehouses")

    def __str__(self):
        return self.name

    @property
    def phone_display(self) -> str:
        return display_phone(self.phone)

    @property
    def address_display(self) -> str:
        """ "12 Tràng Tiền, Phường Hoàn Kiếm, Thành phố Hà Nội" (needs province and ward loaded)."""
        parts = [self.address_line]
        if self.ward_id:
            parts.append(self.ward.name)
        if self.province_id:
            parts.append(self.province.name)
        return ", ".join(p for p in parts if p)


class StockMovement(models.Model):
    class Kind(models.TextChoices):
        INITIAL = "initial", _("Initial stock")
        RECEIPT = "receipt", _("Goods receipt")
        SALE = "sale", _("Sale")
        RETURN = "return", _("Return")
        ADJUSTMENT = "adjustment", _("Adjustment")
        TRANSFER_OUT = "transfer_out", _("Transfer out")
        TRANSFER_IN = "transfer_in", _("Transfer in")
        DAMAGED = "damaged", _("Damaged")
        STOCKTAKE = "stocktake", _("Stocktake")
        RETURNED_TO_INSPECT = "returned_to_inspect", _("Returned, to inspect")

    class Bucket(models.TextChoices):
        """Which quantity of the StockLevel a movement changes."""

        ON_HAND = "on_hand", _("On hand")
        RETURNED = "returned", _("Returned, to inspect")

    variant = models.ForeignKey(
        "catalog.Variant", on_delete=models.PROTECT, related_name="stock_movements"
    )
    warehouse = models.ForeignKey(Warehouse, on_delete=models.PROTECT, related_name="movements")
    delta = models.IntegerField(_("quantity change"))
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    # Returned parcels come back into their own quantity, not sellable until inspected; moving
    # them on (to sellable or damaged) is a pair of movements, out of one bucket into the other.
    bucket = models.CharField(
        _("quantity"), max_length=10, choices=Bucket.choices, default=Bucket.ON_HAND
    )
    unit_cost = models.BigIntegerField(
        _("unit cost (excl. VAT)"),
        null=True,
        blank=True,
        help_text=_("The cost of one unit when it moved, where known (sales, receipts, returns)."),
    )
    order_line = models.ForeignKey(
        "orders.OrderLine",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="stock_movements",
        help_text=_("The order line sold or returned."),
    )
    reason = models.CharField(_("reason"), max_length=255, blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    actor_label = models.CharField(max_length=150, blank=True)
    reference_type = models.CharField(max_length=40, blank=True)
    reference_id = models.CharField(max_length=64, blank=True)
    reference_label = models.CharField(max_length=120, blank=True)
    at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["variant", "warehouse", "-at"])]
        constraints = [models.CheckConstraint(condition=~Q(delta=0), name="movement_delta_nonzero")]
        verbose_name = _("stock movement")
        verbose_name_plural = _("stock movements")


class StockLevel(models.Model):
    """Cache of the ledger per (variant, warehouse), updated in the movement's transaction."""

    variant = models.ForeignKey(
        "catalog.Variant", on_delete=models.CASCADE, related_name="stock_levels"
    )
    warehouse = models.ForeignKey(Warehouse, on_delete=models.CASCADE, related_name="stock_levels")
    on_hand = models.IntegerField(_("on hand"), default=0)
    reserved = models.IntegerField(_("reserved"), default=0)
    returned = models.IntegerField(
        _("returned, to inspect"),
        default=0,
        help_text=_("Units of returned parcels waiting for inspection: not sellable, not on hand."),
    )
    allow_negative = models.BooleanField(default=False)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["variant", "warehouse"], name="stocklevel_unique"),
            models.CheckConstraint(condition=Q(reserved__gte=0), name="stocklevel_reserved_gte_0"),
            models.CheckConstraint(condition=Q(returned__gte=0), name="stocklevel_returned_gte_0"),
            models.CheckConstraint(
                condition=Q(allow_negative=True) | Q(on_hand__gte=F("reserved")),
                name="stocklevel_available_gte_0",
            ),
        ]
        verbose_name = _("stock level")
        verbose_name_plural = _("stock levels")

    @property
    def available(self) -> int:
        return self.on_hand - self.reserved


class Reservation(models.Model):
    """Stock held for one order line in one warehouse. StockLevel.reserved is the sum of these."""

    order_line = models.ForeignKey(
        "orders.OrderLine", on_delete=models.CASCADE, related_name="reservations"
    )
    variant = models.ForeignKey("catalog.Variant", on_delete=models.PROTECT, related_name="+")
    warehouse = models.ForeignKey(Warehouse, on_delete=models.PROTECT, related_name="reservations")
    quantity = models.PositiveIntegerField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["order_line", "warehouse"], name="reservation_unique_line_warehouse"
            ),
            models.CheckConstraint(condition=Q(quantity__gt=0), name="reservation_quantity_gt_0"),
        ]
        indexes = [models.Index(fields=["variant", "warehouse"], name="reservation_variant_wh")]


class Transfer(models.Model):
    """Goods moving between two warehouses: out of the source when sent, into the destination
    when received. In transit they count in neither warehouse."""

    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        IN_TRANSIT = "in_transit", _("In transit")
        RECEIVED = "received", _("Received")
        CANCELLED = "cancelled", _("Cancelled")

    code = models.CharField(_("code"), max_length=20, unique=True, null=True)
    source = models.ForeignKey(
        Warehouse, on_delete=models.PROTECT, related_name="transfers_out", verbose_name=_("from")
    )
    destination = models.ForeignKey(
        Warehouse, on_delete=models.PROTECT, related_name="transfers_in", verbose_name=_("to")
    )
    status = models.CharField(
        _("status"), max_length=20, choices=Status.choices, default=Status.DRAFT
    )
    note = models.TextField(_("note"), blank=True)
    discrepancy_note = models.TextField(_("discrepancies"), blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)
    received_at = models.DateTimeField(_("received at"), null=True, blank=True)

    class Meta:
        ordering = ["-id"]
        verbose_name = _("transfer")
        verbose_name_plural = _("transfers")
        permissions = [("receive_transfer", _("Can receive transfers"))]
        constraints = [
            models.CheckConstraint(
                condition=~Q(source=F("destination")), name="transfer_source_ne_destination"
            )
        ]

    def __str__(self):
        return self.code or f"#{self.pk}"


class TransferLine(models.Model):
    transfer = models.ForeignKey(Transfer, on_delete=models.CASCADE, related_name="lines")
    variant = models.ForeignKey("catalog.Variant", on_delete=models.PROTECT, related_name="+")
    quantity = models.PositiveIntegerField(_("quantity sent"))
    received_quantity = models.PositiveIntegerField(_("quantity received"), null=True, blank=True)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.CheckConstraint(condition=Q(quantity__gt=0), name="transferline_quantity_gt_0")
        ]

    @property
    def discrepancy(self) -> int:
        return 0 if self.received_quantity is None else self.received_quantity - self.quantity


class Stocktake(models.Model):
    """A count of one warehouse (all of it or one category). Each line's expected quantity is the
    on-hand quantity when the sheet is made, and again when the line is counted; posting writes
    each variance (counted − on hand at the count) as a stocktake movement, so that stock moving
    while the sheet is open is not counted twice."""

    class Status(models.TextChoices):
        COUNTING = "counting", _("Counting")
        POSTED = "posted", _("Posted")
        CANCELLED = "cancelled", _("Cancelled")

    code = models.CharField(_("code"), max_length=20, unique=True, null=True)
    warehouse = models.ForeignKey(
        Warehouse, on_delete=models.PROTECT, related_name="stocktakes", verbose_name=_("warehouse")
    )
    category = models.ForeignKey(
        "catalog.Category",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("category"),
    )
    status = models.CharField(
        _("status"), max_length=20, choices=Status.choices, default=Status.COUNTING
    )
    note = models.TextField(_("note"), blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    posted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    posted_at = models.DateTimeField(_("posted at"), null=True, blank=True)

    class Meta:
        ordering = ["-id"]
        verbose_name = _("stocktake")
        verbose_name_plural = _("stocktakes")
        permissions = [
            ("count_stocktake", _("Can enter stocktake counts")),
            ("post_stocktake", _("Can post stocktake variances")),
        ]

    def __str__(self):
        return self.code or f"#{self.pk}"


class StocktakeLine(models.Model):
    stocktake = models.ForeignKey(Stocktake, on_delete=models.CASCADE, related_name="lines")
    variant = models.ForeignKey("catalog.Variant", on_delete=models.PROTECT, related_name="+")
    expected = models.IntegerField(
        _("expected"), help_text=_("On hand when the sheet was made; when counted, at the count.")
    )
    counted = models.IntegerField(_("counted"), null=True, blank=True)
    counted_at = models.DateTimeField(_("counted at"), null=True, blank=True)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(fields=["stocktake", "variant"], name="stocktakeline_unique"),
            models.CheckConstraint(
                condition=Q(counted__isnull=True) | Q(counted__gte=0),
                name="stocktakeline_counted_gte_0",
            ),
        ]

    @property
    def variance(self) -> int | None:
        return None if self.counted is None else self.counted - self.expected


class StockChange(models.Model):
    """What channels may sell of a variant changed and the marketplace sync has not pushed it yet.

    One pending row per variant (changes coalesce), written in the transaction of the change
    (reserve, release, sale, receipt, adjustment, count, transfer, return). `seq` changes on every
    write, so marking a read row consumed leaves it pending when it changed meanwhile
    (inventory.services.stock_changes_mark_consumed).
    """

    variant = models.OneToOneField(
        "catalog.Variant", on_delete=models.CASCADE, related_name="+", verbose_name=_("variant")
    )
    changed_at = models.DateTimeField(_("changed at"))
    seq = models.BigIntegerField()

    class Meta:
        indexes = [models.Index(fields=["changed_at", "id"], name="stockchange_changed_at")]
        verbose_name = _("stock change")
        verbose_name_plural = _("stock changes")
