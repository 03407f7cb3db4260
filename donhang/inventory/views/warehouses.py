"""Warehouse pages: list, form, detail, a variant's stock, low stock, channel rules."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404, HttpResponseBadRequest
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from donhang.catalog.models import Variant
from donhang.core.errors import DomainError, NotFound
from donhang.inventory import selectors, services
from donhang.inventory.forms import (
    ChannelRuleForm,
    StockAdjustForm,
    WarehouseForm,
)
from donhang.inventory.models import Warehouse
from donhang.inventory.views._common import PAGE_SIZE, _int_or_none


def _warehouse_or_404(pk: int):
    try:
        return selectors.warehouse_get(pk=pk)
    except NotFound:
        raise Http404 from None


@login_required
@permission_required("inventory.view_warehouse", raise_exception=True)
def warehouse_list(request):
    warehouses = list(selectors.warehouse_list())
    return render(request, "inventory/warehouse_list.html", {"warehouses": warehouses})


@login_required
@permission_required("inventory.add_warehouse", raise_exception=True)
def warehouse_create(request):
    form = WarehouseForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            warehouse = services.warehouse_create(**form.service_arguments(), actor=request.user)
        except DomainError as error:
            form.add_domain_error(error)
        else:
            messages.success(request, _("Warehouse %(name)s created.") % {"name": warehouse.name})
            return redirect("inventory:warehouse_detail", pk=warehouse.pk)
    return render(request, "inventory/warehouse_form.html", {"form": form, "warehouse": None})


@login_required
@permission_required("inventory.change_warehouse", raise_exception=True)
def warehouse_edit(request, pk: int):
    warehouse = _warehouse_or_404(pk)
    form = WarehouseForm(request.POST or None, initial=WarehouseForm.initial_for(warehouse))
    if request.method == "POST" and form.is_valid():
        try:
            warehouse = services.warehouse_update(
                warehouse=warehouse, **form.service_arguments(), actor=request.user
            )
        except DomainError as error:
            form.add_domain_error(error)
        else:
            messages.success(request, _("Warehouse %(name)s saved.") % {"name": warehouse.name})
            return redirect("inventory:warehouse_detail", pk=warehouse.pk)
    return render(request, "inventory/warehouse_form.html", {"form": form, "warehouse": warehouse})


@login_required
@permission_required("inventory.change_warehouse", raise_exception=True)
@require_POST
def warehouse_set_active(request, pk: int):
    warehouse = get_object_or_404(Warehouse, pk=pk)
    activate = request.POST.get("is_active") == "1"
    try:
        services.warehouse_set_active(warehouse=warehouse, is_active=activate, actor=request.user)
    except DomainError as error:
        messages.error(request, error.message)
    else:
        if activate:
            messages.success(request, _("Warehouse %(name)s is active.") % {"name": warehouse})
        else:
            messages.success(request, _("Warehouse %(name)s is deactivated.") % {"name": warehouse})
    return redirect("inventory:warehouse_detail", pk=warehouse.pk)


@login_required
@permission_required("inventory.view_warehouse", raise_exception=True)
def warehouse_detail(request, pk: int):
    warehouse = _warehouse_or_404(pk)
    search = request.GET.get("q", "").strip()
    page_obj = None
    if request.user.has_perm("inventory.view_stocklevel"):
        levels = selectors.warehouse_stock_levels(warehouse=warehouse, search=search)
        page_obj = Paginator(levels, PAGE_SIZE).get_page(request.GET.get("page"))
    context = {"warehouse": warehouse, "page_obj": page_obj, "search": search}
    if request.htmx and request.htmx.target == "stock-table":
        return render(request, "inventory/partials/warehouse_stock_table.html", context)
    return render(request, "inventory/warehouse_detail.html", context)


def _variant_stock_context(variant, request) -> dict:
    rows = selectors.variant_stock_levels(variant=variant)
    page_obj = None
    if request.user.has_perm("inventory.view_stockmovement"):
        movements = selectors.variant_movements(variant=variant)
        page_obj = Paginator(movements, PAGE_SIZE).get_page(request.GET.get("page"))
    totals = {
        "on_hand": sum(row.on_hand for row in rows),
        "reserved": sum(row.reserved for row in rows),
        "returned": sum(row.returned for row in rows),
    }
    totals["available"] = totals["on_hand"] - totals["reserved"]
    return {"variant": variant, "rows": rows, "totals": totals, "page_obj": page_obj}


@login_required
@permission_required("inventory.view_stocklevel", raise_exception=True)
def variant_stock(request, pk: int):
    """The variant's stock per warehouse and its ledger; managers post adjustments here."""
    variant = get_object_or_404(Variant.objects.select_related("product"), pk=pk)
    can_adjust = request.user.has_perm("inventory.add_stockmovement")
    adjust_form = None
    if request.method == "POST":
        if not can_adjust:
            raise PermissionDenied
        adjust_form = StockAdjustForm(request.POST)
        if adjust_form.is_valid():
            data = adjust_form.cleaned_data
            try:
                services.stock_adjust(
                    variant=variant,
                    warehouse=data["warehouse"],
                    delta=data["delta"],
                    reason=data["reason"],
                    actor=request.user,
                )
            except DomainError as error:
                adjust_form.add_domain_error(error)
            else:
                messages.success(
                    request,
                    _("Stock of %(sku)s in %(warehouse)s changed by %(delta)+d.")
                    % {"sku": variant.sku, "warehouse": data["warehouse"], "delta": data["delta"]},
                )
                return redirect("inventory:variant_stock", pk=variant.pk)
    elif can_adjust:
        adjust_form = StockAdjustForm()
    context = _variant_stock_context(variant, request)
    context["adjust_form"] = adjust_form
    return render(request, "inventory/variant_stock.html", context)


@login_required
@permission_required("inventory.view_stocklevel", raise_exception=True)
@require_GET
def low_stock(request):
    """Variants at or below their low-stock threshold, optionally judged in one warehouse."""
    page = selectors.low_stock_page(
        warehouse_id=_int_or_none(request.GET.get("warehouse")),
        page=request.GET.get("page"),
    )
    return render(request, "inventory/low_stock.html", {"low": page, "page_obj": page.page_obj})


@login_required
@permission_required("inventory.change_warehouse", raise_exception=True)
def channel_rules(request):
    """Per sales channel: how its new orders choose the warehouses they reserve from."""
    rows, warehouses = selectors.channel_rule_list(), list(selectors.warehouse_list(active=True))
    bound_channel = request.POST.get("channel") if request.method == "POST" else None
    if bound_channel is not None and bound_channel not in {row.channel for row in rows}:
        return HttpResponseBadRequest(_("Unknown channel."))
    forms = []
    for row in rows:
        if row.channel == bound_channel:
            form = ChannelRuleForm(request.POST, prefix=row.channel, warehouses=warehouses)
            if form.is_valid():
                try:
                    services.channel_rule_set(
                        channel=row.channel,
                        strategy=form.cleaned_data["strategy"],
                        warehouse_ids=form.cleaned_data["warehouses"],
                        actor=request.user,
                    )
                except DomainError as error:
                    form.add_domain_error(error)
                else:
                    messages.success(
                        request, _("Rule for %(channel)s saved.") % {"channel": row.label}
                    )
                    return redirect(f"{reverse('inventory:channel_rules')}#rule-{row.channel}")
        else:
            form = ChannelRuleForm(
                prefix=row.channel,
                warehouses=warehouses,
                initial={"strategy": row.strategy, "warehouses": row.warehouse_ids},
            )
        forms.append((row, form))
    return render(request, "inventory/channel_rules.html", {"forms": forms})
