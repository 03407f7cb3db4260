"""Warehouse and stock pages. Each view validates, calls one service or selector, renders."""

import csv
import zipfile
from dataclasses import dataclass, field

from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse, HttpResponseBadRequest
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views.decorators.http import require_GET, require_POST
from openpyxl.utils.exceptions import InvalidFileException

from donhang.accounts.decorators import permission_required_403
from donhang.catalog.models import Variant
from donhang.core.errors import DomainError, NotFound
from donhang.inventory import exports, selectors, services, stocktakes, transfers
from donhang.inventory.forms import (
    ChannelRuleForm,
    StockAdjustForm,
    StocktakeForm,
    StocktakeImportForm,
    TransferForm,
    TransferReceiveForm,
    WarehouseForm,
    parse_counts,
)
from donhang.inventory.models import Stocktake, Transfer, Warehouse

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


# --- transfers -------------------------------------------------------------------------------


def _transfer_or_404(code: str):
    try:
        return selectors.transfer_get(code=code)
    except NotFound as error:
        raise Http404(error.message) from None


def _int_or_none(value) -> int | None:
    """A whole number from the request, or None; none that no column can hold (a query with one
    fails on the database instead of finding nothing)."""
    value = (value or "").strip() if isinstance(value, str) else value
    try:
        number = int(value)
    except (TypeError, ValueError):
        return None
    return number if abs(number) <= services.BIGGEST_INTEGER else None


@dataclass
class TransferRow:
    """One line of the new-transfer form as typed."""

    variant_id: int
    quantity: str = "1"
    variant: object = None
    errors: list = field(default_factory=list)


def _transfer_rows(data, *, source_id) -> list[TransferRow]:
    rows, seen = [], {}
    for variant_id, quantity in zip(
        data.getlist("line_variant"), data.getlist("line_quantity"), strict=False
    ):
        variant_id = _int_or_none(variant_id)
        if variant_id is None:
            continue
        if variant_id in seen:  # the same product twice: one line
            row = seen[variant_id]
            row.quantity = str((_int_or_none(row.quantity) or 0) + (_int_or_none(quantity) or 0))
            continue
        seen[variant_id] = TransferRow(variant_id=variant_id, quantity=quantity.strip())
        rows.append(seen[variant_id])
    added = _int_or_none(data.get("add_variant"))
    if added is not None:
        if added in seen:
            seen[added].quantity = str((_int_or_none(seen[added].quantity) or 0) + 1)
        else:
            rows.append(TransferRow(variant_id=added))
    variants = selectors.transfer_line_variants(
        variant_ids=[row.variant_id for row in rows], source_id=source_id
    )
    for row in rows:
        row.variant = variants.get(row.variant_id)
    return rows


def _transfer_line_inputs(rows: list[TransferRow]):
    """Service input from the rows with a quantity (0 drops a line); None if one is not valid."""
    inputs, valid = [], True
    for row in rows:
        quantity = _int_or_none(row.quantity)
        if quantity is None or quantity < 0:
            row.errors.append(_("Enter a whole number, 1 or more (0 removes the line)."))
            valid = False
        elif quantity:
            inputs.append(
                (row, transfers.TransferLineInput(quantity=quantity, variant_id=row.variant_id))
            )
    return inputs if valid else None


