"""Orders from every channel, their lines and their timeline."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from donhang.core.money import VatRate
from donhang.customers.models import BuyerIdentity


class Channel(models.TextChoices):
    WEBSITE = "website", _("Website")
    SHOPEE = "shopee", _("Shopee")
    LAZADA = "lazada", _("Lazada")
    TIKTOK_SHOP = "tiktok_shop", _("TikTok Shop")
    MANUAL_PHONE = "manual_phone", _("Phone")
    MANUAL_FACEBOOK = "manual_facebook", _("Facebook")
    CHATBOT = "chatbot", _("Chatbot")
    OTHER = "other", _("Other")


class Status(models.TextChoices):
    NEW = "new", pgettext_lazy("order status", "New")
    PROCESSING = "processing", pgettext_lazy("order status", "Processing")
    SHIPPING = "shipping", pgettext_lazy("order status", "Shipping")
    COMPLETED = "completed", pgettext_lazy("order status", "Completed")
    CANCELLED = "cancelled", pgettext_lazy("order status", "Cancelled")
    RETURNED = "returned", pgettext_lazy("order status", "Returned")


class SubState(models.TextChoices):
    NONE = "", _("—")
    AWAITING_STOCK = "awaiting_stock", _("Awaiting stock")
    PACKING = "packing", _("Packing")
    READY_TO_SHIP = "ready_to_ship", _("Ready to ship")
    DELIVERY_FAILED = "delivery_failed", _("Delivery failed")
    DELIVERED = "delivered", _("Delivered, awaiting payment")


class PaymentMethod(models.TextChoices):
    COD = "cod", _("Cash on delivery (COD)")
    BANK_TRANSFER = "bank_transfer", _("Bank transfer")
    MARKETPLACE_PREPAID = "marketplace_prepaid", _("Prepaid on the marketplace")


class PaymentStatus(models.TextChoices):
    UNPAID = "unpaid", _("Unpaid")
    PARTLY_PAID = "partly_paid", _("Partly paid")
    PAID = "paid", _("Paid")
    PARTLY_REFUNDED = "partly_refunded", _("Partly refunded")
    REFUNDED = "refunded", _("Refunded")


class PaymentRecordMethod(models.TextChoices):
    """How money for an order arrived (or left, for a refund)."""

    COD_PAYOUT = "cod_payout", _("COD payout from the carrier")
    BANK_TRANSFER = "bank_transfer", _("Bank transfer")
    CASH = "cash", _("Cash")
    CARD = "card", _("Card")
    MARKETPLACE_SETTLEMENT = "marketplace_settlement", _("Marketplace settlement")
    # The value of goods returned for an exchange: taken off the returned order (a refund) and
    # paid towards the exchange order. No money moves.
    EXCHANGE_CREDIT = "exchange_credit", _("Credit from returned goods (exchange)")


class ReturnState(models.TextChoices):
    """Whether goods of the order came back through returns (set by donhang.returns through
    orders.services.returns_support): shown beside the status as "returned (partial)"."""

    NONE = "", _("—")
    PARTIAL = "partial", _("Returned (partial)")
    FULL = "full", _("Returned (all)")


class DiscountFunder(models.TextChoices):
    SELLER = "seller", _("Seller")
    PLATFORM = "platform", _("Platform")


class ShippingFeePayer(models.TextChoices):
    BUYER = "buyer", _("Buyer")
    SELLER = "seller", _("Seller")


class AllocationStrategy(models.TextChoices):
    PRIORITY = "priority", _("Warehouse priority order")
    MOST_STOCK = "most_stock", _("Warehouse with the most stock")


OPEN_STATUSES = (Status.NEW, Status.PROCESSING)


class SalesStore(models.Model):
    """One shop of a channel where a seller may run several (two Shopee shops): a channel of
    its own for warehouse rules, stock publishing, the order list and reports. Orders keep both
    the channel (the platform) and the store. Created by the app that connects the shop
    (donhang.marketplaces) through `sales_store_save`."""

    channel = models.CharField(_("channel"), max_length=20, choices=Channel.choices)
    external_id = models.CharField(_("shop id on the channel"), max_length=64)
    name = models.CharField(_("shop name"), max_length=150)
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["channel", "name", "id"]
        verbose_name = _("shop")
        verbose_name_plural = _("shops")
        constraints = [
            models.UniqueConstraint(
                fields=["channel", "external_id"], name="salesstore_unique_channel_shop"
            )
        ]

    def __str__(self):
        return f"{self.get_channel_display()} · {self.name}"


class Order(BuyerIdentity):
    code = models.CharField(_("order code"), max_length=20, unique=True, null=True)
    channel = models.CharField(_("channel"), max_length=20, choices=Channel.choices)
    store = models.ForeignKey(
        SalesStore,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="orders",
        verbose_name=_("shop"),
        help_text=_("The shop of the channel the order came from (marketplaces)."),
    )
    external_id = models.CharField(_("channel order id"), max_length=64, blank=True)

    customer = models.ForeignKey(
        "customers.Customer",
        on_delete=models.PROTECT,
        related_name="orders",
        verbose_name=_("customer"),
    )
    customer_name = models.CharField(_("customer name"), max_length=150)
    customer_phone = models.CharField(_("phone"), max_length=20, blank=True)
    customer_email = models.EmailField(_("email"), blank=True)

    shipping_name = models.CharField(_("recipient"), max_length=150, blank=True)
    shipping_phone = models.CharField(_("recipient phone"), max_length=20, blank=True)
    shipping_address_line = models.CharField(_("street address"), max_length=255, blank=True)
    shipping_province = models.ForeignKey(
        "customers.Province",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("province"),
    )
    shipping_ward = models.ForeignKey(
        "customers.Ward",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("ward"),
    )

    status = models.CharField(
        _("status"), max_length=20, choices=Status.choices, default=Status.NEW
    )
    sub_state = models.CharField(
        _("step"), max_length=20, choices=SubState.choices, default=SubState.NONE, blank=True
    )
    payment_method = models.CharField(
        _("payment method"), max_length=24, choices=PaymentMethod.choices, default=PaymentMethod.COD
    )
    shipping_fee = models.BigIntegerField(_("shipping fee"), default=0)
    shipping_fee_payer = models.CharField(
        _("shipping fee paid by"),
        max_length=10,
        choices=ShippingFeePayer.choices,
        default=ShippingFeePayer.BUYER,
    )
    shipping_vat_rate = models.CharField(
        _("VAT rate of the shipping fee"), max_length=8, choices=VatRate.choices, default="8"
    )
    # Order-level discounts. The seller's is spread over the lines (it lowers their price and
    # so the VAT base); the platform's voucher is not: the platform pays that part to the seller.
    order_discount = models.BigIntegerField(_("order discount"), default=0)
    order_discount_percent = models.DecimalField(
        _("order discount %"), max_digits=5, decimal_places=2, null=True, blank=True
    )
    platform_discount = models.BigIntegerField(_("platform voucher"), default=0)
    goods_total = models.BigIntegerField(_("goods"), default=0)
    discount_total = models.BigIntegerField(_("discount"), default=0)
    vat_total = models.BigIntegerField(_("VAT included"), default=0)
    total = models.BigIntegerField(_("total to pay"), default=0)
    cod_amount = models.BigIntegerField(_("COD amount"), default=0)
    payment_status = models.CharField(
        _("payment"), max_length=16, choices=PaymentStatus.choices, default=PaymentStatus.UNPAID
    )
    paid_total = models.BigIntegerField(_("paid"), default=0)
    refunded_total = models.BigIntegerField(_("refunded"), default=0)
    fees_total = models.BigIntegerField(_("fees withheld"), default=0)
    return_state = models.CharField(
        _("returns"), max_length=10, choices=ReturnState.choices, default="", blank=True
    )
    returned_quantity = models.PositiveIntegerField(
        _("units returned"),
        default=0,
        help_text=_("Units of the order that came back through returns (received)."),
    )
    money_locked_at = models.DateTimeField(
        _("money frozen at"),
        null=True,
        blank=True,
        help_text=_("Set when an e-invoice is issued: changes go through returns and adjustments."),
    )
    note = models.TextField(_("note"), blank=True)
    warehouse = models.ForeignKey(
        "inventory.Warehouse",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("warehouse"),
        help_text=_("Where most of the order ships from."),
    )

    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    confirmed_at = models.DateTimeField(null=True, blank=True)
    shipped_at = models.DateTimeField(null=True, blank=True)
    completed_at = models.DateTimeField(null=True, blank=True)
    cancelled_at = models.DateTimeField(null=True, blank=True)
    search_text = models.CharField(max_length=400, blank=True, editable=False)

    class Meta:
        ordering = ["-id"]
        verbose_name = _("order")
        verbose_name_plural = _("orders")
        constraints = [
            models.UniqueConstraint(
                fields=["channel", "external_id"],
                condition=~Q(external_id=""),
                name="order_unique_channel_external_id",
            ),
            models.CheckConstraint(
                condition=Q(shipping_fee__gte=0), name="order_shipping_fee_gte_0"
            ),
            models.CheckConstraint(
                condition=Q(order_discount__gte=0, platform_discount__gte=0),
                name="order_discounts_gte_0",
            ),
        ]
        indexes = [
            models.Index(fields=["status", "-id"], name="order_status_id"),
            models.Index(fields=["status", "sub_state", "-id"], name="order_status_sub_id"),
            models.Index(fields=["channel", "-id"], name="order_channel_id"),
            models.Index(fields=["store", "-id"], name="order_store_id"),
            models.Index(fields=["customer_phone"], name="order_phone"),
            # Covering: the dashboard's sums over a period read the index alone.
            models.Index(
                fields=["created_at", "status", "total"], name="order_created_status_total"
            ),
            models.Index(
                fields=["external_id"], name="order_external_id", condition=~Q(external_id="")
            ),
            models.Index(fields=["warehouse", "-id"], name="order_warehouse_id"),
            models.Index(fields=["payment_method", "-id"], name="order_payment_id"),
        ]
        permissions = [
            ("confirm_order", _("Can confirm orders")),
            ("cancel_order", _("Can cancel orders")),
            ("fulfil_order", _("Can pack and hand over orders")),
        ]

    def __str__(self):
        return self.code or f"#{self.pk}"

    @property
    def buyer_owes(self) -> int:
        """What the buyer pays: the total less the platform's voucher (the platform pays that)."""
        return self.total - self.platform_discount

    @property
    def outstanding(self) -> int:
        """What is still to be collected (from the buyer and the platform)."""
        return max(self.total - self.paid_total, 0)


