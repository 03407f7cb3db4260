"""The reports app's writes: its settings, and the owners' daily summary email. The figures
themselves are written by donhang.reports.refresh (figures_refresh, figures_rebuild)."""

from __future__ import annotations

import logging
from datetime import date, datetime, timedelta

from django.conf import settings
from django.core.mail import EmailMessage
from django.db import transaction
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from donhang.accounts.models import User
from donhang.accounts.roles import Role
from donhang.core.audit import audit
from donhang.core.errors import ValidationFailed
from donhang.core.permissions import require_perm
from donhang.reports.access import Access
from donhang.reports.definitions import DEFINITIONS
from donhang.reports.models import ReportSettings
from donhang.reports.selectors import dashboard_get

logger = logging.getLogger(__name__)


def report_settings_get() -> ReportSettings:
    return ReportSettings.objects.get_or_create(pk=1)[0]


@transaction.atomic
def report_settings_update(*, daily_email: bool, daily_email_hour, actor=None) -> ReportSettings:
    """Turn the owners' daily summary on or off, and at which hour (0–23, shop time) it goes."""
    require_perm(actor, "reports.change_reportsettings")
    try:
        hour = int(daily_email_hour)
    except (TypeError, ValueError):
        hour = -1
    if not 0 <= hour <= 23:
        raise ValidationFailed(
            _("Choose an hour from 0 to 23."),
            fields={"daily_email_hour": _("Enter a whole hour from 0 to 23.")},
        )
    report_settings_get()
    row = ReportSettings.objects.select_for_update().get(pk=1)
    row.daily_email, row.daily_email_hour = bool(daily_email), hour
    row.save(update_fields=["daily_email", "daily_email_hour"])
    audit(
        actor=actor,
        action="report_settings.update",
        obj=row,
        summary=f"daily email {'on' if row.daily_email else 'off'} at {hour}:00",
        data={"daily_email": row.daily_email, "daily_email_hour": hour},
    )
    return row


def owner_addresses() -> list[str]:
    """Active owners with an email address."""
    return sorted(
        set(
            User.objects.filter(groups__name=Role.OWNER, is_active=True)
            .exclude(email="")
            .values_list("email", flat=True)
        )
    )


def daily_summary_text(*, day: date) -> tuple[str, str]:
    """(subject, body) of the summary of `day`, in the shop's language, with what an owner
    sees (revenue and margin included)."""
    owner = Access(
        money=True,
        margin=True,
        cod=True,
        invoices=True,
        marketplaces=True,
        stocktakes=True,
        returns=True,
    )
    with translation.override(settings.LANGUAGE_CODE):
        board = dashboard_get(access=owner, day=day)
        yesterday = board.periods[0]  # "today" of `day`
        subject = _("Sales of %(day)s: %(orders)s orders") % {
            "day": day.strftime("%d/%m/%Y"),
            "orders": yesterday.figures["orders"],
        }
        body = render_to_string(
            "reports/email/daily_summary.txt",
            {"day": day, "board": board, "period": yesterday, "definitions": DEFINITIONS},
        )
    return subject, body


def daily_summary_send(*, now: datetime | None = None, force: bool = False) -> int:
    """Send yesterday's summary to the owners once a day, at the chosen hour or later, when
    turned on (or `force`); returns the number of messages sent. Safe to call every few
    minutes from any host: the day sent is recorded under a lock before sending."""
    now = timezone.localtime(now or timezone.now())
    report_settings_get()
    day = now.date() - timedelta(days=1)
    with transaction.atomic():
        row = ReportSettings.objects.select_for_update().get(pk=1)
        if not force:
            if not row.daily_email or now.hour < row.daily_email_hour:
                return 0
            if row.last_sent_for is not None and row.last_sent_for >= day:
                return 0
        row.last_sent_for = day
        row.save(update_fields=["last_sent_for"])
    addresses = owner_addresses()
    if not addresses:
        return 0
    subject, body = daily_summary_text(day=day)
    sent = 0
    for address in addresses:
        try:
            sent += EmailMessage(subject=subject, body=body, to=[address]).send()
        except Exception:  # one bad address or a mail server hiccup must not stop the rest
            logger.exception("daily summary to %s failed", address)
    return sent
