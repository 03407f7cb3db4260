"""Staff, roles, API keys and log-in throttling."""

from __future__ import annotations

import hashlib
import hmac
import math
import secrets
from datetime import timedelta

import phonenumbers
from django.conf import settings
from django.contrib.auth.models import Group, Permission
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from donhang.accounts.models import ApiKey, LoginFailure, User
from donhang.accounts.roles import ROLE_PERMISSIONS, Role
from donhang.accounts.selectors import user_by_username
from donhang.accounts.usernames import username_clean, username_key
from donhang.core import rawsql
from donhang.core.audit import audit
from donhang.core.errors import Conflict, ValidationFailed

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
    # One statement with its role and maker (select_related), built once (core.rawsql): every
    # API request runs it.
    found = rawsql.select(
        ApiKey,
        "t0.prefix = %s AND t0.revoked_at IS NULL",
        [parts[1]],
        related=("role", "created_by"),
        tail="ORDER BY t0.id LIMIT 1",
    )
    key = found[0] if found else None
    if key is None or not hmac.compare_digest(key.key_hash, _hash_key(raw_key)):
        return None
    if key.created_by is not None and not key.created_by.is_active:
        # A key lives only as long as its maker's account: deactivating someone stops every key
        # they created (reactivating starts them again). Keys made on the command line have no
        # maker and stay until revoked.
        return None
    now = timezone.now()
    if key.last_used_at is None or now - key.last_used_at > timedelta(minutes=1):
        # Throttled so that a busy integration does not write on every request.
        rawsql.update(ApiKey, key.pk, last_used_at=now)
    return key


def login_lock_remaining(*, username: str, ip_address: str | None) -> int:
    """Seconds until this username (or address) may try to log in again; 0 when not locked.

    Usernames are counted normalised (`username_key`: NFKC, case-folded), so look-alikes such as
    `ｍａｎａｇｅｒ` or `MANAGER` share the tries of `manager`.

    A lock lifts when enough failures have aged out of the window that fewer than the limit
    remain, so the wait is counted from the failure that has to age out first.
    """
    window = timedelta(seconds=settings.LOGIN_FAILURE_WINDOW_SECONDS)
    now = timezone.now()
    recent = LoginFailure.objects.filter(at__gte=now - window).order_by("-at")
    limit = settings.LOGIN_FAILURE_LIMIT
    checks = [(recent.filter(username=username_key(username)), limit)]
    if ip_address:
        # Per address the limit is higher: several staff may share one shop's connection.
        checks.append((recent.filter(ip_address=ip_address), limit * 4))
    remaining = 0
    for failures, max_failures in checks:
        times = list(failures.values_list("at", flat=True)[:max_failures])
        if len(times) >= max_failures:
            lifts_at = times[max_failures - 1] + window
            remaining = max(remaining, math.ceil((lifts_at - now).total_seconds()))
    return max(remaining, 0)


def login_is_locked(*, username: str, ip_address: str | None) -> bool:
    return login_lock_remaining(username=username, ip_address=ip_address) > 0


def login_failure_record(*, username: str, ip_address: str | None) -> None:
    LoginFailure.objects.create(username=username_key(username), ip_address=ip_address or None)


def login_failures_clear(*, username: str) -> None:
    LoginFailure.objects.filter(username=username_key(username)).delete()


def phone_normalize(phone: str) -> str:
    """A Vietnamese phone number as typed ("0912 345 678", "+84912345678") → E.164; "" stays ""."""
    phone = (phone or "").strip()
    if not phone:
        return ""
    try:
        parsed = phonenumbers.parse(phone, "VN")
    except phonenumbers.NumberParseException:
        parsed = None
    if parsed is None or not phonenumbers.is_valid_number(parsed):
        raise ValidationFailed(
            _("This phone number is not valid."),
            fields={"phone": _("Enter a phone number such as 0912 345 678.")},
        )
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)


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
    """Create a staff member with one role. The password is not checked against the password
    validators here: forms do that, and the demo data uses a known password on purpose."""
    # Stored as Django's create_user would store it (NFKC), and checked for look-alikes of
    # existing names with the rule log-in uses (NFKC, case-folded).
    username = username_clean(username)
    if not username:
        raise ValidationFailed(
            _("Choose a username."), fields={"username": _("This field is required.")}
        )
    group = role_group(role)
    taken = User.objects.filter(username__iexact=username).exists()
    if taken or user_by_username(username) is not None:
        raise ValidationFailed(
            _("This username is taken."), fields={"username": _("This username is taken.")}
        )
    user = User.objects.create_user(
        username=username,
        password=password,
        first_name=first_name.strip(),
        last_name=last_name.strip(),
        email=(email or "").strip(),
        phone=phone_normalize(phone),
    )
    user.groups.set([group])
    audit(actor=actor, action="user.create", obj=user, summary=f"{username} ({role})")
    return user


def _lock_active_owner_ids() -> set[int]:
    """Lock the active owners' rows, then read them again.

    Two owners demoting or deactivating each other at the same moment must not leave the shop
    without an owner: the second waits for the first's lock and then counts what it committed.
    On SQLite the IMMEDIATE transaction already serialises writers.
    """
    owners = User.objects.filter(groups__name=Role.OWNER, is_active=True)
    list(owners.select_for_update(of=("self",)).order_by("pk").only("pk"))
    return set(owners.values_list("pk", flat=True))


def _refuse_losing_last_owner(*, user: User) -> None:
    if _lock_active_owner_ids() == {user.pk}:
        raise Conflict(
            _(
                "%(name)s is the last active owner. Give another active staff member the owner "
                "role first."
            )
            % {"name": user.get_username()},
            code="last_owner",
        )


def _is_self(user: User, actor) -> bool:
    actor_user = getattr(actor, "user", actor)
    return actor_user is not None and getattr(actor_user, "pk", None) == user.pk


@transaction.atomic
def user_set_role(*, user: User, role: str, actor=None) -> User:
    group = role_group(role)
    if role != Role.OWNER and user.is_active and user.role == Role.OWNER:
        if _is_self(user, actor):
            raise Conflict(
                _("You cannot take away your own owner role. Ask another owner to do it."),
                code="own_role",
            )
        _refuse_losing_last_owner(user=user)
    user.groups.set([group])
    user.__dict__.pop("role", None)  # drop the cached role
    audit(actor=actor, action="user.set_role", obj=user, summary=role)
    return user


@transaction.atomic
def user_set_active(*, user: User, is_active: bool, actor=None) -> User:
    if not is_active:
        if _is_self(user, actor):
            raise Conflict(_("You cannot deactivate your own account."), code="deactivate_self")
        if user.role == Role.OWNER:
            _refuse_losing_last_owner(user=user)
    user.is_active = is_active
    user.save(update_fields=["is_active"])
    audit(actor=actor, action="user.activate" if is_active else "user.deactivate", obj=user)
    return user


@transaction.atomic
def user_set_password(*, user: User, password: str, actor=None) -> User:
    """Set a new password (own change or an owner's reset). The user's other sessions end,
    because Django ties each session to the password hash."""
    user.set_password(password)
    user.save(update_fields=["password"])
    action = "user.change_password" if _is_self(user, actor) else "user.reset_password"
    audit(actor=actor, action=action, obj=user)
    return user