class OrderLine(models.Model):
    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="lines")
    variant = models.ForeignKey(
        "catalog.Variant", on_delete=models.PROTECT, related_name="order_lines"
    )
    sku = models.CharField(_("SKU"), max_length=64)
    name = models.CharField(_("product"), max_length=300)
    quantity = models.PositiveIntegerField(_("quantity"))
    unit_price = models.BigIntegerField(_("unit price"))
    discount = models.BigIntegerField(_("discount"), default=0)
    discount_percent = models.DecimalField(
        _("discount %"), max_digits=5, decimal_places=2, null=True, blank=True
    )
    order_discount = models.BigIntegerField(_("share of the order discount"), default=0)
    gross = models.BigIntegerField(_("amount"), default=0)
    net = models.BigIntegerField(_("amount before VAT"), default=0)
    vat = models.BigIntegerField(_("VAT"), default=0)
    vat_rate = models.CharField(_("VAT rate"), max_length=8, choices=VatRate.choices)
    reserved_quantity = models.PositiveIntegerField(_("reserved"), default=0)
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["position", "id"]
        constraints = [
            models.CheckConstraint(condition=Q(quantity__gt=0), name="orderline_quantity_gt_0"),
            models.CheckConstraint(condition=Q(unit_price__gte=0), name="orderline_price_gte_0"),
            models.CheckConstraint(condition=Q(discount__gte=0), name="orderline_discount_gte_0"),
            models.CheckConstraint(
                condition=Q(reserved_quantity__lte=models.F("quantity")),
                name="orderline_reserved_lte_quantity",
            ),
        ]
        indexes = [models.Index(fields=["variant", "order"], name="orderline_variant_order")]

    def __str__(self):
        return f"{self.sku} × {self.quantity}"

    @property
    def amount(self) -> int:
        """Quantity × unit price, before discounts."""
        return self.quantity * self.unit_price

    @property
    def discount_all(self) -> int:
        """Seller-funded discount on the line: its own plus its share of the order's."""
        return self.discount + self.order_discount

    @property
    def short_quantity(self) -> int:
        return self.quantity - self.reserved_quantity


