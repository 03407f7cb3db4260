"""Marketplace shops connected to donhang, their listings (our variants ↔ the shop's items),
stock pushes, orders as the platform sees them, inbound pushes."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from donhang.core.secrets import decrypt_json, encrypt_json
from donhang.marketplaces.ports import OrderStatus


class Platform(models.TextChoices):
    SHOPEE = "shopee", "Shopee"
    LAZADA = "lazada", "Lazada"
    TIKTOK_SHOP = "tiktok_shop", "TikTok Shop"


class Environment(models.TextChoices):
    PRODUCTION = "production", _("Production")
    TEST = "test", _("Test (platform's sandbox)")
    EMULATOR = "emulator", _("Emulator (offline demo)")


class ConnectionStatus(models.TextChoices):
    PENDING = "pending", _("Waiting for authorization")
    CONNECTED = "connected", _("Connected")
    REAUTHORIZE = "reauthorize", _("Needs authorizing again")
    DISABLED = "disabled", _("Disconnected")


ORDER_STATUS_CHOICES = [
    (OrderStatus.UNPAID.value, _("Unpaid")),
    (OrderStatus.TO_SHIP.value, _("To ship")),
    (OrderStatus.READY_TO_SHIP.value, _("Shipment arranged")),
    (OrderStatus.SHIPPED.value, _("Shipped")),
    (OrderStatus.DELIVERY_FAILED.value, _("Delivery failed")),
    (OrderStatus.DELIVERED.value, _("Delivered")),
    (OrderStatus.COMPLETED.value, _("Completed")),
    (OrderStatus.CANCEL_REQUESTED.value, _("Cancellation requested")),
    (OrderStatus.CANCELLED.value, _("Cancelled")),
    (OrderStatus.RETURNED.value, _("Returned")),
]


class ShopConnection(models.Model):
    """One shop on a marketplace, authorized by its seller. The app credentials and the tokens
    are encrypted at rest; the health (last sync, last error, token expiry) is shown to staff."""

    platform = models.CharField(_("platform"), max_length=20, choices=Platform.choices)
    name = models.CharField(_("name"), max_length=100)
    environment = models.CharField(
        _("environment"), max_length=20, choices=Environment.choices, default=Environment.PRODUCTION
    )
    base_url = models.URLField(
        _("API address"),
        blank=True,
        help_text=_("Empty: the platform's address for the environment."),
    )
    credentials_encrypted = models.TextField(blank=True, editable=False)
    tokens_encrypted = models.TextField(blank=True, editable=False)
    options = models.JSONField(_("options"), default=dict, blank=True)
    status = models.CharField(
        _("status"),
        max_length=20,
        choices=ConnectionStatus.choices,
        default=ConnectionStatus.PENDING,
    )
    shop_external_id = models.CharField(_("shop id"), max_length=64, blank=True)
    shop_name = models.CharField(_("shop name"), max_length=150, blank=True)
    region = models.CharField(_("region"), max_length=20, blank=True)
    store = models.OneToOneField(
        "orders.SalesStore",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="marketplace_connection",
        verbose_name=_("shop"),
    )
    oauth_state = models.CharField(max_length=64, blank=True, editable=False)
    access_expires_at = models.DateTimeField(_("access token expires"), null=True, blank=True)
    refresh_expires_at = models.DateTimeField(_("authorization expires"), null=True, blank=True)
    tokens_refreshed_at = models.DateTimeField(null=True, blank=True)
    # Stock publishing: what the shop shows of what we may sell.
    stock_percent = models.PositiveSmallIntegerField(
        _("percentage of available stock to publish"),
        default=100,
        help_text=_("100: all of it. Lower keeps some back for other channels."),
    )
    stock_buffer = models.PositiveIntegerField(
        _("keep back (units)"),
        default=0,
        help_text=_("Units per product never shown on this shop."),
    )
    # Health.
    last_sync_at = models.DateTimeField(_("last sync"), null=True, blank=True)
    last_error = models.TextField(_("last error"), blank=True)
    last_error_at = models.DateTimeField(null=True, blank=True)
    push_failures = models.PositiveIntegerField(
        default=0, help_text="Stock pushes failed in a row (the dashboard shows the shop)."
    )
    orders_synced_until = models.DateTimeField(null=True, blank=True)
    # One stock push run per shop at a time (claimed without holding a transaction open).
    stock_sync_claimed_until = models.DateTimeField(null=True, blank=True)
    products_pulled_at = models.DateTimeField(null=True, blank=True)
    reconciled_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["platform", "name", "id"]
        verbose_name = _("marketplace shop")
        verbose_name_plural = _("marketplace shops")
        permissions = [
            ("sync_shopconnection", _("Can sync marketplace products, stock and orders")),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["platform", "shop_external_id"],
                condition=~Q(shop_external_id=""),
                name="shopconnection_unique_shop",
            )
        ]

    def __str__(self):
        return f"{self.get_platform_display()} · {self.shop_name or self.name}"

    @property
    def credentials(self) -> dict:
        return decrypt_json(self.credentials_encrypted)

    @credentials.setter
    def credentials(self, value: dict) -> None:
        self.credentials_encrypted = encrypt_json(value or {})

    @property
    def tokens(self) -> dict:
        return decrypt_json(self.tokens_encrypted)

    @tokens.setter
    def tokens(self, value: dict) -> None:
        self.tokens_encrypted = encrypt_json(value or {}) if value else ""

    @property
    def is_connected(self) -> bool:
        return self.status == ConnectionStatus.CONNECTED

    @property
    def token_expires_soon(self) -> bool:
        return bool(
            self.access_expires_at
            and self.access_expires_at < timezone.now() + timezone.timedelta(minutes=30)
        )

    @property
    def has_push_problem(self) -> bool:
        return self.push_failures > 0


class Listing(models.Model):
    """One sellable thing of a shop (an item, or one model/SKU of it) and our variant it is,
    once matched (by SKU, linked by hand, or published by us)."""

    class MatchedBy(models.TextChoices):
        NONE = "", _("Not matched")
        SKU = "sku", _("Same SKU")
        MANUAL = "manual", _("Linked by hand")
        PUBLISHED = "published", _("Published from donhang")
        CREATED = "created", _("Product created from the listing")

    connection = models.ForeignKey(
        ShopConnection, on_delete=models.CASCADE, related_name="listings"
    )
    variant = models.ForeignKey(
        "catalog.Variant",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="marketplace_listings",
        verbose_name=_("variant"),
    )
    matched_by = models.CharField(
        max_length=10, choices=MatchedBy.choices, default=MatchedBy.NONE, blank=True
    )
    item_id = models.CharField(_("item id"), max_length=64)
    model_id = models.CharField(_("variation id"), max_length=64, blank=True)
    seller_sku = models.CharField(_("SKU on the shop"), max_length=100, blank=True)
    item_name = models.CharField(_("item"), max_length=300, blank=True)
    variation_name = models.CharField(_("variation"), max_length=200, blank=True)
    platform_status = models.CharField(_("status on the shop"), max_length=30, blank=True)
    price = models.BigIntegerField(_("price on the shop"), null=True, blank=True)
    platform_stock = models.IntegerField(_("stock on the shop"), null=True, blank=True)
    pushed_stock = models.IntegerField(_("stock last pushed"), null=True, blank=True)
    pushed_at = models.DateTimeField(null=True, blank=True)
    # Set when the stock to publish may have changed; at most one pending push per listing.
    stock_dirty_at = models.DateTimeField(null=True, blank=True)
    push_attempts = models.PositiveSmallIntegerField(default=0)
    last_error = models.CharField(max_length=500, blank=True)
    extra = models.JSONField(default=dict, blank=True)
    is_present = models.BooleanField(
        default=True, help_text="False when the last pull no longer found it on the shop."
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["item_name", "variation_name", "id"]
        verbose_name = _("listing")
        verbose_name_plural = _("listings")
        constraints = [
            models.UniqueConstraint(
                fields=["connection", "item_id", "model_id"], name="listing_unique_item_model"
            )
        ]
        indexes = [
            models.Index(fields=["connection", "stock_dirty_at"], name="listing_dirty"),
            models.Index(fields=["connection", "seller_sku"], name="listing_sku"),
        ]

    def __str__(self):
        return self.seller_sku or f"{self.item_id}/{self.model_id}"

    @property
    def display_name(self) -> str:
        return " — ".join(p for p in (self.item_name, self.variation_name) if p)


class StockPush(models.Model):
    """The log of every stock push: what quantity went to which listing, and the answer."""

    class Kind(models.TextChoices):
        CHANGE = "change", _("Stock changed")
        RECONCILE = "reconcile", _("Nightly check")
        MANUAL = "manual", _("Push now")

    connection = models.ForeignKey(
        ShopConnection, on_delete=models.CASCADE, related_name="stock_pushes"
    )
    listing = models.ForeignKey(
        Listing, null=True, blank=True, on_delete=models.SET_NULL, related_name="pushes"
    )
    seller_sku = models.CharField(max_length=100, blank=True)
    quantity = models.IntegerField()
    kind = models.CharField(max_length=10, choices=Kind.choices, default=Kind.CHANGE)
    ok = models.BooleanField(default=False)
    error = models.CharField(max_length=500, blank=True)
    at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["connection", "-at"], name="stockpush_connection_at")]


class ProductPublish(models.Model):
    """Putting one of our products on a shop: the intent is recorded (our reference) before the
    call, the answer after it; a retry first looks the item up by its SKU."""

    class Outcome(models.TextChoices):
        SENDING = "sending", _("Sending")
        UNKNOWN = "unknown", _("Outcome unknown")
        CREATED = "created", _("Listed")
        REFUSED = "refused", _("Refused by the platform")

    connection = models.ForeignKey(
        ShopConnection, on_delete=models.CASCADE, related_name="publishes"
    )
    product = models.ForeignKey(
        "catalog.Product", on_delete=models.CASCADE, related_name="marketplace_publishes"
    )
    reference = models.CharField(max_length=64, unique=True)
    outcome = models.CharField(max_length=10, choices=Outcome.choices, default=Outcome.SENDING)
    item_id = models.CharField(max_length=64, blank=True)
    error = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["-id"]


class MarketplaceOrder(models.Model):
    """An order as the platform sees it, and our order taken from it. Pushes and polling feed
    one idempotent upsert: an update older than the one applied is recorded and ignored."""

    connection = models.ForeignKey(ShopConnection, on_delete=models.PROTECT, related_name="orders")
    order = models.OneToOneField(
        "orders.Order",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="marketplace_order",
    )
    external_id = models.CharField(_("order id on the platform"), max_length=64)
    platform_status = models.CharField(_("status on the platform"), max_length=40, blank=True)
    status = models.CharField(
        _("status"), max_length=20, choices=ORDER_STATUS_CHOICES, default=OrderStatus.UNPAID.value
    )
    platform_updated_at = models.DateTimeField(null=True, blank=True)
    is_cod = models.BooleanField(_("COD"), default=False)
    total = models.BigIntegerField(_("buyer paid"), default=0)
    shipping_fee = models.BigIntegerField(_("shipping fee"), default=0)
    seller_voucher = models.BigIntegerField(_("seller voucher"), default=0)
    platform_voucher = models.BigIntegerField(_("platform voucher"), default=0)
    platform_fees = models.BigIntegerField(_("marketplace fees"), null=True, blank=True)
    expected_settlement = models.BigIntegerField(_("expected settlement"), null=True, blank=True)
    settlement_amount = models.BigIntegerField(_("settled"), null=True, blank=True)
    settlement_fees = models.BigIntegerField(_("fees withheld"), null=True, blank=True)
    settlement_difference = models.BigIntegerField(
        _("settlement difference"),
        null=True,
        blank=True,
        help_text=_("Settled minus expected: not 0 means the payout needs a look."),
    )
    settled_at = models.DateTimeField(null=True, blank=True)
    tracking_number = models.CharField(_("tracking number"), max_length=60, blank=True)
    package_id = models.CharField(max_length=64, blank=True)
    shipment_arranged_at = models.DateTimeField(null=True, blank=True)
    last_error = models.CharField(_("problem"), max_length=500, blank=True)
    data = models.JSONField(default=dict, blank=True)
    first_seen_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-id"]
        verbose_name = _("marketplace order")
        verbose_name_plural = _("marketplace orders")
        constraints = [
            models.UniqueConstraint(
                fields=["connection", "external_id"], name="marketplaceorder_unique"
            )
        ]
        indexes = [
            models.Index(fields=["connection", "-platform_updated_at"], name="mkorder_updated"),
        ]

    def __str__(self):
        return self.external_id


class MarketplaceOrderUpdate(models.Model):
    """Every update of a marketplace order we saw (push or poll), applied or not."""

    marketplace_order = models.ForeignKey(
        MarketplaceOrder, on_delete=models.CASCADE, related_name="updates"
    )
    platform_status = models.CharField(max_length=40)
    platform_updated_at = models.DateTimeField(null=True, blank=True)
    source = models.CharField(max_length=10)  # push, poll, manual
    applied = models.BooleanField(default=True)
    at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["at", "id"]


class WebhookDelivery(models.Model):
    """Every inbound push, stored raw (secrets stripped) before anything else happens."""

    platform = models.CharField(max_length=20, choices=Platform.choices)
    connection = models.ForeignKey(
        ShopConnection, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    received_at = models.DateTimeField(auto_now_add=True, db_index=True)
    headers = models.JSONField(default=dict)
    body = models.TextField()
    dedupe_key = models.CharField(max_length=255, blank=True, db_index=True)
    is_duplicate = models.BooleanField(default=False)
    processed_at = models.DateTimeField(null=True, blank=True)
    error = models.TextField(blank=True)

    class Meta:
        ordering = ["-id"]
