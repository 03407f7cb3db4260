from __future__ import annotations

from typing import Any

from donhang.core.models import AuditEntry


def actor_user(actor: Any):
    """Services take an actor: a User, an API-key principal, or None (the system)."""
    if actor is None:
        return None
    user = getattr(actor, "user", actor)
    return user if getattr(user, "pk", None) else None


def actor_label(actor: Any) -> str:
    if actor is None:
        return "system"
    label = getattr(actor, "audit_label", None)
    if label:
        return str(label)
    return getattr(actor, "get_username", lambda: str(actor))()


def audit(
    *, actor: Any, action: str, obj: Any, summary: str = "", data: dict | None = None
) -> AuditEntry:
    return AuditEntry.objects.create(
        actor=actor_user(actor),
        actor_label=actor_label(actor)[:150],
        action=action,
        object_type=obj._meta.label_lower,
        object_id=str(obj.pk),
        summary=summary[:500],
        data=data or {},
    )
