import threading
import time

from django.contrib.auth.models import Group, Permission
from django.db import transaction
from django.db.models.signals import m2m_changed
from ninja.security import HttpBearer
from ninja.security.session import SessionAuth as _NinjaSessionAuth

from donhang.accounts.principal import Principal
from donhang.accounts.services import api_key_authenticate

# The permissions of each role (group id → set), so that an API request costs one query: the
# key's, which is never cached (a revoked key or a deactivated creator stops at its next request
# in every process, and the key's current role is read with it). A role's permissions change
# only when an owner edits the role: this process forgets them at once (signal below), others
# within ROLE_PERMISSIONS_TTL seconds. Only committed permissions are cached: inside a
# transaction (which may yet roll back, as every test does) they are read afresh.
ROLE_PERMISSIONS_TTL = 60.0
_role_permissions: dict[int, tuple[float, frozenset[str]]] = {}
_lock = threading.Lock()


def role_permissions(role_id: int) -> frozenset[str]:
    cacheable = not transaction.get_connection().in_atomic_block
    now = time.monotonic()
    cached = _role_permissions.get(role_id) if cacheable else None
    if cached is not None and now - cached[0] < ROLE_PERMISSIONS_TTL:
        return cached[1]
    perms = frozenset(
        f"{app}.{code}"
        for app, code in Permission.objects.filter(group=role_id).values_list(
            "content_type__app_label", "codename"
        )
    )
    if cacheable:
        with _lock:
            _role_permissions[role_id] = (now, perms)
    return perms


def _forget_role_permissions(sender, instance, action, pk_set=None, **kwargs):
    if action.startswith("post_"):
        with _lock:
            _role_permissions.clear()


m2m_changed.connect(
    _forget_role_permissions,
    sender=Group.permissions.through,
    dispatch_uid="donhang.api.auth.role_permissions",
)


class ApiKeyAuth(HttpBearer):
    def authenticate(self, request, token: str):
        api_key = api_key_authenticate(raw_key=token)
        if api_key is None:
            return None
        request.principal = Principal.for_api_key(api_key)
        request.principal._perms = role_permissions(api_key.role_id)
        return request.principal


class SessionAuth(_NinjaSessionAuth):
    """The logged-in web user (htmx and the docs page). CSRF is checked for unsafe methods.

    Only when there is a logged-in user: a request with neither a key nor a session is
    anonymous and answers 401 as documented, not "403 CSRF check failed" (which ninja's check,
    run before looking at the session, would answer to any anonymous write)."""

    def _get_key(self, request):
        if not request.user.is_authenticated:
            return None
        return super()._get_key(request)

    def authenticate(self, request, key):
        user = super().authenticate(request, key)
        if not user:
            return None
        request.principal = Principal.for_user(request.user)
        return request.principal


def require(request, perm: str) -> None:
    """Raise 403 unless the caller's role has `perm` ("app_label.codename")."""
    request.principal.require(perm)
