"""E-invoices: provider accounts and templates, invoices with their lines, events and files."""

from __future__ import annotations

from django.conf import settings
from django.core.files.storage import FileSystemStorage
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from donhang.core.money import VatRate
from donhang.core.secrets import decrypt_json, encrypt_json
from donhang.core.storage import PrivateFileStorage
from donhang.invoicing.symbols import KIND_DIGITS


class Provider(models.TextChoices):
    SINVOICE = "sinvoice", "Viettel S-Invoice"
    MISA = "misa", "MISA meInvoice"


class Environment(models.TextChoices):
    PRODUCTION = "production", _("Production")
    TEST = "test", _("Test (provider's sandbox)")
    EMULATOR = "emulator", _("Emulator (offline demo)")


class InvoiceAccount(models.Model):
    """The shop's account at an e-invoice provider. Credentials are encrypted at rest; the
    seller's name, tax code and address come from the shop profile."""

    name = models.CharField(_("name"), max_length=100)
    provider = models.CharField(_("provider"), max_length=20, choices=Provider.choices)
    environment = models.CharField(
        _("environment"), max_length=20, choices=Environment.choices, default=Environment.PRODUCTION
    )
    base_url = models.URLField(
        _("API address"),
        blank=True,
        help_text=_("Empty: the provider's address for the environment."),
    )
    credentials_encrypted = models.TextField(blank=True, editable=False)
    options = models.JSONField(_("options"), default=dict, blank=True)
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["provider", "name"]
        verbose_name = _("e-invoice account")
        verbose_name_plural = _("e-invoice accounts")

    def __str__(self):
        return f"{self.get_provider_display()} — {self.name}"

    @property
    def credentials(self) -> dict:
        return decrypt_json(self.credentials_encrypted)

    @credentials.setter
    def credentials(self, value: dict) -> None:
        self.credentials_encrypted = encrypt_json(value or {})


class InvoiceKind(models.TextChoices):
    VAT = "vat", _("VAT invoice")
    SALES = "sales", _("Sales invoice")


class InvoiceTemplate(models.Model):
    """A template number and series symbol registered with the tax authority, at one account."""

    account = models.ForeignKey(
        InvoiceAccount,
        on_delete=models.PROTECT,
        related_name="templates",
        verbose_name=_("e-invoice account"),
    )
    kind = models.CharField(
        _("kind"), max_length=10, choices=InvoiceKind.choices, default=InvoiceKind.VAT
    )
    template_code = models.CharField(_("template number"), max_length=10)
    series = models.CharField(_("series symbol"), max_length=6)
    is_default = models.BooleanField(
        _("default"), default=False, help_text=_("Used when no template is chosen.")
    )
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-is_default", "account", "template_code", "series"]
        verbose_name = _("invoice template")
        verbose_name_plural = _("invoice templates")
        constraints = [
            models.UniqueConstraint(
                fields=["account", "template_code", "series"], name="invoicetemplate_unique"
            )
        ]

    def __str__(self):
        return f"{self.symbol} ({self.template_code} · {self.series})"

    @property
    def symbol(self) -> str:
        """The template digit and the series as printed: 1C26TAA."""
        return KIND_DIGITS.get(self.kind, "") + self.series


class AutoIssueMoment(models.TextChoices):
    HANDED_OVER = "handed_over", _("When the order is handed over to the carrier")
    COMPLETED = "completed", _("When the order is completed")


