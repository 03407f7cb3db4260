"""Goods receipt pages: list, detail, receive (typed or scanned), labels."""

from __future__ import annotations

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET

from donhang.accounts.decorators import permission_required_403
from donhang.catalog.barcode_labels import DEFAULT_SHEET, SHEETS, label_of, labels_pdf
from donhang.core.errors import DomainError
from donhang.purchasing import selectors, services
from donhang.purchasing.forms import (
    LineRow,
    ReceiptForm,
    merge_rows,
    parse_rows,
)
from donhang.purchasing.views._common import (
    PAGE_SIZE,
    Status,
    _can_view_cost,
    _cost_key,
    _get_or_404,
    _hide_prices,
    _int_or_none,
)
from donhang.purchasing.views.lines import _place_line_errors, _rows_with_added

# --- goods receipts --------------------------------------------------------------------------


@permission_required_403("purchasing.view_goodsreceipt")
@require_GET
def receipt_list(request):
    q = request.GET.get("q", "").strip()
    supplier_id = _int_or_none(request.GET.get("supplier"))
    page_obj = Paginator(
        selectors.goods_receipt_list(q=q, supplier_id=supplier_id), PAGE_SIZE
    ).get_page(request.GET.get("page"))
    return render(
        request,
        "purchasing/receipt_list.html",
        {
            "page_obj": page_obj,
            "receipts": page_obj.object_list,
            "q": q,
            "supplier_id": supplier_id,
            "suppliers": selectors.supplier_choices(include=supplier_id),
            "filtered": bool(q or supplier_id),
            "section": "receipts",
        },
    )


@permission_required_403("purchasing.view_goodsreceipt")
@require_GET
def receipt_detail(request, pk: int):
    detail = _get_or_404(selectors.goods_receipt_get, pk=pk)
    lines = list(detail.receipt.lines.all())
    for line in lines:
        line.amount = line.quantity * line.unit_cost
    return render(
        request,
        "purchasing/receipt_detail.html",
        {
            "detail": detail,
            "receipt": detail.receipt,
            "lines": lines,
            "section": "receipts",
            "label_sheets": list(SHEETS.items()),
        },
    )


@permission_required_403("purchasing.add_goodsreceipt")
def receipt_create(request, pk: int):
    """Receive goods against a purchase order: each line's remaining quantity is prefilled."""
    po = _get_or_404(selectors.purchase_order_get, pk=pk)
    if po.status not in (Status.SENT, Status.PARTIALLY_RECEIVED):
        messages.error(
            request,
            _("Goods can be received only on a sent purchase order (this one is “%(status)s”).")
            % {"status": po.get_status_display()},
        )
        return redirect("purchasing:purchase_order_detail", pk=po.pk)
    po_lines = {ln.pk: ln for ln in po.lines.all()}
    form = ReceiptForm(
        request.POST or None, initial={"warehouse": po.warehouse_id}, with_supplier=False
    )
    if request.method == "POST":
        rows = [r for r in parse_rows(request.POST, price_key=_cost_key(request)) if r.po_line_id]
    else:
        rows = [
            LineRow(
                po_line_id=ln.pk,
                quantity=ln.remaining,
                unit_price=ln.unit_price,
                raw_quantity=str(ln.remaining),
                raw_price=str(ln.unit_price),
            )
            for ln in po_lines.values()
        ]
    for row in rows:
        row.po_line = po_lines.get(row.po_line_id)
        row.variant = row.po_line.variant if row.po_line else None
    rows = [r for r in rows if r.po_line is not None]
    if not _can_view_cost(request):
        _hide_prices(rows)
    return _receipt_post_or_render(request, form=form, rows=rows, po=po)


