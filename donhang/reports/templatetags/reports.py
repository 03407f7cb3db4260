from datetime import date, datetime

from django import template
from django.contrib.humanize.templatetags.humanize import intcomma
from django.utils import formats, timezone
from django.utils.html import format_html, format_html_join
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


@register.simple_tag
def channel_chart(dashboard, measure: str, title: str):
    """The dashboard's stacked bars per day and channel, for `measure` (orders or revenue)."""
    labels = [row["day"].strftime("%d/%m") for row in dashboard.chart]
    series = [
        Series(
            key,
            str(label),
            [row["channels"].get(key, {}).get(measure, 0) for row in dashboard.chart],
        )
        for key, label in dashboard.channels
    ]
    totals = ", ".join(
        f"{s.label} {sum(s.values):,}".replace(",", ".") for s in series if sum(s.values)
    )
    summary = _("%(title)s: %(totals)s.") % {"title": title, "totals": totals or _("nothing yet")}
    return stacked_bars(labels=labels, series=series, title=title, summary=summary)


@register.simple_tag
def chart_table(dashboard, measure: str):
    """The chart's figures as a table (days down, channels across), built here rather than in
    template loops: it is the dashboard's biggest piece."""
    channels = dashboard.channels
    show = format_vnd if measure == "revenue" else intcomma
    head = format_html_join(
        "", '<th scope="col" class="money">{}</th>', ((label,) for _k, label in channels)
    )
    rows = format_html_join(
        "",
        '<tr><th scope="row">{}</th>{}</tr>',
        (
            (
                formats.date_format(row["day"], "SHORT_DATE_FORMAT"),
                format_html_join(
                    "",
                    '<td class="money">{}</td>',
                    ((show(row["channels"].get(key, {}).get(measure, 0)),) for key, _l in channels),
                ),
            )
            for row in dashboard.chart
        ),
    )
    return format_html(
        '<details class="small"><summary>{}</summary><div class="table-responsive">'
        '<table class="table table-sm mb-0" data-chart-table="{}"><thead><tr><th scope="col">{}'
        "</th>{}</tr></thead><tbody>{}</tbody></table></div></details>",
        _("The figures as a table"),
        measure,
        _("Day"),
        head,
        rows,
    )


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