class AutoIssueRule(models.Model):
    """Which orders get their e-invoice without anyone asking, and when (one row, id 1). Never
    before hand-over: staff edits of the order end first."""

    SINGLETON_ID = 1

    enabled = models.BooleanField(_("issue automatically"), default=False)
    moment = models.CharField(
        _("when"),
        max_length=20,
        choices=AutoIssueMoment.choices,
        default=AutoIssueMoment.HANDED_OVER,
    )
    company_buyers = models.BooleanField(_("company buyers (with a tax code)"), default=True)
    buyers_asking = models.BooleanField(_("buyers who ask for an invoice"), default=True)
    total_above = models.BigIntegerField(
        _("orders with a total above (₫)"),
        null=True,
        blank=True,
        help_text=_("Empty: the total does not decide."),
    )
    template = models.ForeignKey(
        InvoiceTemplate,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("template"),
        help_text=_("Empty: the default template."),
    )
    updated_at = models.DateTimeField(auto_now=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        verbose_name = _("automatic issuing rule")
        verbose_name_plural = _("automatic issuing rule")
        constraints = [
            models.CheckConstraint(condition=Q(id=1), name="invoicing_autoissuerule_singleton"),
            models.CheckConstraint(
                condition=Q(total_above__isnull=True) | Q(total_above__gte=0),
                name="invoicing_autoissuerule_total_gte_0",
            ),
        ]


class State(models.TextChoices):
    DRAFT = "draft", _("Draft")
    ISSUING = "issuing", _("Issuing")
    ISSUED = "issued", _("Issued")
    FAILED = "failed", _("Failed")
    REPLACED = "replaced", _("Replaced")
    ADJUSTED = "adjusted", _("Adjusted")
    CANCELLED = "cancelled", _("Cancelled")


class Purpose(models.TextChoices):
    ORIGINAL = "original", _("Original")
    REPLACEMENT = "replacement", _("Replacement")
    ADJUSTMENT = "adjustment", _("Adjustment")


class SendOutcome(models.TextChoices):
    """What we know of the issue call (intent before the call, answer after it). "sending"
    and "unknown" mean the provider may have an invoice we have no number for: look it up by
    our reference before anything else is sent."""

    NOT_SENT = "", _("Not sent yet")
    SENDING = "sending", _("Sending (no answer yet)")
    UNKNOWN = "unknown", _("Outcome unknown")
    REFUSED = "refused", _("Refused by the provider")
    ISSUED = "issued", _("Issued")


class TaxStatus(models.TextChoices):
    NONE = "", _("—")
    PENDING = "pending", _("Waiting for the tax authority's code")
    CODED = "coded", _("Coded by the tax authority")
    REJECTED = "rejected", _("Rejected by the tax authority")
    NOT_SENT = "not_sent", _("Not yet sent to the tax authority")


class BuyerKind(models.TextChoices):
    INDIVIDUAL = "individual", _("Individual")
    COMPANY = "company", _("Company")


# Issue attempts in the background (then the invoice shows as failed, with Retry).
MAX_ATTEMPTS = 5


def invoice_storage() -> FileSystemStorage:
    """Invoice PDFs hold buyers' details: they live outside MEDIA_ROOT (which is served to
    anyone), in INVOICE_FILES_ROOT (default: "private" beside MEDIA_ROOT), read when used, and
    are served by our own view to staff who may see invoices."""
    return PrivateFileStorage("INVOICE_FILES_ROOT", "private")


def _pdf_path(invoice: Invoice, filename: str) -> str:
    date = invoice.invoice_date
    folder = f"invoices/{date:%Y/%m}" if date else "invoices"
    return f"{folder}/{invoice.reference}.pdf"


class InvoiceQuerySet(models.QuerySet):
    def pending(self):
        """Not issued yet: drafts, being issued, failed."""
        return self.filter(state__in=[State.DRAFT, State.ISSUING, State.FAILED])

    def awaiting_code(self):
        """Issued on a C series, the tax authority's code still missing."""
        return self.filter(
            state__in=[State.ISSUED, State.REPLACED, State.ADJUSTED],
            series__startswith="C",
            tax_authority_code="",
        ).exclude(tax_status=TaxStatus.REJECTED)


class Invoice(models.Model):
    order = models.ForeignKey(
        "orders.Order", on_delete=models.PROTECT, related_name="invoices", verbose_name=_("order")
    )
    account = models.ForeignKey(
        InvoiceAccount, on_delete=models.PROTECT, related_name="invoices", verbose_name=_("account")
    )
    template = models.ForeignKey(
        InvoiceTemplate,
        on_delete=models.PROTECT,
        related_name="invoices",
        verbose_name=_("template"),
    )
    purpose = models.CharField(
        _("purpose"), max_length=12, choices=Purpose.choices, default=Purpose.ORIGINAL
    )
    original = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="corrections",
        verbose_name=_("original invoice"),
    )
    state = models.CharField(_("state"), max_length=12, choices=State.choices, default=State.DRAFT)
    reference = models.CharField(_("our transaction id"), max_length=40, unique=True)
    send_outcome = models.CharField(
        max_length=10, choices=SendOutcome.choices, default=SendOutcome.NOT_SENT, blank=True
    )
    send_started_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    last_error = models.TextField(_("last error"), blank=True)

    invoice_kind = models.CharField(
        _("kind"), max_length=10, choices=InvoiceKind.choices, default=InvoiceKind.VAT
    )
    template_code = models.CharField(_("template number"), max_length=10)
    series = models.CharField(_("series symbol"), max_length=6)
    invoice_date = models.DateField(_("invoice date"), null=True, blank=True)
    issued_at = models.DateTimeField(_("issued at"), null=True, blank=True)
    number = models.CharField(_("invoice number"), max_length=20, blank=True, db_index=True)
    provider_number = models.CharField(max_length=40, blank=True)
    transaction_id = models.CharField(max_length=80, blank=True)
    reservation_code = models.CharField(_("buyer's lookup code"), max_length=80, blank=True)
    tax_authority_code = models.CharField(_("tax authority code"), max_length=64, blank=True)
    tax_status = models.CharField(
        _("tax authority"), max_length=10, choices=TaxStatus.choices, default="", blank=True
    )
    tax_message = models.CharField(max_length=500, blank=True)
    code_checked_at = models.DateTimeField(null=True, blank=True)
    code_checks = models.PositiveIntegerField(default=0)

    buyer_kind = models.CharField(
        _("buyer"), max_length=12, choices=BuyerKind.choices, default=BuyerKind.INDIVIDUAL
    )
    buyer_name = models.CharField(_("buyer's name"), max_length=150, blank=True)
    buyer_company_name = models.CharField(_("company name"), max_length=255, blank=True)
    buyer_tax_code = models.CharField(_("tax code"), max_length=14, blank=True, db_index=True)
    buyer_address = models.CharField(_("address"), max_length=400, blank=True)
    buyer_email = models.EmailField(_("email"), blank=True)
    buyer_phone = models.CharField(_("phone"), max_length=20, blank=True)

    seller_name = models.CharField(max_length=200, blank=True)
    seller_tax_code = models.CharField(max_length=14, blank=True)
    seller_address = models.CharField(max_length=400, blank=True)
    seller_phone = models.CharField(max_length=20, blank=True)
    seller_email = models.EmailField(blank=True)
    seller_bank_name = models.CharField(max_length=100, blank=True)
    seller_bank_account = models.CharField(max_length=40, blank=True)

    payment_method = models.CharField(_("payment method"), max_length=10, blank=True)
    total_amount = models.BigIntegerField(_("goods before discounts"), default=0)
    total_discount = models.BigIntegerField(_("discount"), default=0)
    total_net = models.BigIntegerField(_("amount before VAT"), default=0)
    total_vat = models.BigIntegerField(_("VAT"), default=0)
    total = models.BigIntegerField(_("total"), default=0)
    amount_in_words = models.CharField(_("amount in words"), max_length=400, blank=True)
    vat_breakdown = models.JSONField(default=list, blank=True)
    needs_review = models.BooleanField(
        _("needs the accountant"),
        default=False,
        help_text=_("A VAT rate of the order changed by the invoice date."),
    )
    rate_changes = models.JSONField(default=list, blank=True)

    reason = models.CharField(_("reason"), max_length=500, blank=True)
    agreement = models.CharField(_("agreement with the buyer"), max_length=200, blank=True)
    agreement_date = models.DateField(_("agreement date"), null=True, blank=True)

    pdf = models.FileField(storage=invoice_storage, upload_to=_pdf_path, blank=True)
    pdf_fetched_at = models.DateTimeField(null=True, blank=True)
    emailed_at = models.DateTimeField(_("emailed at"), null=True, blank=True)
    email_to = models.EmailField(blank=True)
    email_error = models.CharField(max_length=500, blank=True)

    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = InvoiceQuerySet.as_manager()

    class Meta:
        ordering = ["-id"]
        verbose_name = _("e-invoice")
        verbose_name_plural = _("e-invoices")
        permissions = [
            ("issue_invoice", _("Can issue e-invoices")),
            ("correct_invoice", _("Can replace and adjust e-invoices")),
        ]
        constraints = [
            # One invoice per order (a failed one is retried, not made again); replacements
            # and adjustments refer to it.
            models.UniqueConstraint(
                fields=["order"],
                condition=Q(purpose="original") & ~Q(state="cancelled"),
                name="invoice_one_original_per_order",
            ),
            models.UniqueConstraint(
                fields=["original"],
                condition=Q(purpose="replacement") & ~Q(state="cancelled"),
                name="invoice_one_replacement",
            ),
            models.CheckConstraint(
                condition=Q(purpose="original", original__isnull=True)
                | (~Q(purpose="original") & Q(original__isnull=False)),
                name="invoice_original_reference",
            ),
        ]
        indexes = [
            models.Index(fields=["state", "-id"], name="invoice_state_id"),
            models.Index(fields=["invoice_date", "-id"], name="invoice_date_id"),
            models.Index(fields=["series", "number"], name="invoice_series_number"),
        ]

    def __str__(self):
        if self.number:
            return f"{self.symbol} № {self.number}"
        return f"{self.symbol} ({self.get_state_display()})"

    @property
    def symbol(self) -> str:
        return KIND_DIGITS.get(self.invoice_kind, "") + self.series

    @property
    def buyer_display(self) -> str:
        return self.buyer_company_name if self.buyer_kind == "company" else self.buyer_name

    @property
    def is_coded_series(self) -> bool:
        return self.series.startswith("C")

    @property
    def is_live(self) -> bool:
        """Issued and standing (possibly adjusted): what replacements and adjustments refer to."""
        return self.state in (State.ISSUED, State.ADJUSTED)