@permission_required_403("purchasing.add_goodsreceipt")
def receipt_create_standalone(request):
    """Receive goods without a purchase order (supplier optional), lines by product search."""
    form = ReceiptForm(request.POST or None, with_supplier=True)
    rows = (
        parse_rows(request.POST, price_key=_cost_key(request)) if request.method == "POST" else []
    )
    rows = _rows_with_added(request, rows, None, "receipt")
    if not _can_view_cost(request):
        _hide_prices(rows)
    return _receipt_post_or_render(request, form=form, rows=rows, po=None)


def _receipt_post_or_render(request, *, form, rows, po):
    line_errors: list[str] = []
    over_receipt = False
    if request.method == "POST" and request.POST.get("action") == "save":
        valid = form.is_valid()
        if po is None:
            rows = merge_rows(rows)
        sent = [r for r in rows if r.quantity and not r.errors]
        if not valid or any(r.errors for r in rows):
            pass
        elif not sent:
            line_errors.append(_("Enter the quantity received for at least one line."))
        else:
            variant_ids = [r.variant.pk for r in sent]
            waiting = selectors.orders_awaiting_stock(variant_ids=variant_ids)
            try:
                receipt = services.goods_receipt_post(
                    warehouse=form.cleaned_data["warehouse"],
                    purchase_order=po,
                    supplier=form.cleaned_data.get("supplier") if po is None else None,
                    note=form.cleaned_data["note"],
                    allow_over_receipt=form.cleaned_data["allow_over_receipt"],
                    lines=[
                        services.ReceiptLineInput(
                            quantity=r.quantity,
                            purchase_order_line_id=r.po_line_id,
                            variant_id=None if r.po_line_id else r.variant_id,
                            unit_cost=r.unit_price,
                        )
                        for r in sent
                    ],
                    actor=request.user,
                )
                served = len(waiting - selectors.orders_awaiting_stock(variant_ids=variant_ids))
                message = _("Goods receipt %(code)s posted.") % {"code": receipt.code}
                if served:
                    message += " " + ngettext(
                        "%(n)s waiting order got its stock and is ready to pack.",
                        "%(n)s waiting orders got their stock and are ready to pack.",
                        served,
                    ) % {"n": served}
                messages.success(request, message)
                return redirect("purchasing:receipt_detail", pk=receipt.pk)
            except DomainError as exc:
                if exc.code == "over_receipt":
                    over_receipt = True
                    form.add_error(None, exc.message)
                elif not _place_line_errors(exc, sent, line_errors) or any(
                    not k.startswith("lines") for k in exc.fields
                ):
                    form.add_domain_error(exc)
    has_errors = bool(form.errors or line_errors or any(r.errors for r in rows))
    return render(
        request,
        "purchasing/receipt_form.html",
        {
            "form": form,
            "po": po,
            "rows": rows,
            "line_errors": line_errors,
            "over_receipt": over_receipt,
            "variant_q": request.POST.get("variant_q", ""),
            "search_results": selectors.purchasing_variant_search(
                q=request.POST.get("variant_q", "")
            )
            if request.POST.get("action") == "search"
            else None,
            "section": "receipts",
        },
        status=(409 if over_receipt else 422)
        if request.POST.get("action") == "save" and has_errors
        else 200,
    )


@permission_required_403("purchasing.view_goodsreceipt")
@require_GET
def receipt_labels(request, pk: int):
    """Barcode labels of a receipt's lines: one per unit received (`each=1`: one per line)."""
    detail = _get_or_404(selectors.goods_receipt_get, pk=pk)
    one_each = request.GET.get("each") == "1"
    labels = []
    for line in detail.receipt.lines.all():
        labels.extend(
            [label_of(line.variant, with_price=request.GET.get("price", "1") != "0")]
            * (1 if one_each else min(line.quantity, 500))
        )
    sheet = request.GET.get("sheet", DEFAULT_SHEET)
    response = HttpResponse(
        labels_pdf(labels[:2000], sheet=sheet if sheet in SHEETS else DEFAULT_SHEET),
        content_type="application/pdf",
    )
    response["Content-Disposition"] = f'inline; filename="labels-{detail.receipt.code}.pdf"'
    return response
