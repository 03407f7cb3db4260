"""Purchase order pages: list, form, detail, send, cancel, close, PDF."""

from __future__ import annotations

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from donhang.accounts.decorators import permission_required_403
from donhang.core.errors import DomainError
from donhang.core.money import VatRate
from donhang.purchasing import selectors, services
from donhang.purchasing.forms import (
    LineRow,
    PurchaseOrderForm,
    merge_rows,
    parse_rows,
)
from donhang.purchasing.pdf import purchase_order_pdf as render_purchase_order_pdf
from donhang.purchasing.views._common import (
    PAGE_SIZE,
    Status,
    _can_view_cost,
    _get_or_404,
    _int_or_none,
)
from donhang.purchasing.views.lines import (
    _attach_variants,
    _place_line_errors,
    _rows_with_added,
    _totals,
)

# --- purchase orders -------------------------------------------------------------------------


@permission_required_403("purchasing.view_purchaseorder")
@require_GET
def purchase_order_list(request):
    status = request.GET.get("status", "")
    supplier_id = _int_or_none(request.GET.get("supplier"))
    q = request.GET.get("q", "").strip()
    orders = selectors.purchase_order_list(status=status, supplier_id=supplier_id, q=q)
    page_obj = Paginator(orders, PAGE_SIZE).get_page(request.GET.get("page"))
    counts = selectors.purchase_order_status_counts(supplier_id=supplier_id)
    tabs = [("", _("All"), counts["all"]), ("open", _("Open"), counts["open"])] + [
        (s.value, s.label, counts.get(s.value, 0)) for s in selectors.STATUS_TABS
    ]
    return render(
        request,
        "purchasing/purchase_order_list.html",
        {
            "page_obj": page_obj,
            "orders": page_obj.object_list,
            "tabs": tabs,
            "status": status,
            "supplier_id": supplier_id,
            "q": q,
            "suppliers": selectors.supplier_choices(include=supplier_id),
            "filtered": bool(status or supplier_id or q),
            "section": "orders",
        },
    )


@permission_required_403(("purchasing.add_purchaseorder", services.VIEW_COST))
def purchase_order_create(request):
    initial = {}
    if request.method == "GET" and (supplier_id := _int_or_none(request.GET.get("supplier"))):
        initial["supplier"] = supplier_id
    form = PurchaseOrderForm(request.POST or None, initial=initial)
    supplier_id = _int_or_none(request.POST.get("supplier") or initial.get("supplier"))
    rows = parse_rows(request.POST) if request.method == "POST" else []
    rows = _rows_with_added(request, rows, supplier_id, "po")
    line_errors: list[str] = []
    if request.method == "POST" and request.POST.get("action") == "save":
        valid = form.is_valid()
        rows = merge_rows(rows)
        sent = [r for r in rows if r.quantity and not r.errors]
        if not valid or any(r.errors for r in rows):
            pass
        elif not sent:
            line_errors.append(_("Add at least one product with a quantity."))
        else:
            try:
                po = services.purchase_order_create(
                    supplier=form.cleaned_data["supplier"],
                    warehouse=form.cleaned_data["warehouse"],
                    expected_date=form.cleaned_data["expected_date"],
                    note=form.cleaned_data["note"],
                    lines=[_po_line_input(r) for r in sent],
                    actor=request.user,
                )
                messages.success(
                    request, _("Purchase order %(code)s created as a draft.") % {"code": po.code}
                )
                return redirect("purchasing:purchase_order_detail", pk=po.pk)
            except DomainError as exc:
                placed = _place_line_errors(exc, sent, line_errors)
                if not placed or any(not k.startswith("lines") for k in exc.fields):
                    form.add_domain_error(exc)
    return _po_form_page(request, form=form, rows=rows, line_errors=line_errors, po=None)


def _po_line_input(row: LineRow) -> services.PoLineInput:
    return services.PoLineInput(
        variant_id=row.variant_id,
        quantity=row.quantity,
        unit_price=row.unit_price,
        vat_rate=row.vat_rate or None,
    )


def _po_form_page(request, *, form, rows, line_errors, po):
    has_errors = bool(
        (form is not None and form.errors) or line_errors or any(r.errors for r in rows)
    )
    return render(
        request,
        "purchasing/purchase_order_form.html",
        {
            "form": form,
            "po": po,
            "rows": rows,
            "line_errors": line_errors,
            "totals": _totals(rows),
            "vat_choices": VatRate.choices,
            "variant_q": request.POST.get("variant_q", ""),
            "search_results": selectors.purchasing_variant_search(
                q=request.POST.get("variant_q", ""),
                supplier_id=po.supplier_id if po else _int_or_none(request.POST.get("supplier")),
            )
            if request.POST.get("action") == "search"
            else None,
            "title": _("Edit purchase order %(code)s") % {"code": po.code}
            if po
            else _("New purchase order"),
            "section": "orders",
        },
        status=422 if request.POST.get("action") == "save" and has_errors else 200,
    )


