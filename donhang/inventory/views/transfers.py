"""Transfer pages: list, form, detail, send, receive, cancel."""

from dataclasses import dataclass, field

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404, HttpResponseBadRequest
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_POST

from donhang.accounts.decorators import permission_required_403
from donhang.core.errors import DomainError, NotFound
from donhang.inventory import selectors, transfers
from donhang.inventory.forms import (
    TransferForm,
    TransferReceiveForm,
)
from donhang.inventory.models import Transfer
from donhang.inventory.views._common import PAGE_SIZE, _int_or_none

# --- transfers -------------------------------------------------------------------------------


def _transfer_or_404(code: str):
    try:
        return selectors.transfer_get(code=code)
    except NotFound as error:
        raise Http404(error.message) from None


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