@permission_required_403("inventory.view_transfer")
@require_GET
def transfer_list(request):
    status = request.GET.get("status", "")
    if status not in Transfer.Status.values:
        status = ""
    page_obj = Paginator(selectors.transfer_list(status=status), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    return render(
        request,
        "inventory/transfer_list.html",
        {
            "page_obj": page_obj,
            "status": status,
            "statuses": Transfer.Status.choices,
            "counts": selectors.transfer_status_counts(),
        },
    )


@permission_required_403("inventory.add_transfer")
def transfer_create(request):
    """The new-transfer screen: works without JavaScript (search, add, save are buttons); htmx
    searches as you type, adds rows in place and refreshes availability when the source
    changes."""
    form = TransferForm(request.POST or None)
    rows: list[TransferRow] = []
    line_errors: list[str] = []
    search_results = None
    if request.method == "POST":
        source_id = _int_or_none(request.POST.get("source"))
        rows = _transfer_rows(request.POST, source_id=source_id)
        action = request.POST.get("action", "save")
        if action == "search":
            search_results = selectors.transfer_variant_search(
                q=request.POST.get("variant_q", ""), source_id=source_id
            )
        elif action == "save" and not request.POST.get("add_variant"):
            inputs = _transfer_line_inputs(rows)
            if inputs is not None and not inputs:
                line_errors.append(_("Add a product."))
            if form.is_valid() and inputs:
                try:
                    transfer = transfers.transfer_create(
                        source=form.cleaned_data["source"],
                        destination=form.cleaned_data["destination"],
                        lines=[line for _row, line in inputs],
                        note=form.cleaned_data["note"],
                        actor=request.user,
                    )
                except DomainError as error:
                    for key, reason in error.fields.items():
                        parts = key.split(".")
                        if parts[0] == "lines" and len(parts) > 1 and parts[1].isdigit():
                            index = int(parts[1])
                            if index < len(inputs):
                                inputs[index][0].errors.append(reason)
                    form.add_domain_error(error)
                else:
                    messages.success(
                        request,
                        _("Transfer %(code)s created as a draft; send it when the goods leave.")
                        % {"code": transfer.code},
                    )
                    return redirect("inventory:transfer_detail", code=transfer.code)
    context = {
        "form": form,
        "rows": rows,
        "line_errors": line_errors,
        "search_results": search_results,
        "variant_q": request.POST.get("variant_q", "") if request.method == "POST" else "",
    }
    if request.htmx and request.htmx.target == "transfer-lines-body":
        return render(request, "inventory/partials/transfer_lines_body.html", context)
    return render(request, "inventory/transfer_form.html", context)


@permission_required_403("inventory.add_transfer")
@require_GET
def transfer_variant_search(request):
    q = request.GET.get("variant_q") or request.GET.get("q") or ""
    return render(
        request,
        "inventory/partials/transfer_variant_results.html",
        {
            "results": selectors.transfer_variant_search(
                q=q, source_id=_int_or_none(request.GET.get("source"))
            ),
            "q": q.strip(),
        },
    )


@permission_required_403("inventory.add_transfer")
@require_GET
def transfer_line_row(request):
    variant_id = _int_or_none(request.GET.get("variant"))
    if variant_id is None:
        return HttpResponseBadRequest(_("Choose a product."))
    row = TransferRow(variant_id=variant_id)
    row.variant = selectors.transfer_line_variants(
        variant_ids=[variant_id], source_id=_int_or_none(request.GET.get("source"))
    ).get(variant_id)
    if row.variant is None:
        raise Http404(_("Unknown product."))
    return render(request, "inventory/partials/transfer_line_row.html", {"row": row})


def _transfer_detail(request, transfer, receive_form=None, status=200):
    if (
        receive_form is None
        and transfer.status == Transfer.Status.IN_TRANSIT
        and request.user.has_perm("inventory.receive_transfer")
    ):
        receive_form = TransferReceiveForm(lines=transfer.line_list)
    return render(
        request,
        "inventory/transfer_detail.html",
        {"transfer": transfer, "receive_form": receive_form},
        status=status,
    )


@permission_required_403("inventory.view_transfer")
@require_GET
def transfer_detail(request, code: str):
    return _transfer_detail(request, _transfer_or_404(code))


@permission_required_403("inventory.receive_transfer")
@require_POST
def transfer_receive(request, code: str):
    transfer = _transfer_or_404(code)
    form = TransferReceiveForm(request.POST, lines=transfer.line_list)
    if form.is_valid():
        try:
            transfers.transfer_receive(
                transfer=transfer,
                received=form.received(),
                discrepancy_note=form.cleaned_data["discrepancy_note"],
                actor=request.user,
            )
        except DomainError as error:
            form.add_domain_error(error)
        else:
            messages.success(
                request,
                _("Transfer %(code)s received into %(warehouse)s.")
                % {"code": transfer.code, "warehouse": transfer.destination.name},
            )
            return redirect("inventory:transfer_detail", code=transfer.code)
    return _transfer_detail(request, transfer, receive_form=form)


def _transfer_action(service, perm: str, success: str):
    @permission_required_403(perm)
    @require_POST
    def view(request, code: str):
        transfer = _transfer_or_404(code)
        try:
            service(transfer=transfer, actor=request.user)
        except DomainError as error:
            messages.error(request, error.message)
        else:
            messages.success(request, success % {"code": transfer.code})
        return redirect("inventory:transfer_detail", code=transfer.code)

    return view


transfer_send = _transfer_action(
    transfers.transfer_send,
    "inventory.add_transfer",
    gettext_lazy("Transfer %(code)s sent: the goods left the source warehouse."),
)
transfer_cancel = _transfer_action(
    transfers.transfer_cancel,
    "inventory.add_transfer",
    gettext_lazy("Transfer %(code)s cancelled."),
)


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
