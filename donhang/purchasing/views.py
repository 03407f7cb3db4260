"""Purchasing pages: suppliers, purchase orders, shortages → purchase orders, goods receipts.

Views validate input, call one service or selector, and render. Services check permissions
themselves; the decorators here only decide who may open a page.

Purchase prices are cost prices: roles without catalog.view_cost (the warehouse) see these pages
without them (templates ask `perms.catalog.view_cost`), post none, and print the purchase order
without prices. Writing a purchase order's prices needs seeing them.
"""

from __future__ import annotations

from django.contrib import messages
from django.core.paginator import Paginator
from django.db import transaction
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET, require_POST

from donhang.accounts.decorators import permission_required_403
from donhang.core.errors import DomainError, NotFound
from donhang.core.money import VatRate, round_vnd, vat_decimal
from donhang.core.phone import display_phone
from donhang.inventory.services import BIGGEST_INTEGER
from donhang.purchasing import selectors, services
from donhang.purchasing.forms import (
    LineRow,
    PurchaseOrderForm,
    ReceiptForm,
    SuggestionsForm,
    SupplierForm,
    merge_rows,
    parse_rows,
)
from donhang.purchasing.models import PurchaseOrder
from donhang.purchasing.pdf import purchase_order_pdf as render_purchase_order_pdf

PAGE_SIZE = 25
Status = PurchaseOrder.Status


def _int_or_none(value):
    """A whole number typed or sent by the page, or None; none that no column can hold (a query
    with one fails on the database instead of finding nothing)."""
    try:
        number = int(value)
    except (TypeError, ValueError):
        return None
    return number if abs(number) <= BIGGEST_INTEGER else None


def _can_view_cost(request) -> bool:
    return request.user.has_perm(services.VIEW_COST)


def _hide_prices(rows: list[LineRow]) -> list[LineRow]:
    """Rows of a user who may not see cost prices: no price shown, none sent (the service then
    takes the purchase order's price or the variant's cost)."""
    for row in rows:
        row.unit_price, row.raw_price = None, ""
    return rows


def _cost_key(request) -> str:
    """The form field of a receipt line's unit cost; nothing is read from it for a user who
    may not see cost prices (the field is not shown to them)."""
    return "line_unit_cost" if _can_view_cost(request) else "-"


def _get_or_404(getter, **kwargs):
    try:
        return getter(**kwargs)
    except NotFound as exc:
        raise Http404(exc.message) from None


# --- suppliers -------------------------------------------------------------------------------


