from ninja.security import HttpBearer
from ninja.security.session import SessionAuth as _NinjaSessionAuth

from donhang.accounts.principal import Principal
from donhang.accounts.services import api_key_authenticate


class ApiKeyAuth(HttpBearer):
    def authenticate(self, request, token: str):
        api_key = api_key_authenticate(raw_key=token)
        if api_key is None:
            return None
        request.principal = Principal.for_api_key(api_key)
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
