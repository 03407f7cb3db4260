"""Who is acting: a logged-in user or an API key. Services accept either as `actor`."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.contrib.auth.models import Permission
from django.utils.translation import gettext as _

from donhang.core.errors import PermissionDenied


@dataclass
class Principal:
    user: object | None
    api_key: object | None = None
    _perms: set[str] | None = field(default=None, repr=False)

    @classmethod
    def for_user(cls, user) -> Principal:
        return cls(user=user)

    @classmethod
    def for_api_key(cls, api_key) -> Principal:
        return cls(user=api_key.created_by, api_key=api_key)

    @property
    def audit_label(self) -> str:
        if self.api_key is not None:
            return f"API key {self.api_key.name}"
        return self.user.get_username()

    def get_username(self) -> str:
        return self.audit_label

    def has_perm(self, perm: str) -> bool:
        if self.api_key is None:
            return bool(self.user and self.user.has_perm(perm))
        if self._perms is None:
            perms = Permission.objects.filter(group=self.api_key.role).values_list(
                "content_type__app_label", "codename"
            )
            self._perms = {f"{app}.{code}" for app, code in perms}
        return perm in self._perms

    def require(self, perm: str) -> None:
        if not self.has_perm(perm):
            raise PermissionDenied(
                _("Your role is not allowed to do this (%(perm)s).") % {"perm": perm},
                code="permission_denied",
            )
