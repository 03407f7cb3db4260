"""Warehouse and stock pages. Each view validates, calls one service or selector, renders."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from donhang.catalog.models import Variant
from donhang.core.errors import DomainError, NotFound
from donhang.inventory import selectors, services
from donhang.inventory.forms import WarehouseForm
from donhang.inventory.models import Warehouse

PAGE_SIZE = 50


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


@login_required
@permission_required("inventory.view_stocklevel", raise_exception=True)
def variant_stock(request, pk: int):
    variant = get_object_or_404(Variant.objects.select_related("product"), pk=pk)
    rows = selectors.variant_stock_levels(variant=variant)
    page_obj = None
    if request.user.has_perm("inventory.view_stockmovement"):
        movements = selectors.variant_movements(variant=variant)
        page_obj = Paginator(movements, PAGE_SIZE).get_page(request.GET.get("page"))
    totals = {
        "on_hand": sum(row.on_hand for row in rows),
        "reserved": sum(row.reserved for row in rows),
    }
    totals["available"] = totals["on_hand"] - totals["reserved"]
    return render(
        request,
        "inventory/variant_stock.html",
        {"variant": variant, "rows": rows, "totals": totals, "page_obj": page_obj},
    )
