"""Stocktake pages: the count sheet (typed, imported or scanned), review, post."""

import csv
import zipfile

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db import transaction
from django.db.models import Q
from django.http import Http404, JsonResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.utils.formats import number_format
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET, require_POST
from openpyxl.utils.exceptions import InvalidFileException

from donhang.accounts.decorators import permission_required_403
from donhang.catalog.models import Variant
from donhang.core.errors import DomainError, NotFound
from donhang.inventory import selectors, stocktakes
from donhang.inventory.forms import (
    StocktakeForm,
    StocktakeImportForm,
    parse_counts,
)
from donhang.inventory.models import Stocktake, StocktakeLine
from donhang.inventory.views._common import PAGE_SIZE, _int_or_none

# --- stocktakes ------------------------------------------------------------------------------

SHEET_PAGE_SIZE = 100


def _stocktake_or_404(code: str):
    try:
        return selectors.stocktake_get(code=code)
    except NotFound as error:
        raise Http404(error.message) from None


@permission_required_403("inventory.view_stocktake")
@require_GET
def stocktake_list(request):
    status = request.GET.get("status", "")
    if status not in Stocktake.Status.values:
        status = ""
    warehouse_id = _int_or_none(request.GET.get("warehouse"))
    page_obj = Paginator(
        selectors.stocktake_list(status=status, warehouse_id=warehouse_id), PAGE_SIZE
    ).get_page(request.GET.get("page"))
    return render(
        request,
        "inventory/stocktake_list.html",
        {"page_obj": page_obj, "status": status, "statuses": Stocktake.Status.choices},
    )


@permission_required_403("inventory.add_stocktake")
def stocktake_create(request):
    initial = {}
    if request.method == "GET" and _int_or_none(request.GET.get("warehouse")):
        initial["warehouse"] = _int_or_none(request.GET.get("warehouse"))
    form = StocktakeForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            stocktake = stocktakes.stocktake_create(**form.cleaned_data, actor=request.user)
        except DomainError as error:
            form.add_domain_error(error)
        else:
            messages.success(
                request,
                _(
                    "Count sheet %(code)s is ready: each line expects what is on hand when it "
                    "is counted."
                )
                % {"code": stocktake.code},
            )
            return redirect("inventory:stocktake_sheet", code=stocktake.code)
    return render(request, "inventory/stocktake_form.html", {"form": form})


def _sheet_query(request) -> tuple[str, str]:
    show = request.GET.get("show", "")
    return (show if show in selectors.SHEET_FILTERS else ""), request.GET.get("q", "").strip()


def _decorate_line(line, *, typed=None, error=None):
    line.input_value = typed if error else ("" if line.counted is None else line.counted)
    line.error = error
    return line


@permission_required_403("inventory.view_stocktake")
def stocktake_sheet(request, code: str):
    """The count sheet: expected (on hand when made, then when counted), counted, variance. The form saves the counts of the
    lines on the page; with htmx each row saves itself when it changes."""
    stocktake = _stocktake_or_404(code)
    show, search = _sheet_query(request)
    lines = selectors.stocktake_sheet_lines(stocktake=stocktake, show=show, search=search)
    page_obj = Paginator(lines, SHEET_PAGE_SIZE).get_page(request.GET.get("page"))
    errors: dict[int, str] = {}
    if request.method == "POST":
        if not request.user.has_perm("inventory.count_stocktake"):
            raise PermissionDenied
        line_ids = [_int_or_none(v) for v in request.POST.getlist("line")]
        counts, errors = parse_counts(request.POST, [i for i in line_ids if i is not None])
        if not errors:
            try:
                stocktakes.stocktake_count(stocktake=stocktake, counts=counts, actor=request.user)
            except DomainError as error:
                messages.error(request, error.message)
                errors = {
                    _int_or_none(key.split(".", 1)[1]): reason
                    for key, reason in error.fields.items()
                    if key.startswith("counts.")
                }
            else:
                saved = sum(1 for c in counts.values() if c is not None)
                messages.success(
                    request,
                    ngettext("%(n)d count saved.", "%(n)d counts saved.", saved) % {"n": saved},
                )
                return redirect(f"{request.path}?{request.GET.urlencode()}")
        else:
            messages.error(request, _("Some counts are not valid; nothing was saved."))
    for line in page_obj.object_list:
        _decorate_line(
            line, typed=request.POST.get(f"count_{line.pk}", ""), error=errors.get(line.pk)
        )
    return render(
        request,
        "inventory/stocktake_sheet.html",
        {
            "stocktake": stocktake,
            "page_obj": page_obj,
            "show": show,
            "search": search,
            "editable": stocktake.status == Stocktake.Status.COUNTING
            and request.user.has_perm("inventory.count_stocktake"),
        },
        status=422 if errors else 200,
    )


@permission_required_403("inventory.count_stocktake")
@require_POST
def stocktake_count_line(request, code: str, line_id: int):
    """htmx: save one row's count and answer the row again (with its error, if any)."""
    stocktake = _stocktake_or_404(code)
    line = selectors.stocktake_sheet_lines(stocktake=stocktake).filter(pk=line_id).first()
    if line is None:
        raise Http404(_("Not a line of this stocktake."))
    counts, errors = parse_counts(request.POST, [line.pk])
    error = errors.get(line.pk)
    if error is None and line.pk in counts:
        try:
            stocktakes.stocktake_count(stocktake=stocktake, counts=counts, actor=request.user)
        except DomainError as exc:
            error = exc.fields.get(f"counts.{line.pk}", exc.message)
        else:
            line.counted = counts[line.pk]
    _decorate_line(line, typed=request.POST.get(f"count_{line.pk}", ""), error=error)
    return render(
        request,
        "inventory/partials/stocktake_line_row.html",
        {"line": line, "stocktake": stocktake, "editable": True, "saved": error is None},
    )


