"""Background work of reports: the scheduler's jobs. Both are safe to run twice (the refresh
holds a lock and recomputes whole days; the summary records the day it sent)."""

from __future__ import annotations

from donhang.core.leases import leased_task
from donhang.reports import services
from donhang.reports.refresh import figures_refresh


@leased_task
def refresh_figures_task() -> int:
    """Every minute: the figures follow what changed since the last run."""
    return len(figures_refresh().days)


@leased_task
def send_daily_summary_task() -> int:
    """Every few minutes: the owners' daily summary, once a day when turned on."""
    return services.daily_summary_send()
