"""Supplier pages: list, form, detail and the products they supply."""

from __future__ import annotations

from django.contrib import messages
from django.core.paginator import Paginator
from django.db import transaction
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from donhang.accounts.decorators import permission_required_403
from donhang.core.errors import DomainError
from donhang.core.phone import display_phone
from donhang.purchasing import selectors, services
from donhang.purchasing.forms import (
    SupplierForm,
)
from donhang.purchasing.views._common import PAGE_SIZE, _can_view_cost, _get_or_404, _int_or_none

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
