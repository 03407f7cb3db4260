"""Role checks for views: log in first, then 403 (the translated 403 page) without the permission.

    @permission_required_403("catalog.change_product")
    def product_edit(request, pk): ...

    class ProductEdit(PermissionRequired403Mixin, UpdateView):
        permission_required = "catalog.change_product"

Django's own `permission_required(..., raise_exception=True)` answers 403 to visitors who are not
logged in as well; these send them to the log-in page instead.
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import wraps

from django.contrib.auth.mixins import LoginRequiredMixin
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied


def _as_tuple(perms: str | Iterable[str]) -> tuple[str, ...]:
    return (perms,) if isinstance(perms, str) else tuple(perms)


def permission_required_403(perms: str | Iterable[str]):
    """Require a logged-in user holding every permission in `perms` ("app_label.codename")."""
    needed = _as_tuple(perms)

    def decorator(view):
        @wraps(view)
        def wrapper(request, *args, **kwargs):
            if not request.user.is_authenticated:
                return redirect_to_login(request.get_full_path())
            if not request.user.has_perms(needed):
                raise PermissionDenied
            return view(request, *args, **kwargs)

        return wrapper

    return decorator


class PermissionRequired403Mixin(LoginRequiredMixin):
    """For class-based views: set `permission_required` to one permission or several."""

    permission_required: str | Iterable[str] = ()

    def dispatch(self, request, *args, **kwargs):
        if not request.user.is_authenticated:
            return self.handle_no_permission()
        if not request.user.has_perms(_as_tuple(self.permission_required)):
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)
