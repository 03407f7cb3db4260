"""The lines editor of purchase orders and receipts: product search, rows, totals."""

from __future__ import annotations

from django.http import HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from donhang.accounts.decorators import permission_required_403
from donhang.core.errors import DomainError
from donhang.core.money import VatRate, round_vnd, vat_decimal
from donhang.purchasing import selectors
from donhang.purchasing.forms import (
    LineRow,
)
from donhang.purchasing.views._common import _can_view_cost, _hide_prices, _int_or_none

# --- htmx: product search and line rows ------------------------------------------------------

ROW_TEMPLATES = {
    "po": "purchasing/partials/po_line_row.html",
    "receipt": "purchasing/partials/receipt_line_row.html",
}


@permission_required_403("purchasing.view_supplier")
@require_GET
def variant_search(request):
    q = request.GET.get("q") or request.GET.get("variant_q") or ""
    mode = request.GET.get("mode", "po")
    return render(
        request,
        "purchasing/partials/variant_results.html",
        {
            "results": selectors.purchasing_variant_search(
                q=q, supplier_id=_int_or_none(request.GET.get("supplier"))
            ),
            "q": q.strip(),
            "mode": mode,
            "add_url": request.GET.get("add_url", ""),
        },
    )


@permission_required_403("purchasing.view_supplier")
@require_GET
def line_row(request):
    mode = request.GET.get("mode", "po")
    variant_id = _int_or_none(request.GET.get("variant"))
    if mode not in ROW_TEMPLATES or variant_id is None:
        return HttpResponse(status=400)
    variant = selectors.purchasing_variants(
        variant_ids=[variant_id], supplier_id=_int_or_none(request.GET.get("supplier"))
    ).get(variant_id)
    if variant is None:
        return HttpResponse(status=404)
    row = LineRow(variant_id=variant_id, quantity=1, variant=variant)
    _default_prices([row], mode)
    if not _can_view_cost(request):
        _hide_prices([row])
    return render(request, ROW_TEMPLATES[mode], {"row": row, "vat_choices": VatRate.choices})


def _attach_variants(rows: list[LineRow], supplier_id: int | None) -> None:
    variants = selectors.purchasing_variants(
        variant_ids=[r.variant_id for r in rows], supplier_id=supplier_id
    )
    for row in rows:
        row.variant = variants.get(row.variant_id)


def _default_prices(rows: list[LineRow], mode: str) -> None:
    """A new row's price: the supplier's last price (purchase order) or the cost (receipt)."""
    for row in rows:
        if row.variant is None:
            continue
        if row.unit_price is None and not row.raw_price:
            row.unit_price = row.variant.default_price if mode == "po" else row.variant.cost_price
            row.raw_price = str(row.unit_price)
        if not row.vat_rate:
            row.vat_rate = row.variant.vat_rate
        if not row.raw_quantity:
            row.raw_quantity = str(row.quantity)


def _rows_with_added(request, rows: list[LineRow], supplier_id, mode: str) -> list[LineRow]:
    """The form without JavaScript: "Add" on a search result adds a row (or one more unit)."""
    added = _int_or_none(request.POST.get("add_variant"))
    if added:
        for row in rows:
            if row.variant_id == added:
                row.quantity += 1
                row.raw_quantity = str(row.quantity)
                break
        else:
            rows.append(LineRow(variant_id=added, quantity=1))
    _attach_variants(rows, supplier_id)
    rows = [r for r in rows if r.variant is not None]
    _default_prices(rows, mode)
    return rows


def _place_line_errors(exc: DomainError, sent: list[LineRow], line_errors: list[str]) -> bool:
    """Put `lines.<i>.<field>` errors on the rows sent to the service; True if any was placed."""
    placed = False
    for key, reason in exc.fields.items():
        parts = key.split(".")
        if parts[0] == "lines" and len(parts) >= 2 and parts[1].isdigit():
            index = int(parts[1])
            if index < len(sent):
                sent[index].errors.append(reason)
                placed = True
        elif key == "lines":
            line_errors.append(reason)
            placed = True
    return placed


def _totals(rows: list[LineRow]) -> dict[str, int]:
    goods = vat = 0
    for row in rows:
        if row.errors or not row.quantity:
            continue
        amount = row.quantity * (row.unit_price or 0)
        goods += amount
        vat += round_vnd(amount * vat_decimal(row.vat_rate or VatRate.TEN))
    return {"goods_total": goods, "vat_total": vat, "total": goods + vat}