@permission_required_403(("purchasing.change_purchaseorder", services.VIEW_COST))
def purchase_order_edit(request, pk: int):
    po = _get_or_404(selectors.purchase_order_get, pk=pk)
    if po.status != Status.DRAFT:
        messages.error(request, _("Only a draft purchase order can be edited."))
        return redirect("purchasing:purchase_order_detail", pk=po.pk)
    if request.method == "POST":
        rows = _rows_with_added(request, parse_rows(request.POST), po.supplier_id, "po")
    else:
        rows = [
            LineRow(
                variant_id=ln.variant_id,
                quantity=ln.quantity,
                unit_price=ln.unit_price,
                vat_rate=ln.vat_rate,
                raw_quantity=str(ln.quantity),
                raw_price=str(ln.unit_price),
            )
            for ln in po.lines.all()
        ]
        _attach_variants(rows, po.supplier_id)
    line_errors: list[str] = []
    if request.method == "POST" and request.POST.get("action") == "save":
        rows = merge_rows(rows)
        sent = [r for r in rows if r.quantity and not r.errors]
        if any(r.errors for r in rows):
            pass
        elif not sent:
            line_errors.append(_("Add at least one product with a quantity."))
        else:
            try:
                services.purchase_order_update_lines(
                    purchase_order=po,
                    lines=[_po_line_input(r) for r in sent],
                    actor=request.user,
                )
                messages.success(request, _("Purchase order %(code)s saved.") % {"code": po.code})
                return redirect("purchasing:purchase_order_detail", pk=po.pk)
            except DomainError as exc:
                if not _place_line_errors(exc, sent, line_errors):
                    line_errors.append(exc.message)
    return _po_form_page(request, form=None, rows=rows, line_errors=line_errors, po=po)


@permission_required_403("purchasing.view_purchaseorder")
@require_GET
def purchase_order_detail(request, pk: int):
    po = _get_or_404(selectors.purchase_order_get, pk=pk)
    user = request.user
    lines = list(po.lines.all())
    for line in lines:
        line.amount = line.quantity * line.unit_price
    return render(
        request,
        "purchasing/purchase_order_detail.html",
        {
            "po": po,
            "lines": lines,
            "receipts": po.receipts.all(),
            "can_edit": po.status == Status.DRAFT
            and user.has_perm("purchasing.change_purchaseorder"),
            "can_send": po.status == Status.DRAFT
            and user.has_perm("purchasing.confirm_purchaseorder"),
            "can_cancel": po.status in (Status.DRAFT, Status.SENT)
            and user.has_perm("purchasing.confirm_purchaseorder"),
            "can_close": po.status == Status.PARTIALLY_RECEIVED
            and user.has_perm("purchasing.confirm_purchaseorder"),
            "can_receive": po.status in (Status.SENT, Status.PARTIALLY_RECEIVED)
            and user.has_perm("purchasing.add_goodsreceipt"),
            "section": "orders",
        },
    )


@permission_required_403("purchasing.view_purchaseorder")
@require_POST
def purchase_order_send(request, pk: int):
    po = _get_or_404(selectors.purchase_order_get, pk=pk)
    try:
        services.purchase_order_send(purchase_order=po, actor=request.user)
        messages.success(
            request, _("Purchase order %(code)s confirmed and sent.") % {"code": po.code}
        )
    except DomainError as exc:
        messages.error(request, exc.message)
    return redirect("purchasing:purchase_order_detail", pk=po.pk)


@permission_required_403("purchasing.view_purchaseorder")
@require_POST
def purchase_order_cancel(request, pk: int):
    po = _get_or_404(selectors.purchase_order_get, pk=pk)
    try:
        services.purchase_order_cancel(
            purchase_order=po, reason=request.POST.get("reason", ""), actor=request.user
        )
        messages.success(request, _("Purchase order %(code)s cancelled.") % {"code": po.code})
    except DomainError as exc:
        messages.error(request, exc.message)
    return redirect("purchasing:purchase_order_detail", pk=po.pk)


@permission_required_403("purchasing.view_purchaseorder")
@require_POST
def purchase_order_close(request, pk: int):
    po = _get_or_404(selectors.purchase_order_get, pk=pk)
    try:
        services.purchase_order_close(
            purchase_order=po, reason=request.POST.get("reason", ""), actor=request.user
        )
        messages.success(
            request,
            _("Purchase order %(code)s closed; what was not delivered is cancelled.")
            % {"code": po.code},
        )
    except DomainError as exc:
        messages.error(request, exc.message)
    return redirect("purchasing:purchase_order_detail", pk=po.pk)


@permission_required_403("purchasing.view_purchaseorder")
@require_GET
def purchase_order_pdf(request, pk: int):
    po = _get_or_404(selectors.purchase_order_get, pk=pk)
    codes = {
        link.variant_id: link.supplier_sku
        for link in selectors.supplier_variants(supplier=po.supplier)
        if link.supplier_sku
    }
    response = HttpResponse(
        render_purchase_order_pdf(po, supplier_codes=codes, include_prices=_can_view_cost(request)),
        content_type="application/pdf",
    )
    response["Content-Disposition"] = f'inline; filename="{po.code}.pdf"'
    return response
