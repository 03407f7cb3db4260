"""What the catalog pages share."""

from __future__ import annotations

from django.contrib.auth.decorators import permission_required

PAGE_SIZE = 20


def _perm(name: str):
    return permission_required(name, raise_exception=True)


def _int_or_none(value):
    try:
        return int(value)
    except (TypeError, ValueError):
        return None
