"""The audit log: who did what to which record. Services write an entry with `audit(...)` in
the transaction of their change; the owner reads them on the audit page (filters, .xlsx export)
and through GET /api/v1/audit."""

from __future__ import annotations

import io
import json
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from openpyxl import Workbook

from donhang.core import rawsql
from donhang.core.models import AuditEntry
from donhang.core.spreadsheet import neutralize_row


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
    entry = AuditEntry(
        actor=actor_user(actor),
        actor_label=actor_label(actor)[:150],
        action=action,
        object_type=obj._meta.label_lower,
        object_id=str(obj.pk),
        summary=summary[:500],
        data=data or {},
    )
    rawsql.insert([entry])  # as AuditEntry.objects.create, without building the statement
    return entry


# --- reading the log: the owner's audit page, its export and GET /api/v1/audit ----------------

# The actions the issue calls sensitive, as the services record them (an entry of each is
# written in the same transaction as the change). The page offers them as a filter; a prefix
# ("invoice.") matches every action that starts with it.
SENSITIVE_ACTIONS = {
    "variant.update": _("Variant changed (prices and costs: before → after)"),
    "product.create": _("Product created (first prices)"),
    "stock.adjust": _("Stock adjusted"),
    "stocktake.post": _("Stocktake posted (differences)"),
    "order.refund": _("Refund recorded"),
    "invoice.issue": _("E-invoice issued"),
    "invoice.replace": _("E-invoice replaced"),
    "invoice.adjust": _("E-invoice adjusted"),
    "user.set_role": _("Role changed"),
    "user.create": _("Staff member added"),
    "api_key.create": _("API key created"),
    "api_key.revoke": _("API key revoked"),
    "carrier_account.save": _("Carrier account changed"),
    "marketplace.": _("Marketplace connection changed"),
    "invoice_account.save": _("E-invoice account changed"),
    "shop_profile.update": _("Shop profile changed"),
}

PAGE_SIZE = 50
EXPORT_LIMIT = 50_000


@dataclass(frozen=True)
class AuditFilter:
    actor_id: int | None = None
    actor: str = ""  # part of the label: a username, an API key's name, "system"
    action: str = ""  # exact, or a prefix ending in "."
    object_type: str = ""  # "orders.order"
    object_id: str = ""
    date_from: date | None = None
    date_to: date | None = None  # inclusive


def _day_start(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min))


def audit_entry_list(filters: AuditFilter = AuditFilter(), *, before_id: int | None = None):
    """Entries newest first, filtered; `before_id` pages on (entries older than that one)."""
    entries = AuditEntry.objects.select_related("actor")
    if filters.actor_id:
        entries = entries.filter(actor_id=filters.actor_id)
    if filters.actor:
        entries = entries.filter(actor_label__icontains=filters.actor)
    if filters.action:
        if filters.action.endswith("."):
            entries = entries.filter(action__startswith=filters.action)
        else:
            entries = entries.filter(action=filters.action)
    if filters.object_type:
        entries = entries.filter(object_type=filters.object_type)
    if filters.object_id:
        entries = entries.filter(object_id=filters.object_id)
    if filters.date_from:
        entries = entries.filter(at__gte=_day_start(filters.date_from))
    if filters.date_to:
        entries = entries.filter(at__lt=_day_start(filters.date_to + timedelta(days=1)))
    if before_id:
        entries = entries.filter(id__lt=before_id)
    return entries.order_by("-id")


def audit_page(filters: AuditFilter, *, before_id: int | None = None, size: int = PAGE_SIZE):
    """One page of entries and the id to continue from (None on the last page)."""
    rows = list(audit_entry_list(filters, before_id=before_id)[: size + 1])
    more = len(rows) > size
    rows = rows[:size]
    return rows, (rows[-1].pk if more and rows else None)


def audit_export_rows(filters: AuditFilter) -> list[list]:
    """The filtered log as spreadsheet rows (a header, then up to EXPORT_LIMIT entries), every
    text cell neutralised: labels and summaries come from what users typed."""
    header = [
        _("When"),
        _("Who"),
        _("Action"),
        _("Object type"),
        _("Object id"),
        _("Summary"),
        _("Details"),
    ]
    rows = [[str(label) for label in header]]
    for entry in audit_entry_list(filters)[:EXPORT_LIMIT].iterator(chunk_size=2000):
        rows.append(
            neutralize_row(
                [
                    timezone.localtime(entry.at).replace(tzinfo=None),
                    entry.actor_label,
                    entry.action,
                    entry.object_type,
                    entry.object_id,
                    entry.summary,
                    json.dumps(entry.data, ensure_ascii=False, sort_keys=True, default=str)
                    if entry.data
                    else "",
                ]
            )
        )
    return rows


def audit_export_xlsx(filters: AuditFilter) -> bytes:
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(str(_("Audit log")))
    for row in audit_export_rows(filters):
        sheet.append(row)
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()