@permission_required_403("purchasing.view_supplier")
@require_GET
def supplier_list(request):
    q = request.GET.get("q", "").strip()
    status = request.GET.get("status", "")
    active = {"active": True, "inactive": False}.get(status)
    page_obj = Paginator(selectors.supplier_list(q=q, active=active), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    suppliers = list(page_obj.object_list)
    for supplier in suppliers:
        supplier.phone_display = display_phone(supplier.phone)
    return render(
        request,
        "purchasing/supplier_list.html",
        {
            "page_obj": page_obj,
            "suppliers": suppliers,
            "q": q,
            "status": status,
            "filtered": bool(q or status),
            "section": "suppliers",
        },
    )


@permission_required_403("purchasing.add_supplier")
def supplier_create(request):
    return _supplier_form(request, None)


@permission_required_403("purchasing.change_supplier")
def supplier_edit(request, pk: int):
    return _supplier_form(request, _get_or_404(selectors.supplier_get, pk=pk))


def _supplier_form(request, supplier):
    initial = SupplierForm.initial_for(supplier) if supplier else None
    form = SupplierForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            if supplier:
                supplier = services.supplier_update(
                    supplier=supplier, actor=request.user, **form.service_values()
                )
            else:
                supplier = services.supplier_create(actor=request.user, **form.service_values())
            messages.success(request, _("Supplier “%(name)s” saved.") % {"name": supplier.name})
            return redirect("purchasing:supplier_detail", pk=supplier.pk)
        except DomainError as exc:
            form.add_domain_error(exc)
    return render(
        request,
        "purchasing/supplier_form.html",
        {
            "form": form,
            "supplier": supplier,
            "title": _("Edit supplier") if supplier else _("New supplier"),
            "section": "suppliers",
        },
        status=422 if form.errors else 200,
    )


@permission_required_403("purchasing.view_supplier")
@require_GET
def supplier_detail(request, pk: int):
    supplier = _get_or_404(selectors.supplier_get, pk=pk)
    supplier.phone_display = display_phone(supplier.phone)
    return render(
        request,
        "purchasing/supplier_detail.html",
        {
            "supplier": supplier,
            "links": selectors.supplier_variants(supplier=supplier),
            "purchase_orders": selectors.supplier_purchase_orders(supplier=supplier),
            "section": "suppliers",
        },
    )


@permission_required_403("purchasing.change_supplier")
@require_POST
def supplier_variants_update(request, pk: int):
    """Save the supplier's codes, last prices and preferred flags of every listed variant."""
    supplier = _get_or_404(selectors.supplier_get, pk=pk)
    variant_ids = [_int_or_none(v) for v in request.POST.getlist("link_variant")]
    codes = request.POST.getlist("link_supplier_sku")
    # Without catalog.view_cost the price column is not shown, and prices stay as they are.
    prices = request.POST.getlist("link_price") if _can_view_cost(request) else []
    preferred = {_int_or_none(v) for v in request.POST.getlist("link_preferred")}
    variants = selectors.purchasing_variants(variant_ids=[v for v in variant_ids if v])
    try:
        with transaction.atomic():
            for i, variant_id in enumerate(variant_ids):
                variant = variants.get(variant_id)
                if variant is None:
                    continue
                price = (prices[i] if i < len(prices) else "").replace(".", "").strip()
                services.supplier_variant_set(
                    supplier=supplier,
                    variant=variant,
                    supplier_sku=codes[i] if i < len(codes) else "",
                    last_purchase_price=_int_or_none(price) if price else None,
                    is_preferred=variant_id in preferred,
                    actor=request.user,
                )
        messages.success(request, _("Products of this supplier saved."))
    except DomainError as exc:
        messages.error(request, exc.message)
    return redirect("purchasing:supplier_detail", pk=supplier.pk)


@permission_required_403("purchasing.change_supplier")
@require_POST
def supplier_variant_add(request, pk: int):
    supplier = _get_or_404(selectors.supplier_get, pk=pk)
    variant = selectors.purchasing_variants(
        variant_ids=[_int_or_none(request.POST.get("variant"))]
    ).get(_int_or_none(request.POST.get("variant")))
    if variant is None:
        messages.error(request, _("Choose a product from the search results."))
        return redirect("purchasing:supplier_detail", pk=supplier.pk)
    try:
        services.supplier_variant_set(
            supplier=supplier,
            variant=variant,
            last_purchase_price=variant.cost_price if _can_view_cost(request) else None,
            actor=request.user,
        )
        messages.success(
            request,
            _("%(sku)s added to %(supplier)s.") % {"sku": variant.sku, "supplier": supplier.name},
        )
    except DomainError as exc:
        messages.error(request, exc.message)
    return redirect("purchasing:supplier_detail", pk=supplier.pk)


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


# --- shortages → purchase orders -------------------------------------------------------------


@permission_required_403("purchasing.view_purchaseorder")
def suggestions(request):
    page = selectors.purchase_suggestion_page()
    form = SuggestionsForm(request.POST or None)
    errors: dict[int, str] = {}
    if request.method == "POST":
        posted = _posted_suggestions(request, with_prices=_can_view_cost(request))
        if form.is_valid():
            items = []
            for suggestion in (s for g in page.groups for s in g.rows):
                values = posted.get(suggestion.variant.pk)
                if values is None:
                    continue
                if values["error"]:
                    errors[suggestion.variant.pk] = values["error"]
                    continue
                items.append(
                    (
                        values["supplier"],
                        suggestion.variant.pk,
                        values["quantity"],
                        values["price"],
                    )
                )
            if not errors and not any(item[2] for item in items):
                messages.error(request, _("Enter a quantity for at least one product."))
            elif not errors:
                try:
                    orders = services.purchase_orders_from_suggestions(
                        items=items, warehouse=form.cleaned_data["warehouse"], actor=request.user
                    )
                    named = ", ".join(f"{po.code} ({po.supplier.name})" for po in orders)
                    messages.success(
                        request,
                        ngettext(
                            "Created %(n)s draft purchase order: %(orders)s.",
                            "Created %(n)s draft purchase orders: %(orders)s.",
                            len(orders),
                        )
                        % {"n": len(orders), "orders": named},
                    )
                    return redirect(reverse("purchasing:purchase_order_list") + "?status=draft")
                except DomainError as exc:
                    for key, reason in exc.fields.items():
                        head, _sep, tail = key.partition(".")
                        if head == "supplier" and tail.isdigit():
                            errors[int(tail)] = reason
                    messages.error(request, exc.message)
        _apply_posted(page, posted)
    for group in page.groups:
        for suggestion in group.rows:
            suggestion.error = errors.get(suggestion.variant.pk, "")
            suggestion.linked = page.linked.get(suggestion.variant.pk, [])
            if not hasattr(suggestion, "form_supplier"):
                suggestion.form_quantity = suggestion.quantity
                suggestion.form_price = suggestion.unit_price
                suggestion.form_supplier = (
                    suggestion.supplier.pk
                    if suggestion.supplier
                    else (suggestion.linked[0] if len(suggestion.linked) == 1 else None)
                )
    return render(
        request,
        "purchasing/suggestions.html",
        {"page": page, "form": form, "section": "suggestions"},
        status=422 if errors or form.errors else 200,
    )


def _posted_suggestions(request, *, with_prices: bool) -> dict[int, dict]:
    out = {}
    for raw in request.POST.getlist("variant"):
        variant_id = _int_or_none(raw)
        if variant_id is None:
            continue
        quantity_raw = request.POST.get(f"quantity_{variant_id}", "").strip()
        price_raw = (
            request.POST.get(f"price_{variant_id}", "").replace(".", "").strip()
            if with_prices
            else ""
        )
        error = ""
        quantity = _int_or_none(quantity_raw or "0")
        if quantity is None or quantity < 0:
            error, quantity = _("Enter a whole number of 0 or more."), 0
        price = _int_or_none(price_raw) if price_raw else None
        if price_raw and (price is None or price < 0):
            error, price = _("Enter a price of 0 or more, in VND."), None
        out[variant_id] = {
            "quantity": quantity,
            "price": price,
            "supplier": _int_or_none(request.POST.get(f"supplier_{variant_id}")),
            "error": error,
            "raw_quantity": quantity_raw,
            "raw_price": price_raw,
        }
    return out


def _apply_posted(page, posted) -> None:
    """Show what was typed when the page comes back with an error."""
    for group in page.groups:
        for suggestion in group.rows:
            values = posted.get(suggestion.variant.pk)
            if values is None:
                continue
            suggestion.form_quantity = values["raw_quantity"]
            suggestion.form_price = values["raw_price"]
            suggestion.form_supplier = values["supplier"]


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
