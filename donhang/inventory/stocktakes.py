"""Stocktake services: make a count sheet, enter or import counts (each line remembers what was
on hand at its count), review variances, post them as stocktake movements (once)."""

from __future__ import annotations

import csv
import io

from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from donhang.catalog.models import Category, Variant
from donhang.core import hooks
from donhang.core.audit import actor_user, audit
from donhang.core.errors import Conflict, ValidationFailed
from donhang.core.permissions import require_perm
from donhang.core.spreadsheet import (
    SpreadsheetRefused,
    SpreadsheetUnreadable,
    check_size,
    check_xlsx,
    imported_text,
    limited_rows,
)
from donhang.core.text import fold
from donhang.inventory.models import StockLevel, StockMovement, Stocktake, StocktakeLine, Warehouse
from donhang.inventory.services import (
    MAX_QUANTITY,
    MovementLine,
    code_lookup,
    stock_movements_post,
    text_clean,
)

# How often posting re-reads the stock when orders reserve it while their reservations are being
# taken back (stock_movements_post refuses a count below what stays reserved).
_POST_ATTEMPTS = 3


@transaction.atomic
def stocktake_create(
    *, warehouse: Warehouse, category: Category | None = None, note: str = "", actor=None
) -> Stocktake:
    """A count sheet for every active variant (of the category and its subcategories) with its
    on-hand quantity in the warehouse now as the expected quantity (taken again when each line
    is counted)."""
    require_perm(actor, "inventory.add_stocktake")
    note = text_clean(note, field="note")
    # One count per warehouse at a time: two overlapping counts would post a variance twice.
    # The warehouse row is locked so that two people starting at once cannot both pass the check.
    Warehouse.objects.select_for_update().filter(pk=warehouse.pk).first()
    if Stocktake.objects.filter(warehouse=warehouse, status=Stocktake.Status.COUNTING).exists():
        raise Conflict(
            _("A count of this warehouse is already in progress; finish or cancel it first."),
            fields={"warehouse": _("Count in progress.")},
            code="stocktake_in_progress",
        )
    variants = Variant.objects.filter(is_active=True)
    if category is not None:
        variants = variants.filter(
            Q(product__category=category) | Q(product__category__path__startswith=category.path)
        )
    on_hand = dict(
        StockLevel.objects.filter(warehouse=warehouse).values_list("variant_id", "on_hand")
    )
    ids = set(variants.values_list("pk", flat=True))
    if category is None:
        # Variants deactivated while still holding stock here need counting too.
        ids |= {vid for vid, qty in on_hand.items() if qty}
    stocktake = Stocktake.objects.create(
        warehouse=warehouse, category=category, note=note or "", created_by=actor_user(actor)
    )
    stocktake.code = f"ST{stocktake.pk:06d}"
    Stocktake.objects.filter(pk=stocktake.pk).update(code=stocktake.code)
    StocktakeLine.objects.bulk_create(
        [
            StocktakeLine(stocktake=stocktake, variant_id=vid, expected=on_hand.get(vid, 0))
            for vid in sorted(ids)
        ],
        batch_size=500,
    )
    audit(
        actor=actor,
        action="stocktake.create",
        obj=stocktake,
        summary=f"{stocktake.code} {warehouse.code}",
    )
    return stocktake


def _open(stocktake: Stocktake) -> Stocktake:
    stocktake = Stocktake.objects.select_for_update().get(pk=stocktake.pk)
    if stocktake.status != Stocktake.Status.COUNTING:
        raise Conflict(
            _("This stocktake was already posted or cancelled."),
            fields={"status": _("Closed.")},
            code="stocktake_closed",
        )
    return stocktake


def _snapshot(stocktake: Stocktake, lines: list[StocktakeLine], counts: dict[int, int | None]):
    """Set the counts of lines and, for each whose count changes, what is on hand now as its
    expected quantity: the variance is then what the shelf differs by at the moment of the count,
    whatever moves in or out while the sheet is open."""
    changed = [ln for ln in lines if ln.pk in counts and counts[ln.pk] != ln.counted]
    on_hand = dict(
        StockLevel.objects.filter(
            warehouse_id=stocktake.warehouse_id, variant_id__in={ln.variant_id for ln in changed}
        ).values_list("variant_id", "on_hand")
    )
    now = timezone.now()
    for ln in changed:
        ln.counted = counts[ln.pk]
        if ln.counted is None:
            ln.counted_at = None
        else:
            ln.expected, ln.counted_at = on_hand.get(ln.variant_id, 0), now
    StocktakeLine.objects.bulk_update(changed, ["counted", "expected", "counted_at"])


