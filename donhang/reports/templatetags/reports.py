from dataclasses import astuple
from datetime import date, datetime

from django import template
from django.contrib.humanize.templatetags.humanize import intcomma
from django.core.cache import cache
from django.utils import formats, timezone, translation
from django.utils.html import escape, format_html, format_html_join
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _

from donhang.core.money import format_vnd
from donhang.reports.charts import Series, color, stacked_bars

register = template.Library()


@register.simple_tag
def cell(row: dict, column) -> str:
    """A table cell: the row's value for the column, formatted by its kind."""
    if row is None:
        return ""
    value = row.get(column.key)
    if value is None or value == "":
        return "—" if column.kind in ("percent", "money") else ""
    if column.kind == "money":
        return format_vnd(value)
    if column.kind == "percent":
        return formats.number_format(value, 1) + " %"
    if column.kind == "date":
        if isinstance(value, datetime):
            value = timezone.localtime(value).date()
        return formats.date_format(value, "SHORT_DATE_FORMAT") if isinstance(value, date) else value
    if column.kind == "int":
        return intcomma(value)
    return value


NUMERIC = ("int", "money", "percent")


@register.simple_tag
def report_table(table):
    """A report's table (built here, not in template loops: a year of days or a page of
    products is thousands of cells)."""

    def cell_class(column, row) -> str:
        if column.kind not in NUMERIC:
            return ""
        negative = column.key == "margin" and (row.get("margin") or 0) < 0
        return "money margin-negative" if negative else "money"

    head = format_html_join(
        "",
        '<th scope="col" class="{}" data-column="{}">{}</th>',
        (("money" if c.kind in NUMERIC else "", c.key, c.label) for c in table.columns),
    )
    body = format_html_join(
        "",
        "<tr>{}</tr>",
        (
            (
                format_html_join(
                    "",
                    '<td class="{}" data-column="{}">{}</td>',
                    ((cell_class(c, row), c.key, cell(row, c)) for c in table.columns),
                ),
            )
            for row in table.rows
        ),
    )
    foot = ""
    if table.total is not None:
        cells = [format_html('<th scope="row">{}</th>', _("Total"))]
        for column in table.columns[1:]:
            if column.kind in NUMERIC:
                cells.append(
                    format_html(
                        '<td class="money" data-column="{}">{}</td>',
                        column.key,
                        cell(table.total, column),
                    )
                )
            else:
                cells.append(mark_safe("<td></td>"))
        foot = format_html(
            '<tfoot><tr class="fw-semibold">{}</tr></tfoot>',
            format_html_join("", "{}", ((c,) for c in cells)),
        )
    return format_html(
        '<div class="table-responsive"><table class="table table-sm table-hover align-middle '
        'report-table" id="table-{}"><thead><tr>{}</tr></thead><tbody>{}</tbody>{}</table></div>',
        table.key,
        head,
        body,
        foot,
    )


@register.filter
def change_class(value) -> str:
    if value is None:
        return "text-body-secondary"
    return "text-success" if value > 0 else ("text-danger" if value < 0 else "text-body-secondary")


@register.filter
def signed_percent(value) -> str:
    if value is None:
        return "—"
    sign = "+" if value > 0 else ""
    return f"{sign}{formats.number_format(value, 1)} %"


@register.filter
def series_color(index: int) -> str:
    return color(index)


def _kept(dashboard, name: str, build):
    """A piece of the dashboard drawn from its figures, kept as long as they are (until the
    next refresh), per language: drawing the charts is most of the page's work otherwise."""
    if dashboard.complete_to is None:
        return build()
    key = ":".join(
        [
            "reports:drawn",
            name,
            dashboard.complete_to.isoformat(),
            dashboard.periods[0].last.isoformat(),
            translation.get_language() or "",
            "".join("1" if v else "0" for v in astuple(dashboard.access)),
        ]
    )
    drawn = cache.get(key)
    if drawn is None:
        drawn = str(build())
        cache.set(key, drawn, 600)
    return mark_safe(drawn)  # built from escaped parts below


def _number(value: int) -> str:
    return f"{value:,}".replace(",", ".")


@register.simple_tag
def channel_chart(dashboard, measure: str, title: str):
    """The dashboard's stacked bars per day and channel, for `measure` (orders or revenue)."""

    def build():
        labels = [row["day"].strftime("%d/%m") for row in dashboard.chart]
        series = [
            Series(
                key,
                str(label),
                [row["channels"].get(key, {}).get(measure, 0) for row in dashboard.chart],
            )
            for key, label in dashboard.channels
        ]
        totals = ", ".join(f"{s.label} {_number(sum(s.values))}" for s in series if sum(s.values))
        summary = _("%(title)s: %(totals)s.") % {
            "title": title,
            "totals": totals or _("nothing yet"),
        }
        return stacked_bars(labels=labels, series=series, title=title, summary=summary)

    return _kept(dashboard, f"chart-{measure}", build)


@register.simple_tag
def chart_table(dashboard, measure: str):
    """The chart's figures as a table (days down, channels across), for reading exact values
    and for screen readers."""

    def build():
        channels = dashboard.channels
        show = format_vnd if measure == "revenue" else _number
        head = "".join(
            f'<th scope="col" class="money">{escape(label)}</th>' for _k, label in channels
        )
        rows = "".join(
            f'<tr><th scope="row">{row["day"]:%d/%m/%Y}</th>'
            + "".join(
                f'<td class="money">{escape(show(row["channels"].get(key, {}).get(measure, 0)))}</td>'
                for key, _l in channels
            )
            + "</tr>"
            for row in dashboard.chart
        )
        return (
            f'<details class="small"><summary>{escape(_("The figures as a table"))}</summary>'
            '<div class="table-responsive"><table class="table table-sm mb-0" '
            f'data-chart-table="{escape(measure)}"><thead><tr><th scope="col">{escape(_("Day"))}'
            f"</th>{head}</tr></thead><tbody>{rows}</tbody></table></div></details>"
        )

    return _kept(dashboard, f"table-{measure}", build)


@register.filter
def change_of(period, name: str):
    """A dashboard period's percent change of one figure (None: nothing to compare with)."""
    return period.change(name)


@register.filter
def figure(row: dict, key: str):
    return (row or {}).get(key)


@register.filter
def vnd_or_dash(value) -> str:
    return "—" if value is None else format_vnd(value)
