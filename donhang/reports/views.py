"""Report pages, each with date range, channel and warehouse filters and an .xlsx export of
what the page shows (`?format=xlsx`)."""

from __future__ import annotations

from datetime import date, timedelta

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import pgettext
from django.views.decorators.http import require_GET, require_http_methods

from donhang.accounts.decorators import permission_required_403
from donhang.core.errors import DomainError, ValidationFailed
from donhang.orders.models import Channel
from donhang.reports import charts, exports, selectors, services
from donhang.reports.access import Access
from donhang.reports.definitions import DEFINITIONS
from donhang.reports.periods import month_start, today, week_start
from donhang.reports.tables import (
    SALES_TITLES,
    Table,
    cod_tables,
    inventory_tables,
    purchases_tables,
    returns_tables,
    sales_tables,
    shipping_tables,
)

REPORTS = [
    # (url name, title, who may open it)
    ("reports:sales", _("Sales by day, product, channel and customer"), lambda a: True),
    ("reports:inventory", _("Inventory value and movements"), lambda a: a.stock),
    ("reports:purchases", _("Purchases by supplier"), lambda a: a.purchases),
    ("reports:returns", _("Returns by reason"), lambda a: a.returns),
    ("reports:cod", _("COD reconciliation"), lambda a: a.cod),
    ("reports:shipping", _("Shipping fees by carrier"), lambda a: a.shipping),
]


def _presets(day: date) -> list[tuple[str, date, date]]:
    last_month_end = month_start(day) - timedelta(days=1)
    return [
        (_("Today"), day, day),
        (_("Yesterday"), day - timedelta(days=1), day - timedelta(days=1)),
        (_("This week"), week_start(day), day),
        (_("This month"), month_start(day), day),
        (_("Last month"), month_start(last_month_end), last_month_end),
        (_("Last 30 days"), day - timedelta(days=29), day),
        (_("This year"), day.replace(month=1, day=1), day),
        (_("Last 12 months"), day - timedelta(days=364), day),
    ]


def _filters(request):
    try:
        return selectors.filters_parse(request.GET), {}
    except ValidationFailed as exc:
        return selectors.default_filters(), exc.fields


def _about(title, filters, access: Access, extra=()) -> list[tuple[str, object]]:
    warehouses = {w.pk: w for w in selectors.warehouse_choices()}
    about = [
        (_("Report"), title),
        (pgettext("date range", "From"), filters.date_from),
        (pgettext("date range", "To"), filters.date_to),
        (_("Channel"), dict(Channel.choices).get(filters.channel, _("All channels"))),
        (
            _("Warehouse"),
            str(warehouses[filters.warehouse])
            if filters.warehouse in warehouses
            else _("All warehouses"),
        ),
        (_("Figures complete to"), selectors.complete_to()),
    ]
    if access.money:
        about.append((_("Revenue"), DEFINITIONS["revenue"]))
        about.append((_("Net revenue"), DEFINITIONS["net_revenue"]))
    if access.margin:
        about.append((_("Margin"), DEFINITIONS["margin"]))
    return about + list(extra)


def _render(request, *, template, title, filters, errors, tables: list[Table], access, extra=None):
    if request.GET.get("format") == "xlsx":
        content = exports.workbook(
            title=str(title), about=_about(title, filters, access), tables=tables
        )
        response = HttpResponse(content, content_type=exports.CONTENT_TYPE)
        slug = request.resolver_match.url_name.replace("_", "-")
        name = f"{slug}-{filters.date_from:%Y%m%d}-{filters.date_to:%Y%m%d}.xlsx"
        response["Content-Disposition"] = f'attachment; filename="{name}"'
        return response
    query = request.GET.copy()
    query["format"] = "xlsx"
    query.pop("page", None)
    context = {
        "title": title,
        "filters": filters,
        "filter_errors": errors,
        "tables": tables,
        "access": access,
        "definitions": DEFINITIONS,
        "complete_to": selectors.complete_to(),
        "presets": _presets(today()),
        "channels": Channel.choices,
        "warehouses": selectors.warehouse_choices(),
        "export_query": query.urlencode(),
        "reports": _report_links(access),
        **(extra or {}),
    }
    return render(request, template, context)


def _report_links(access: Access) -> list[tuple[str, str]]:
    return [(name, title) for name, title, allowed in REPORTS if allowed(access)]


@login_required
@require_GET
def index(request):
    access = Access.of(request.user)
    return render(
        request,
        "reports/index.html",
        {
            "reports": _report_links(access),
            "access": access,
            "definitions": DEFINITIONS,
            "complete_to": selectors.complete_to(),
        },
    )


def _page_number(request) -> int:
    try:
        return max(min(int(request.GET.get("page", "1")), 10**6), 1)
    except ValueError:
        return 1