@transaction.atomic
def stocktake_count(
    *, stocktake: Stocktake, counts: dict[int, int | None], actor=None
) -> Stocktake:
    """Enter counts: {line id: counted quantity, or None to clear}. A line whose count changes
    takes what is on hand now as its expected quantity."""
    require_perm(actor, "inventory.count_stocktake")
    stocktake = _open(stocktake)
    lines = {ln.pk: ln for ln in stocktake.lines.filter(pk__in=list(counts))}
    errors = {}
    for line_id, counted in counts.items():
        if line_id not in lines:
            errors[f"counts.{line_id}"] = _("Not a line of this stocktake.")
        elif counted is not None and counted < 0:
            errors[f"counts.{line_id}"] = _("Enter 0 or more.")
        elif counted is not None and counted > MAX_QUANTITY:
            errors[f"counts.{line_id}"] = _("Enter at most %(max)s.") % {"max": MAX_QUANTITY}
    if errors:
        raise ValidationFailed(_("Some counts are not valid."), fields=errors)
    _snapshot(stocktake, list(lines.values()), counts)
    return stocktake


def _read_rows(filename: str, content: bytes) -> list[tuple[int, str, str]]:
    """(row number, code, quantity text) from a scanner export: .xlsx or .csv with a header row
    holding a code column (sku or barcode) and a quantity column (counted/quantity/qty/số lượng).

    Cells are read as typed: a formula is its text ("=HYPERLINK(…)"), never its result, so a
    file cannot make a code or a count out of a calculation (DESIGN.md 3.10); our own
    apostrophe before such text is dropped (core.spreadsheet.imported_text)."""
    unreadable = ValidationFailed(
        _("This file cannot be read; export it again as .xlsx or as .csv (UTF-8)."),
        fields={"file": _("Unreadable file.")},
    )
    try:
        if filename.lower().endswith(".xlsx"):
            check_xlsx(content)  # a zip bomb is refused before openpyxl unpacks it
            from openpyxl import load_workbook  # slow to import; only scanner files need it

            try:
                workbook = load_workbook(io.BytesIO(content), read_only=True, data_only=False)
                rows = [
                    ["" if c is None else imported_text(str(c)) for c in row]
                    for row in limited_rows(workbook.active.iter_rows(values_only=True))
                ]
                workbook.close()
            except SpreadsheetRefused:
                raise
            except Exception as exc:  # openpyxl raises many types for a broken file
                raise unreadable from exc
        else:
            check_size(content)
            text = content.decode("utf-8-sig", errors="replace")
            try:
                dialect = (
                    csv.Sniffer().sniff(text[:2000], delimiters=",;\t")
                    if text.strip()
                    else csv.excel
                )
            except csv.Error:
                dialect = csv.excel
            try:
                rows = [
                    [imported_text(c) for c in row]
                    for row in limited_rows(csv.reader(io.StringIO(text), dialect))
                ]
            except csv.Error as exc:
                raise unreadable from exc
    except SpreadsheetUnreadable as exc:
        raise unreadable from exc
    except SpreadsheetRefused as exc:
        raise ValidationFailed(exc.message, fields={"file": exc.message}) from exc
    if not rows:
        return []
    header = [fold(h) for h in rows[0]]
    code_col = next(
        (
            i
            for i, h in enumerate(header)
            if h in ("sku", "barcode", "ma", "ma sku", "ma vach", "code")
        ),
        None,
    )
    qty_col = next(
        (
            i
            for i, h in enumerate(header)
            if h in ("counted", "quantity", "qty", "so luong", "count", "thuc te", "sl")
        ),
        None,
    )
    if code_col is None or qty_col is None:
        raise ValidationFailed(
            _("The file needs a header row with a SKU (or barcode) column and a quantity column."),
            fields={"file": _("Columns not found.")},
        )
    return [
        (
            n,
            (row[code_col] if code_col < len(row) else "").strip(),
            (row[qty_col] if qty_col < len(row) else "").strip(),
        )
        for n, row in enumerate(rows[1:], start=2)
        if any(cell.strip() for cell in row)
    ]


