"""Inventory value pages."""

from django.http import HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_GET

from donhang.accounts.decorators import permission_required_403
from donhang.inventory import exports, selectors
from donhang.inventory.views._common import _int_or_none

# --- inventory value -------------------------------------------------------------------------


@permission_required_403("catalog.view_cost")
@require_GET
def inventory_value(request):
    """Stock value at cost per warehouse; `?warehouse=` adds that warehouse's categories."""
    value = selectors.inventory_value()
    warehouse_id = _int_or_none(request.GET.get("warehouse"))
    selected = next((row.key for row in value.rows if row.key.pk == warehouse_id), None)
    by_category = (
        selectors.inventory_value_by_category(warehouse=selected) if selected is not None else None
    )
    return render(
        request,
        "inventory/inventory_value.html",
        {"value": value, "selected": selected, "by_category": by_category},
    )


@permission_required_403("catalog.view_cost")
@require_GET
def inventory_value_export(request):
    """The same figures as an .xlsx: a summary sheet, then one sheet per warehouse."""
    content = exports.inventory_value_xlsx(value=selectors.inventory_value())
    response = HttpResponse(
        content,
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )
    filename = f"inventory-value-{timezone.localdate():%Y-%m-%d}.xlsx"
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response