class OrderVatLine(models.Model):
    """One row per VAT rate of an order: the sums of its lines (and of the shipping charge)."""

    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="vat_lines")
    rate = models.CharField(_("VAT rate"), max_length=8, choices=VatRate.choices)
    gross = models.BigIntegerField(_("amount incl. VAT"))
    net = models.BigIntegerField(_("amount before VAT"))
    vat = models.BigIntegerField(_("VAT"))

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["order", "rate"], name="ordervatline_order_rate")
        ]


class Payment(models.Model):
    """Money received for an order (amount > 0) or refunded (amount < 0).

    `amount` is what the buyer (or the platform) paid; `fee` is what the carrier or platform
    withheld from its payout, a cost of the order that does not reduce what counts as paid."""

    order = models.ForeignKey(Order, on_delete=models.PROTECT, related_name="payments")
    method = models.CharField(_("method"), max_length=24, choices=PaymentRecordMethod.choices)
    amount = models.BigIntegerField(_("amount"))
    fee = models.BigIntegerField(_("fee withheld"), default=0)
    reference = models.CharField(_("reference"), max_length=120, blank=True)
    paid_on = models.DateField(_("date"))
    note = models.CharField(_("note"), max_length=300, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    actor_label = models.CharField(max_length=150, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["paid_on", "id"]
        verbose_name = _("payment")
        verbose_name_plural = _("payments")
        constraints = [
            models.CheckConstraint(condition=~Q(amount=0), name="payment_amount_not_0"),
            models.CheckConstraint(condition=Q(fee__gte=0), name="payment_fee_gte_0"),
        ]
        indexes = [models.Index(fields=["order", "paid_on"], name="payment_order_date")]
        permissions = [("refund_payment", _("Can record refunds"))]


class OrderEvent(models.Model):
    """One entry of the order's timeline: who, when, what.

    What happened is data: `code` and `params`, rendered in the reader's language by
    donhang.orders.timeline. `message` only holds text a person wrote (a note, a reason)."""

    class Kind(models.TextChoices):
        CREATED = "created", _("Created")
        STATUS = "status", _("Status changed")
        EDITED = "edited", _("Edited")
        STOCK = "stock", _("Stock")
        NOTE = "note", _("Note")
        PAYMENT = "payment", _("Payment")

    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="events")
    at = models.DateTimeField(auto_now_add=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    actor_label = models.CharField(max_length=150, blank=True)
    kind = models.CharField(max_length=20, choices=Kind.choices)
    from_status = models.CharField(max_length=20, blank=True)
    to_status = models.CharField(max_length=20, blank=True)
    from_sub_state = models.CharField(max_length=20, blank=True)
    to_sub_state = models.CharField(max_length=20, blank=True)
    code = models.CharField(max_length=40, blank=True)
    params = models.JSONField(default=dict, blank=True)
    message = models.CharField(max_length=2000, blank=True)
    data = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["at", "id"]
        indexes = [models.Index(fields=["order", "at"], name="orderevent_order_at")]


class ChannelRule(models.Model):
    """How orders of one channel (or of one shop of it: `store`) choose their warehouses. A
    shop without a rule of its own follows its channel's."""

    channel = models.CharField(_("channel"), max_length=20, choices=Channel.choices)
    store = models.OneToOneField(
        SalesStore,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="channel_rule",
        verbose_name=_("shop"),
    )
    strategy = models.CharField(
        _("warehouse choice"),
        max_length=20,
        choices=AllocationStrategy.choices,
        default=AllocationStrategy.PRIORITY,
    )
    warehouses = models.ManyToManyField(
        "inventory.Warehouse",
        blank=True,
        verbose_name=_("warehouses"),
        help_text=_("Empty: every active warehouse."),
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["channel"],
                condition=Q(store__isnull=True),
                name="channelrule_unique_channel",
            )
        ]

    def __str__(self):
        return str(self.store) if self.store_id else self.get_channel_display()


class IdempotencyRecord(models.Model):
    """The first answer to an API request carrying an Idempotency-Key, replayed on repeats."""

    scope = models.CharField(max_length=80)
    key = models.CharField(max_length=255)
    fingerprint = models.CharField(max_length=64)
    status_code = models.PositiveSmallIntegerField()
    body = models.JSONField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["scope", "key"], name="idempotency_unique")]


class OrderCount(models.Model):
    """How many orders there are per channel, shop, status and step, so that the list's tabs and
    the dashboard never count a million rows.

    Rows are deltas, written in the transaction of the change: +1 when an order is taken in,
    −1 and +1 when its status or step changes (services._common._set_state). Only inserts: no
    row is shared by concurrent intakes, so nothing waits on a lock and no two transactions can
    deadlock over the counts. donhang.orders.counters sums them and now and then folds them into
    one row per key. `manage.py order_counts` compares them with a full count (`--rebuild`
    recomputes them)."""

    channel = models.CharField(max_length=20)
    store_key = models.BigIntegerField(default=0)  # the SalesStore id, 0 for none
    status = models.CharField(max_length=20)
    sub_state = models.CharField(max_length=20, blank=True)
    delta = models.BigIntegerField()
