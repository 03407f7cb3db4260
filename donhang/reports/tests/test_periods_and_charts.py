"""Date ranges split into whole months and loose days; charts escape what they draw and say it in
words too."""

from datetime import date

from donhang.reports.charts import Series, horizontal_bars, short_number, stacked_bars
from donhang.reports.periods import day_runs, split_range


def test_a_range_reads_whole_months_from_the_monthly_rows_and_the_rest_from_days():
    assert split_range(date(2026, 1, 15), date(2026, 4, 10)) == (
        [date(2026, 2, 1), date(2026, 3, 1)],
        [(date(2026, 1, 15), date(2026, 1, 31)), (date(2026, 4, 1), date(2026, 4, 10))],
    )
    assert split_range(date(2026, 2, 1), date(2026, 2, 28)) == ([date(2026, 2, 1)], [])
    assert split_range(date(2026, 2, 3), date(2026, 2, 20)) == (
        [],
        [(date(2026, 2, 3), date(2026, 2, 20))],
    )
    assert split_range(date(2026, 3, 1), date(2026, 2, 1)) == ([], [])


def test_this_month_so_far_is_one_monthly_row():
    # Days after today hold nothing yet: the month's row is the month so far
    today = date(2026, 11, 29)
    assert split_range(date(2026, 11, 1), today, known_until=today) == ([date(2026, 11, 1)], [])
    assert split_range(date(2026, 10, 20), date(2026, 12, 31), known_until=today) == (
        [date(2026, 11, 1)],
        [(date(2026, 10, 20), date(2026, 10, 31))],
    )
    assert split_range(date(2026, 11, 5), today, known_until=today) == (
        [],
        [(date(2026, 11, 5), today)],
    )


def test_days_group_into_runs():
    days = [date(2026, 1, 3), date(2026, 1, 1), date(2026, 1, 2), date(2026, 1, 9)]
    assert day_runs(days) == [
        (date(2026, 1, 1), date(2026, 1, 3)),
        (date(2026, 1, 9), date(2026, 1, 9)),
    ]


def test_charts_escape_their_text_and_carry_a_text_alternative():
    svg = stacked_bars(
        labels=["01/11", "02/11"],
        series=[Series("website", "<script>x</script>", [1_500_000, 0])],
        title="Revenue & orders",
        summary='Revenue "by" day',
    )
    assert "<script>" not in svg and "&lt;script&gt;" in svg
    assert 'role="img"' in svg and 'aria-label="Revenue &quot;by&quot; day"' in svg
    assert "<title>Revenue &amp; orders</title>" in svg
    assert "1.500.000" in svg  # each bar's exact figure in its tooltip
    bars = horizontal_bars(rows=[("=cmd|x", 3)], title="t", summary="s")
    assert "=cmd|x" in bars and 'role="img"' in bars
    assert short_number(1_234_567) == "1,2M" and short_number(999) == "999"