@permission_required_403("inventory.count_stocktake")
@require_POST
def stocktake_scan(request, code: str):
    """Scan mode: one scan of a SKU or barcode counts one more unit on its line. Answers JSON
    with the row again; an unknown code (or one not on this sheet) answers 404 and says so."""
    stocktake = _stocktake_or_404(code)
    scanned = (request.POST.get("code") or "").strip()[:64]
    lines = StocktakeLine.objects.filter(stocktake=stocktake).filter(
        Q(variant__barcode=scanned) | Q(variant__sku=scanned)
    )
    try:
        with transaction.atomic():
            # The line is locked from reading its count to writing count + 1: two scanners on
            # one sheet lose no scan.
            line = lines.select_for_update().order_by("pk").first() if scanned else None
            if line is None:
                known = (
                    scanned and Variant.objects.filter(Q(barcode=scanned) | Q(sku=scanned)).exists()
                )
                message = (
                    _("%(code)s is not on this count sheet.")
                    if known
                    else _("Unknown code: %(code)s")
                ) % {"code": scanned or "—"}
                return JsonResponse({"ok": False, "message": message}, status=404)
            counted = (line.counted or 0) + 1
            stocktakes.stocktake_count(
                stocktake=stocktake, counts={line.pk: counted}, actor=request.user
            )
    except DomainError as exc:
        return JsonResponse({"ok": False, "message": exc.message}, status=exc.status_code)
    line = selectors.stocktake_sheet_lines(stocktake=stocktake).get(pk=line.pk)
    _decorate_line(line)
    row = render_to_string(
        "inventory/partials/stocktake_line_row.html",
        {"line": line, "stocktake": stocktake, "editable": True, "saved": True},
        request=request,
    )
    return JsonResponse(
        {
            "ok": True,
            "line": line.pk,
            "sku": line.variant.sku,
            "counted": line.counted,
            "message": _("%(sku)s: %(counted)s counted")
            % {
                "sku": line.variant.sku,
                "counted": number_format(line.counted, force_grouping=True),
            },
            "row": row,
        }
    )


# Files the service cannot parse at all: not a spreadsheet, not delimited text.
_UNREADABLE_FILE_ERRORS = (
    csv.Error,
    zipfile.BadZipFile,
    InvalidFileException,
    KeyError,
    ValueError,
    OSError,
)


@permission_required_403("inventory.count_stocktake")
def stocktake_import(request, code: str):
    """Counts from a scanner export. All rows are checked first: one bad row, nothing saved,
    and each bad row is listed with its reason."""
    stocktake = _stocktake_or_404(code)
    form = StocktakeImportForm(request.POST or None, request.FILES or None)
    row_errors: list[tuple[str, str]] = []
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            result = stocktakes.stocktake_import(
                stocktake=stocktake, filename=upload.name, content=upload.read(), actor=request.user
            )
        except DomainError as error:
            row_errors = sorted(
                ((key, reason) for key, reason in error.fields.items() if key.startswith("row ")),
                key=lambda item: _int_or_none(item[0][4:]) or 0,
            )
            if "file" in error.fields:
                form.add_error("file", error.fields["file"])
            form.add_error(None, error.message)
        except _UNREADABLE_FILE_ERRORS:
            form.add_error(
                "file", _("This file could not be read; save it as .xlsx or .csv and try again.")
            )
        else:
            messages.success(
                request,
                _("Counts of %(n)d lines imported from %(file)s.")
                % {"n": result["lines"], "file": upload.name},
            )
            return redirect("inventory:stocktake_sheet", code=stocktake.code)
    return render(
        request,
        "inventory/stocktake_import.html",
        {"stocktake": stocktake, "form": form, "row_errors": row_errors},
        status=422 if form.errors else 200,
    )


@permission_required_403("inventory.view_stocktake")
@require_GET
def stocktake_review(request, code: str):
    stocktake = _stocktake_or_404(code)
    return render(
        request,
        "inventory/stocktake_review.html",
        {"stocktake": stocktake, "review": selectors.stocktake_review(stocktake=stocktake)},
    )


@permission_required_403("inventory.post_stocktake")
@require_POST
def stocktake_post(request, code: str):
    stocktake = _stocktake_or_404(code)
    try:
        movements = stocktakes.stocktake_post(stocktake=stocktake, actor=request.user)
    except DomainError as error:
        messages.error(request, error.message)
        return redirect("inventory:stocktake_review", code=stocktake.code)
    messages.success(
        request,
        _("Stocktake %(code)s posted: %(n)d stock corrections written.")
        % {"code": stocktake.code, "n": len(movements)},
    )
    return redirect("inventory:stocktake_sheet", code=stocktake.code)


@permission_required_403("inventory.add_stocktake")
@require_POST
def stocktake_cancel(request, code: str):
    stocktake = _stocktake_or_404(code)
    try:
        stocktakes.stocktake_cancel(stocktake=stocktake, actor=request.user)
    except DomainError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, _("Stocktake %(code)s cancelled.") % {"code": stocktake.code})
    return redirect("inventory:stocktake_sheet", code=stocktake.code)


@permission_required_403("inventory.view_stocktake")
@require_GET
def stocktake_print(request, code: str):
    """The count sheet on paper: every line, an empty box to write the count in."""
    stocktake = _stocktake_or_404(code)
    lines = selectors.stocktake_sheet_lines(stocktake=stocktake, show=_sheet_query(request)[0])
    return render(
        request, "inventory/stocktake_print.html", {"stocktake": stocktake, "lines": lines}
    )
