import phonenumbers
from django.contrib.auth.models import AbstractUser, Group
from django.db import models
from django.utils.functional import cached_property
from django.utils.translation import gettext_lazy as _

from donhang.accounts.roles import Role
from donhang.core.phone import display_phone


class User(AbstractUser):
    phone = models.CharField(_("phone"), max_length=20, blank=True)

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")
        # Rights of a role rather than of this model; they live here because accounts holds the
        # roles and sits below every app that checks them (the dashboard, reports).
        permissions = [("view_revenue", _("Can see revenue and margins"))]

    def get_full_name(self) -> str:
        # Vietnamese (and Japanese) names put the family name first: "Nguyễn Thị Lan".
        return " ".join(part for part in (self.last_name, self.first_name) if part).strip()

    @property
    def phone_display(self) -> str:
        """The stored E.164 number as Vietnamese staff write it: "+84912345678" → "0912 345 678"."""
        if not self.phone:
            return ""
        try:
            parsed = phonenumbers.parse(self.phone, "VN")
        except phonenumbers.NumberParseException:
            return self.phone
        return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.NATIONAL)

    @cached_property
    def role(self) -> str | None:
        """The user's role (one of Role), from their groups; owners outrank others. Cached on
        the instance: pages show it several times per request."""
        names = {g.name for g in self.groups.all()}
        for role in Role:
            if role.value in names:
                return role.value
        return None

    @property
    def role_label(self) -> str:
        return Role(self.role).label if self.role else ""

    @property
    def audit_label(self) -> str:
        return self.get_username()


class LoginFailure(models.Model):
    """One failed log-in; counted per username and per address to throttle guessing."""

    at = models.DateTimeField(_("at"), auto_now_add=True, db_index=True)
    username = models.CharField(_("username"), max_length=150, db_index=True)
    ip_address = models.GenericIPAddressField(_("IP address"), null=True, blank=True, db_index=True)

    class Meta:
        ordering = ["-at"]
        verbose_name = _("failed log-in")
        verbose_name_plural = _("failed log-ins")

    def __str__(self):
        return f"{self.username} {self.ip_address or ''} {self.at:%Y-%m-%d %H:%M}"


class ApiKey(models.Model):
    """A key for the REST API. Only a hash is stored; the key itself is shown once."""

    name = models.CharField(_("name"), max_length=100)
    prefix = models.CharField(_("prefix"), max_length=16, unique=True)
    key_hash = models.CharField(_("key hash"), max_length=64)
    role = models.ForeignKey(Group, on_delete=models.PROTECT, verbose_name=_("role"))
    created_by = models.ForeignKey(
        User,
        null=True,
        blank=True,
        # Not SET_NULL: a key without a creator is a command-line key and works until revoked,
        # so deleting its creator must not turn a person's key into one. Deactivate people.
        on_delete=models.PROTECT,
        related_name="created_api_keys",
        verbose_name=_("created by"),
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    last_used_at = models.DateTimeField(_("last used"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("API key")
        verbose_name_plural = _("API keys")

    def __str__(self):
        return f"{self.name} ({self.prefix}…)"

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None

    @property
    def creator_deactivated(self) -> bool:
        """A deactivated creator's keys are refused (see services.api_key_authenticate)."""
        return self.created_by is not None and not self.created_by.is_active

    @property
    def role_label(self) -> str:
        return Role(self.role.name).label if self.role.name in Role.values else self.role.name


class ShopProfile(models.Model):
    """The shop's own identity, printed on labels, purchase orders, picking lists and invoices.

    One row at most (id 1). Until an owner saves it, `selectors.shop_profile_get()` builds an
    unsaved one from the SHOP_NAME / SHOP_TAX_CODE settings.

    The address uses Vietnam's 2025 units of the customers app by string reference: accounts sits
    below customers in the layers, so it never imports them.
    """

    SINGLETON_ID = 1

    name = models.CharField(_("shop name"), max_length=200)
    tax_code = models.CharField(_("tax code"), max_length=14, blank=True)
    address_line = models.CharField(_("street address"), max_length=255, blank=True)
    province = models.ForeignKey(
        "customers.Province",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("province"),
    )
    ward = models.ForeignKey(
        "customers.Ward",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("ward"),
    )
    phone = models.CharField(_("phone"), max_length=20, blank=True, help_text="E.164")
    email = models.EmailField(_("email"), blank=True)
    bank_bin = models.CharField(
        _("bank BIN"), max_length=6, blank=True, help_text=_("The bank's 6-digit NAPAS code.")
    )
    bank_name = models.CharField(_("bank"), max_length=100, blank=True)
    bank_account_number = models.CharField(_("account number"), max_length=19, blank=True)
    bank_account_holder = models.CharField(_("account holder"), max_length=100, blank=True)
    logo = models.FileField(_("logo"), upload_to="shop/", blank=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)
    updated_by = models.ForeignKey(
        User,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("updated by"),
    )

    class Meta:
        verbose_name = _("shop profile")
        verbose_name_plural = _("shop profile")
        constraints = [
            models.CheckConstraint(condition=models.Q(id=1), name="accounts_shopprofile_singleton")
        ]

    def __str__(self):
        return self.name

    @property
    def is_saved(self) -> bool:
        """False for the profile built from settings before an owner has saved one."""
        return not self._state.adding

    @property
    def phone_display(self) -> str:
        return display_phone(self.phone)

    @property
    def address_display(self) -> str:
        """ "18 Hàng Bài, Phường Hoàn Kiếm, Thành phố Hà Nội" (province and ward loaded)."""
        parts = [self.address_line]
        if self.ward_id:
            parts.append(self.ward.name)
        if self.province_id:
            parts.append(self.province.name)
        return ", ".join(p for p in parts if p)

    @property
    def has_bank_account(self) -> bool:
        """Enough for a VietQR transfer: the bank's BIN and the account number."""
        return bool(self.bank_bin and self.bank_account_number)
