"""Days and months in the shop's time zone (settings.TIME_ZONE): what "today" and "this month"
mean for the figures, and how a date range splits into whole months and loose days."""

from __future__ import annotations

import functools
from collections.abc import Iterable
from datetime import date, datetime, time, timedelta

from django.utils import timezone


def today() -> date:
    return timezone.localdate(timezone=timezone.get_default_timezone())


@functools.lru_cache(maxsize=8192)
def _day_of_quarter_hour(moment: datetime) -> date:
    return timezone.localtime(moment, timezone.get_default_timezone()).date()


def local_day(moment: datetime) -> date:
    """The shop's day of a moment. Every time zone is a whole number of quarter hours from UTC,
    so the day of a moment is the day of its quarter hour (cached: a rebuild asks millions)."""
    quarter = moment.replace(minute=moment.minute - moment.minute % 15, second=0, microsecond=0)
    return _day_of_quarter_hour(quarter)


def day_start(day: date) -> datetime:
    """Midnight at the start of `day`, shop time (aware)."""
    return timezone.make_aware(datetime.combine(day, time.min), timezone.get_default_timezone())


def day_bounds(first: date, last: date) -> tuple[datetime, datetime]:
    """[start of `first`, start of the day after `last`): the moments of the days first..last."""
    return day_start(first), day_start(last + timedelta(days=1))


def month_start(day: date) -> date:
    return day.replace(day=1)


def next_month(day: date) -> date:
    return (day.replace(day=28) + timedelta(days=4)).replace(day=1)


def month_end(day: date) -> date:
    """The last day of `day`'s month."""
    return next_month(day) - timedelta(days=1)


def months_between(first: date, last: date) -> list[date]:
    """First days of the months from `first`'s to `last`'s, in order."""
    months, month = [], month_start(first)
    while month <= last:
        months.append(month)
        month = next_month(month)
    return months


def split_range(
    first: date, last: date, *, known_until: date | None = None
) -> tuple[list[date], list[tuple[date, date]]]:
    """The whole months inside first..last (read from the monthly tables) and the loose days at
    either end (read from the daily ones), as inclusive (first, last) ranges. Days after
    `known_until` (today) hold nothing yet: a month counts as whole when the range covers it up
    to then (this month so far is one monthly row)."""
    if last < first:
        return [], []
    if known_until is not None and last >= known_until:
        last = max(known_until, first)
        whole = [m for m in months_between(first, last) if m >= first]
        if whole and last < month_end(whole[-1]):
            return whole, ([(first, whole[0] - timedelta(days=1))] if first < whole[0] else [])
    months = [m for m in months_between(first, last) if m >= first and month_end(m) <= last]
    if not months:
        return [], [(first, last)]
    days = []
    if first < months[0]:
        days.append((first, months[0] - timedelta(days=1)))
    after = next_month(months[-1])
    if after <= last:
        days.append((after, last))
    return months, days


def day_runs(days: Iterable[date]) -> list[tuple[date, date]]:
    """Consecutive days grouped into inclusive (first, last) runs, in order."""
    runs: list[tuple[date, date]] = []
    for day in sorted(set(days)):
        if runs and runs[-1][1] + timedelta(days=1) == day:
            runs[-1] = (runs[-1][0], day)
        else:
            runs.append((day, day))
    return runs


def week_start(day: date) -> date:
    """Monday of `day`'s week."""
    return day - timedelta(days=day.weekday())
