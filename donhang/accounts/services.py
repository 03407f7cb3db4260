from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import timedelta

from django.conf import settings
from django.contrib.auth.models import Group, Permission
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from donhang.accounts.models import ApiKey, LoginFailure, User
from donhang.accounts.roles import ROLE_PERMISSIONS, Role
from donhang.core.audit import audit
from donhang.core.errors import ValidationFailed

API_KEY_PREFIX = "dh"


def roles_sync() -> None:
    """Create the role groups and give each exactly its permissions. Safe to run again."""
    all_perms = {
        f"{p.content_type.app_label}.{p.codename}": p
        for p in Permission.objects.select_related("content_type")
    }
    for role in Role:
        group, _created = Group.objects.get_or_create(name=role.value)
        wanted = ROLE_PERMISSIONS[role]
        if wanted == ["*"]:
            perms = list(all_perms.values())
        else:
            perms = [all_perms[name] for name in wanted if name in all_perms]
        group.permissions.set(perms)


def role_group(role: str) -> Group:
    if role not in Role.values:
        raise ValidationFailed(
            _("Unknown role."), fields={"role": _("Choose one of: %s") % ", ".join(Role.values)}
        )
    group, _created = Group.objects.get_or_create(name=role)
    return group


def _hash_key(raw_key: str) -> str:
    # Keys are 256-bit random strings, so a plain SHA-256 cannot be brute-forced; a slow hash
    # would only slow every API call.
    return hashlib.sha256(raw_key.encode()).hexdigest()


@transaction.atomic
def api_key_create(*, name: str, role: str, actor=None) -> tuple[ApiKey, str]:
    """Create a key; returns (row, raw key). The raw key is never stored and shown only once."""
    name = (name or "").strip()
    if not name:
        raise ValidationFailed(
            _("Give the key a name."), fields={"name": _("This field is required.")}
        )
    group = role_group(role)
    prefix = secrets.token_hex(4)
    while ApiKey.objects.filter(prefix=prefix).exists():
        prefix = secrets.token_hex(4)
    raw = f"{API_KEY_PREFIX}_{prefix}_{secrets.token_urlsafe(32)}"
    creator = getattr(actor, "user", actor) if actor is not None else None
    key = ApiKey.objects.create(
        name=name[:100], prefix=prefix, key_hash=_hash_key(raw), role=group, created_by=creator
    )
    audit(actor=actor, action="api_key.create", obj=key, summary=f"{name} ({role})")
    return key, raw


@transaction.atomic
def api_key_revoke(*, api_key: ApiKey, actor=None) -> ApiKey:
    if api_key.revoked_at is None:
        api_key.revoked_at = timezone.now()
        api_key.save(update_fields=["revoked_at"])
        audit(actor=actor, action="api_key.revoke", obj=api_key, summary=api_key.name)
    return api_key


def api_key_authenticate(*, raw_key: str) -> ApiKey | None:
    parts = (raw_key or "").split("_", 2)
    if len(parts) != 3 or parts[0] != API_KEY_PREFIX:
        return None
    key = (
        ApiKey.objects.select_related("role", "created_by")
        .filter(prefix=parts[1], revoked_at__isnull=True)
        .first()
    )
    if key is None or not hmac.compare_digest(key.key_hash, _hash_key(raw_key)):
        return None
    now = timezone.now()
    if key.last_used_at is None or now - key.last_used_at > timedelta(minutes=1):
        # Throttled so that a busy integration does not write on every request.
        ApiKey.objects.filter(pk=key.pk).update(last_used_at=now)
    return key


def login_is_locked(*, username: str, ip_address: str | None) -> bool:
    since = timezone.now() - timedelta(seconds=settings.LOGIN_FAILURE_WINDOW_SECONDS)
    recent = LoginFailure.objects.filter(at__gte=since)
    limit = settings.LOGIN_FAILURE_LIMIT
    if recent.filter(username__iexact=username).count() >= limit:
        return True
    # Per address the limit is higher: several staff may share one shop's connection.
    return bool(ip_address) and recent.filter(ip_address=ip_address).count() >= limit * 4


def login_failure_record(*, username: str, ip_address: str | None) -> None:
    LoginFailure.objects.create(username=username[:150], ip_address=ip_address or None)


def login_failures_clear(*, username: str) -> None:
    LoginFailure.objects.filter(Q(username__iexact=username)).delete()


@transaction.atomic
def user_create(
    *,
    username: str,
    password: str,
    role: str,
    first_name: str = "",
    last_name: str = "",
    email: str = "",
    phone: str = "",
    actor=None,
) -> User:
    group = role_group(role)
    if User.objects.filter(username__iexact=username).exists():
        raise ValidationFailed(
            _("This username is taken."), fields={"username": _("This username is taken.")}
        )
    user = User.objects.create_user(
        username=username,
        password=password,
        first_name=first_name,
        last_name=last_name,
        email=email,
        phone=phone,
    )
    user.groups.set([group])
    audit(actor=actor, action="user.create", obj=user, summary=f"{username} ({role})")
    return user


@transaction.atomic
def user_set_role(*, user: User, role: str, actor=None) -> User:
    group = role_group(role)
    user.groups.set([group])
    audit(actor=actor, action="user.set_role", obj=user, summary=role)
    return user


@transaction.atomic
def user_set_active(*, user: User, is_active: bool, actor=None) -> User:
    user.is_active = is_active
    user.save(update_fields=["is_active"])
    audit(actor=actor, action="user.activate" if is_active else "user.deactivate", obj=user)
    return user
