import phonenumbers
from django.contrib.auth.models import AbstractUser, Group
from django.db import models
from django.utils.functional import cached_property
from django.utils.translation import gettext_lazy as _

from donhang.accounts.roles import Role


class User(AbstractUser):
    phone = models.CharField(_("phone"), max_length=20, blank=True)

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")

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
        on_delete=models.SET_NULL,
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
    def role_label(self) -> str:
        return Role(self.role.name).label if self.role.name in Role.values else self.role.name