@login_required
@require_GET
def sales(request):
    access = Access.of(request.user)
    if not request.user.has_perm("orders.view_order"):
        raise PermissionDenied
    group = request.GET.get("by", "day")
    if group not in selectors.GROUPS:
        group = "day"
    if group == "customer" and not access.customers:
        raise PermissionDenied
    filters, errors = _filters(request)
    report = selectors.sales_report(
        filters=filters,
        group=group,
        access=access,
        page=_page_number(request),
        everything=request.GET.get("format") == "xlsx",
    )
    tables = sales_tables(report, access)
    return _render(
        request,
        template="reports/sales.html",
        title=SALES_TITLES[group],
        filters=filters,
        errors=errors,
        tables=tables,
        access=access,
        extra={
            "report": report,
            "group": group,
            "groups": [
                (g, SALES_TITLES[g])
                for g in selectors.GROUPS
                if g != "customer" or access.customers
            ],
            "chart": _sales_chart(report, access),
        },
    )


def _sales_chart(report, access: Access):
    money = access.money
    measure = "revenue" if money else "orders"
    label = _("Revenue") if money else _("Orders")
    if report.group == "day":
        if not report.chart:
            return None
        labels = [row["label"].strftime("%d/%m") for row in report.chart]
        values = [row.get(measure, 0) for row in report.chart]
        total = sum(values)
        return charts.stacked_bars(
            labels=labels,
            series=[charts.Series(measure, str(label), values)],
            title=f"{label} · {SALES_TITLES['day']}",
            summary=_("%(measure)s per day from %(first)s to %(last)s, %(total)s in all.")
            % {
                "measure": label,
                "first": report.filters.date_from.strftime("%d/%m/%Y"),
                "last": report.filters.date_to.strftime("%d/%m/%Y"),
                "total": f"{total:,}".replace(",", "."),
            },
        )
    rows = [
        (row.get("channel_label") or row.get("label") or "", row.get(measure, 0))
        for row in report.chart
    ]
    if not rows:
        return None
    return charts.horizontal_bars(
        rows=rows,
        title=f"{label} · {SALES_TITLES[report.group]}",
        summary=_("%(measure)s: %(rows)s.")
        % {
            "measure": label,
            "rows": "; ".join(f"{name} {value:,}".replace(",", ".") for name, value in rows),
        },
    )


def _simple(request, *, allowed: bool, title, build, template="reports/report.html"):
    if not allowed:
        raise PermissionDenied
    access = Access.of(request.user)
    filters, errors = _filters(request)
    tables, extra = build(filters, access)
    return _render(
        request,
        template=template,
        title=title,
        filters=filters,
        errors=errors,
        tables=tables,
        access=access,
        extra=extra,
    )


@login_required
@require_GET
def inventory(request):
    def build(filters, access):
        report = selectors.inventory_report(filters=filters, access=access)
        return inventory_tables(report, access), {"no_channel": True}

    return _simple(
        request,
        allowed=Access.of(request.user).stock,
        title=_("Inventory value and movements"),
        build=build,
    )


@login_required
@require_GET
def purchases(request):
    def build(filters, access):
        rows = selectors.purchases_report(filters=filters, access=access)
        return purchases_tables(rows, selectors.purchases_total(rows), access), {"no_channel": True}

    return _simple(
        request,
        allowed=Access.of(request.user).purchases,
        title=_("Purchases by supplier"),
        build=build,
    )


@login_required
@require_GET
def returns(request):
    def build(filters, access):
        rows = selectors.returns_report(filters=filters, access=access)
        chart = None
        if rows:
            chart = charts.horizontal_bars(
                rows=[(str(r["label"]), r["units"]) for r in rows],
                title=str(_("Returned units by reason")),
                summary="; ".join(f"{r['label']}: {r['units']}" for r in rows),
            )
        return returns_tables(rows, access), {"chart": chart}

    return _simple(
        request,
        allowed=Access.of(request.user).returns,
        title=_("Returns by reason"),
        build=build,
    )


@login_required
@require_GET
def cod(request):
    def build(filters, access):
        return cod_tables(selectors.cod_report(filters=filters, access=access), access), {}

    return _simple(
        request, allowed=Access.of(request.user).cod, title=_("COD reconciliation"), build=build
    )


@login_required
@require_GET
def shipping(request):
    def build(filters, access):
        rows = selectors.shipping_fees_report(filters=filters, access=access)
        return shipping_tables(rows, access), {}

    return _simple(
        request,
        allowed=Access.of(request.user).shipping,
        title=_("Shipping fees by carrier"),
        build=build,
    )


@permission_required_403("reports.change_reportsettings")
@require_http_methods(["GET", "POST"])
def report_settings(request):
    row = services.report_settings_get()
    errors = {}
    if request.method == "POST":
        try:
            services.report_settings_update(
                daily_email=request.POST.get("daily_email") == "on",
                daily_email_hour=request.POST.get("daily_email_hour", ""),
                actor=request.user,
            )
        except DomainError as exc:
            errors = exc.fields or {"daily_email_hour": exc.message}
        else:
            messages.success(request, _("Report settings saved."))
            return redirect("reports:settings")
    return render(
        request,
        "reports/settings.html",
        {
            "row": row,
            "errors": errors,
            "owners": services.owner_addresses(),
            "hours": range(24),
        },
        status=422 if errors else 200,
    )
