"""What reports hands to the apps below it, through donhang.core.hooks (nothing imports
reports):

- ``web.dashboard`` (request) -> dict: the home page's template and context, from the daily
  figures (donhang.web.views.dashboard renders it);
- ``customer.merged`` (keep, duplicate_ids): the merged customers' orders move, so their days
  are computed again at the next refresh.
"""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone

from donhang.core import hooks
from donhang.orders.models import Order
from donhang.reports.access import Access
from donhang.reports.definitions import DEFINITIONS
from donhang.reports.models import RefreshState
from donhang.reports.periods import local_day
from donhang.reports.refresh import days_mark
from donhang.reports.selectors import dashboard_get
from donhang.reports.tasks import refresh_figures_task

ASK_AGAIN_AFTER = timedelta(minutes=5)


def _computed_or_asked():
    """To when the figures are complete. Never computed (a new shop, an upgrade): a worker is
    asked to, once every few minutes at most, so the page does not wait for the scheduler."""
    now = timezone.now()
    state, _created = RefreshState.objects.get_or_create(pk=1)
    if state.complete_to is not None:
        return state.complete_to
    due = state.asked_at is None or now - state.asked_at > ASK_AGAIN_AFTER
    # Only the request that moves `asked_at` asks (several pages may look at once).
    if due and RefreshState.objects.filter(pk=1, asked_at=state.asked_at).update(asked_at=now):
        refresh_figures_task.enqueue()
    return RefreshState.objects.filter(pk=1).values_list("complete_to", flat=True).first()


def dashboard_page(*, request) -> dict:
    access = Access.of(request.user)
    computed_to = _computed_or_asked()
    return {
        "template": "reports/dashboard.html",
        "dashboard": dashboard_get(access=access, computed_to=computed_to),
        "access": access,
        "definitions": DEFINITIONS,
    }


def customer_merged(*, keep, duplicate_ids, actor=None) -> None:
    ids = [keep.pk, *duplicate_ids]
    days_mark(
        local_day(at)
        for at in Order.objects.filter(customer_id__in=ids)
        .values_list("created_at", flat=True)
        .order_by()
    )


def register() -> None:
    hooks.register("web.dashboard", dashboard_page)
    hooks.register("customer.merged", customer_merged)
