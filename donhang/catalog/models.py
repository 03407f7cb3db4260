from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from donhang.core.models import TimestampedModel
from donhang.core.money import VatRate, margin

MAX_ATTRIBUTES = 3


class Category(TimestampedModel):
    name = models.CharField(_("name"), max_length=120)
    parent = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
        verbose_name=_("parent category"),
    )
    path = models.CharField(
        max_length=1000,
        blank=True,
        editable=False,
        db_index=True,
        help_text="Materialised path of ids, '/1/5/', for subtree filters.",
    )
    search_name = models.CharField(max_length=255, blank=True, editable=False)

    class Meta:
        ordering = ["path", "name"]
        verbose_name = _("category")
        verbose_name_plural = _("categories")
        constraints = [
            models.UniqueConstraint(
                fields=["parent", "name"], name="category_unique_name_in_parent"
            )
        ]

    def __str__(self):
        return self.name

    @property
    def depth(self) -> int:
        return max(self.path.count("/") - 2, 0)


class Brand(TimestampedModel):
    name = models.CharField(_("name"), max_length=120, unique=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("brand")
        verbose_name_plural = _("brands")

    def __str__(self):
        return self.name


class Product(TimestampedModel):
    name = models.CharField(_("name"), max_length=255)
    sku = models.CharField(_("SKU"), max_length=64, unique=True)
    description = models.TextField(_("description"), blank=True)
    specifications = models.JSONField(
        _("specifications"), default=list, blank=True, help_text='[{"name": ..., "value": ...}]'
    )
    category = models.ForeignKey(
        Category,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        verbose_name=_("category"),
        related_name="products",
    )
    brand = models.ForeignKey(
        Brand,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        verbose_name=_("brand"),
        related_name="products",
    )
    video_urls = models.JSONField(_("video links"), default=list, blank=True)
    is_active = models.BooleanField(_("active"), default=True)
    search_text = models.TextField(blank=True, editable=False)

    class Meta:
        ordering = ["-id"]
        verbose_name = _("product")
        verbose_name_plural = _("products")
        permissions = [
            ("change_price", _("Can change cost and sale prices")),
            ("view_cost", _("Can see cost prices and margins")),
            ("import_product", _("Can import products")),
        ]

    def __str__(self):
        return self.name


class ProductAttribute(models.Model):
    """One of up to three variant attributes (colour, size, …) and its values, in order."""

    product = models.ForeignKey(Product, on_delete=models.CASCADE, related_name="attributes")
    position = models.PositiveSmallIntegerField()
    name = models.CharField(_("attribute"), max_length=60)
    values = models.JSONField(_("values"), default=list)

    class Meta:
        ordering = ["position"]
        constraints = [
            models.UniqueConstraint(
                fields=["product", "position"], name="attribute_unique_position"
            ),
            models.CheckConstraint(
                condition=Q(position__gte=1) & Q(position__lte=MAX_ATTRIBUTES),
                name="attribute_position_1_to_3",
            ),
        ]

    def __str__(self):
        return self.name


def product_image_path(instance, filename):
    return f"products/{instance.product_id}/{filename}"


class ProductImage(models.Model):
    product = models.ForeignKey(Product, on_delete=models.CASCADE, related_name="images")
    image = models.ImageField(_("image"), upload_to=product_image_path)
    thumbnail = models.ImageField(upload_to=product_image_path, blank=True)
    position = models.PositiveSmallIntegerField(default=0)
    alt_text = models.CharField(_("description"), max_length=255, blank=True)

    class Meta:
        ordering = ["position", "id"]


class Variant(TimestampedModel):
    product = models.ForeignKey(Product, on_delete=models.CASCADE, related_name="variants")
    sku = models.CharField(_("SKU"), max_length=64, unique=True)
    barcode = models.CharField(_("barcode"), max_length=64, blank=True, db_index=True)
    option1 = models.CharField(max_length=60, blank=True)
    option2 = models.CharField(max_length=60, blank=True)
    option3 = models.CharField(max_length=60, blank=True)
    weight_g = models.PositiveIntegerField(_("weight (g)"), default=0)
    length_cm = models.PositiveIntegerField(_("length (cm)"), default=0)
    width_cm = models.PositiveIntegerField(_("width (cm)"), default=0)
    height_cm = models.PositiveIntegerField(_("height (cm)"), default=0)
    cost_price = models.BigIntegerField(_("cost price (excl. VAT)"), default=0)
    vat_rate = models.CharField(
        _("VAT rate"), max_length=8, choices=VatRate.choices, default=VatRate.TEN
    )
    sale_price = models.BigIntegerField(_("sale price (incl. VAT)"), default=0)
    low_stock_threshold = models.PositiveIntegerField(_("low-stock threshold"), default=0)
    is_active = models.BooleanField(_("active"), default=True)
    position = models.PositiveIntegerField(default=0)
    search_text = models.TextField(blank=True, editable=False)

    class Meta:
        ordering = ["product_id", "position", "id"]
        verbose_name = _("variant")
        verbose_name_plural = _("variants")
        constraints = [
            models.CheckConstraint(condition=Q(cost_price__gte=0), name="variant_cost_gte_0"),
            models.CheckConstraint(condition=Q(sale_price__gte=0), name="variant_sale_gte_0"),
        ]

    def __str__(self):
        label = self.options_label
        return f"{self.product.name} — {label}" if label else self.product.name

    @property
    def options(self) -> list[str]:
        return [o for o in (self.option1, self.option2, self.option3) if o]

    @property
    def options_label(self) -> str:
        return " / ".join(self.options)

    @property
    def margin(self) -> int:
        return margin(
            sale_price=self.sale_price, cost_price=self.cost_price, vat_rate=self.vat_rate
        )[0]

    @property
    def margin_percent(self):
        return margin(
            sale_price=self.sale_price, cost_price=self.cost_price, vat_rate=self.vat_rate
        )[1]