class LineKind(models.TextChoices):
    GOODS = "goods", _("Goods")
    FEE = "fee", _("Fee")
    NOTE = "note", _("Note")


class InvoiceLine(models.Model):
    """One line as sent: amounts in VND; on an adjustment a decrease is negative."""

    invoice = models.ForeignKey(Invoice, on_delete=models.CASCADE, related_name="lines")
    position = models.PositiveSmallIntegerField(default=1)
    kind = models.CharField(max_length=8, choices=LineKind.choices, default=LineKind.GOODS)
    order_line = models.ForeignKey(
        "orders.OrderLine", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    original_line = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    sku = models.CharField(_("SKU"), max_length=64, blank=True)
    name = models.CharField(_("item"), max_length=300)
    unit = models.CharField(_("unit"), max_length=30, blank=True)
    quantity = models.PositiveIntegerField(_("quantity"), default=1)
    unit_price = models.DecimalField(_("unit price"), max_digits=20, decimal_places=4)
    amount = models.BigIntegerField(_("amount before discount"), default=0)
    discount = models.BigIntegerField(_("discount"), default=0)
    net = models.BigIntegerField(_("amount before VAT"), default=0)
    vat_rate = models.CharField(_("VAT rate"), max_length=8, choices=VatRate.choices, blank=True)
    order_vat_rate = models.CharField(max_length=8, blank=True)
    vat = models.BigIntegerField(_("VAT"), default=0)
    gross = models.BigIntegerField(_("amount incl. VAT"), default=0)
    is_increase = models.BooleanField(null=True, blank=True)

    class Meta:
        ordering = ["position", "id"]


class InvoiceEvent(models.Model):
    """The invoice's history as data (a code and values), shown in the reader's language."""

    invoice = models.ForeignKey(Invoice, on_delete=models.CASCADE, related_name="events")
    at = models.DateTimeField(auto_now_add=True)
    code = models.CharField(max_length=40)
    params = models.JSONField(default=dict, blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    actor_label = models.CharField(max_length=150, blank=True)

    class Meta:
        ordering = ["at", "id"]