@transaction.atomic
def stocktake_import(*, stocktake: Stocktake, filename: str, content: bytes, actor=None) -> dict:
    """Counts from a file. All rows are checked first; any bad row → nothing saved and a report.
    Scanners often emit one row per scan, so quantities of the same code add up."""
    require_perm(actor, "inventory.count_stocktake")
    stocktake = _open(stocktake)
    lines = list(stocktake.lines.select_related("variant"))
    by_code = {}
    for ln in lines:
        by_code[ln.variant.sku.lower()] = ln
        if ln.variant.barcode:
            by_code.setdefault(ln.variant.barcode.lower(), ln)
    errors: dict[str, str] = {}
    totals: dict[int, int] = {}
    for row, code, qty_text in _read_rows(filename, content):
        key = code_lookup(code)
        line = by_code.get(key.lower()) if key else None
        if line is None:
            errors[f"row {row}"] = _("“%(code)s” is not on this count sheet.") % {"code": code}
            continue
        try:
            number = float(qty_text.strip())
            if not number.is_integer():
                raise ValueError(qty_text)
            qty = int(number)
        except ValueError:
            errors[f"row {row}"] = _("“%(qty)s” is not a quantity.") % {"qty": qty_text}
            continue
        if qty < 0:
            errors[f"row {row}"] = _("Enter 0 or more.")
            continue
        totals[line.pk] = totals.get(line.pk, 0) + qty
        if totals[line.pk] > MAX_QUANTITY:
            errors[f"row {row}"] = _("Enter at most %(max)s.") % {"max": MAX_QUANTITY}
    if errors:
        raise ValidationFailed(
            _("Some rows of the file are not valid; nothing was imported."), fields=errors
        )
    _snapshot(stocktake, lines, totals)
    return {"lines": len(totals)}


def _shortfall(warehouse_id: int, variances: dict[int, int]) -> dict[tuple[int, int], int]:
    """{(variant, warehouse): units reserved beyond what will be on hand after the variances}
    (warehouses allowing negative stock keep their reservations)."""
    short = {}
    for level in StockLevel.objects.filter(
        warehouse_id=warehouse_id, variant_id__in=list(variances), allow_negative=False
    ):
        excess = level.reserved - (level.on_hand + variances[level.variant_id])
        if excess > 0:
            short[(level.variant_id, warehouse_id)] = excess
    return short


@transaction.atomic
def stocktake_post(*, stocktake: Stocktake, actor=None) -> list[StockMovement]:
    """Post every variance (counted − on hand at the count) as a stocktake movement. Uncounted
    lines are left as they are. A stocktake is posted once; posting it again is refused.

    A count below what is reserved posts anyway: the newest open orders give back the units that
    are not there (hook ``stock.shortfall``, served by orders) and wait for stock again; the
    oldest keep theirs. Stock found is offered to waiting orders (hook ``stock.arrived``).
    """
    require_perm(actor, "inventory.post_stocktake")
    stocktake = _open(stocktake)
    lines = [ln for ln in stocktake.lines.all() if ln.counted is not None and ln.variance]
    reason = _("Stocktake %(code)s") % {"code": stocktake.code}
    variances = {ln.variant_id: ln.variance for ln in lines}
    taken_back: set[int] = set()
    for attempt in range(_POST_ATTEMPTS):
        shortfall = _shortfall(stocktake.warehouse_id, variances)
        if shortfall:
            hooks.emit("stock.shortfall", shortfall=shortfall, actor=actor, reason=reason)
            taken_back |= {variant_id for variant_id, _w in shortfall}
        try:
            with transaction.atomic():
                movements = stock_movements_post(
                    lines=[
                        MovementLine(ln.variant_id, stocktake.warehouse_id, ln.variance)
                        for ln in lines
                    ],
                    kind=StockMovement.Kind.STOCKTAKE,
                    reason=reason,
                    actor=actor,
                    reference_type="stocktake",
                    reference_id=str(stocktake.pk),
                    reference_label=stocktake.code,
                )
            break
        except Conflict as exc:
            # An order reserved the same stock meanwhile: take that back too.
            if exc.code != "insufficient_stock" or attempt == _POST_ATTEMPTS - 1:
                raise
    stocktake.status, stocktake.posted_at, stocktake.posted_by = (
        Stocktake.Status.POSTED,
        timezone.now(),
        actor_user(actor),
    )
    stocktake.save(update_fields=["status", "posted_at", "posted_by"])
    audit(
        actor=actor,
        action="stocktake.post",
        obj=stocktake,
        summary=f"{stocktake.code}: {len(movements)} variances",
    )
    # Units taken back beyond what was needed (a reservation released meanwhile) go back to the
    # oldest waiting orders.
    gained = {ln.variant_id for ln in lines if ln.variance > 0} | taken_back
    if gained:
        hooks.emit("stock.arrived", variant_ids=gained, actor=actor)
    return movements


@transaction.atomic
def stocktake_cancel(*, stocktake: Stocktake, actor=None) -> Stocktake:
    require_perm(actor, "inventory.add_stocktake")
    stocktake = _open(stocktake)
    stocktake.status = Stocktake.Status.CANCELLED
    stocktake.save(update_fields=["status"])
    audit(actor=actor, action="stocktake.cancel", obj=stocktake, summary=stocktake.code)
    return stocktake
