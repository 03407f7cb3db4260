from django.db import models
from django.utils.translation import gettext_lazy as _


class Province(models.Model):
    """A province-level unit since 1 July 2025 (34 in all), with the government's code."""

    code = models.PositiveIntegerField(primary_key=True)
    name = models.CharField(_("name"), max_length=60)
    search_name = models.CharField(max_length=60, db_index=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("province")
        verbose_name_plural = _("provinces")

    def __str__(self):
        return self.name


class Ward(models.Model):
    """A ward or commune (phường/xã/đặc khu) under a province, with the government's code."""

    code = models.PositiveIntegerField(primary_key=True)
    province = models.ForeignKey(Province, on_delete=models.PROTECT, related_name="wards")
    name = models.CharField(_("name"), max_length=60)
    search_name = models.CharField(max_length=60, db_index=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("ward")
        verbose_name_plural = _("wards")

    def __str__(self):
        return f"{self.name}, {self.province.name}"


class BuyerKind(models.TextChoices):
    INDIVIDUAL = "individual", _("Individual")
    COMPANY = "company", _("Company")


class BuyerIdentity(models.Model):
    """Who the invoice is made out to: an individual or a company with its tax code.

    Kept on the customer (the default) and copied onto each order, where it can be changed."""

    buyer_kind = models.CharField(
        _("buyer"), max_length=12, choices=BuyerKind.choices, default=BuyerKind.INDIVIDUAL
    )
    buyer_company_name = models.CharField(_("company name"), max_length=255, blank=True)
    buyer_tax_code = models.CharField(
        _("tax code"),
        max_length=14,
        blank=True,
        help_text=_("10 digits, 10 + “-” + 3 for a branch, or an individual's 12-digit ID."),
    )
    buyer_address = models.CharField(_("invoice address"), max_length=400, blank=True)
    buyer_email = models.EmailField(_("invoice email"), blank=True)
    wants_invoice = models.BooleanField(_("wants a VAT invoice"), default=False)

    class Meta:
        abstract = True

    BUYER_FIELDS = (
        "buyer_kind",
        "buyer_company_name",
        "buyer_tax_code",
        "buyer_address",
        "buyer_email",
        "wants_invoice",
    )

    def buyer_identity(self) -> dict:
        return {f: getattr(self, f) for f in self.BUYER_FIELDS}


class Customer(BuyerIdentity):
    """A buyer, from any channel. Found by phone; duplicates (same phone) are merged on request."""

    name = models.CharField(_("name"), max_length=150)
    phone = models.CharField(
        _("phone"), max_length=20, blank=True, db_index=True, help_text="E.164"
    )
    email = models.EmailField(_("email"), blank=True)
    tags = models.JSONField(_("tags"), default=list, blank=True)
    note = models.TextField(_("note"), blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    last_contact_at = models.DateTimeField(_("last contact"), null=True, blank=True)
    merged_into = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    search_text = models.CharField(max_length=400, blank=True, editable=False)

    class Meta:
        ordering = ["-id"]
        verbose_name = _("customer")
        verbose_name_plural = _("customers")
        permissions = [("merge_customer", _("Can merge duplicate customers"))]

    def __str__(self):
        return self.name


class CustomerAddress(models.Model):
    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="addresses")
    recipient_name = models.CharField(_("recipient"), max_length=150, blank=True)
    phone = models.CharField(_("phone"), max_length=20, blank=True)
    line = models.CharField(_("street address"), max_length=255)
    province = models.ForeignKey(Province, on_delete=models.PROTECT, related_name="+")
    ward = models.ForeignKey(Ward, on_delete=models.PROTECT, related_name="+")
    is_default = models.BooleanField(_("default"), default=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-is_default", "-id"]

    def __str__(self):
        return f"{self.line}, {self.ward.name}, {self.province.name}"
