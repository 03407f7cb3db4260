"""Permission checks inside services, so every entry point (page, API, task) gets the same rule."""

from django.utils.translation import gettext as _

from donhang.core.errors import PermissionDenied


def actor_allowed(actor, perm: str) -> bool:
    """The system (actor None) may do anything; users and API keys need the permission."""
    if actor is None:
        return True
    has_perm = getattr(actor, "has_perm", None)
    return bool(has_perm and has_perm(perm))


def require_perm(actor, perm: str) -> None:
    if not actor_allowed(actor, perm):
        raise PermissionDenied(
            _("Your role is not allowed to do this (%(perm)s).") % {"perm": perm}
        )
