"""Shortages → purchase orders."""

from __future__ import annotations

from django.contrib import messages
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from donhang.accounts.decorators import permission_required_403
from donhang.core.errors import DomainError
from donhang.purchasing import selectors, services
from donhang.purchasing.forms import (
    SuggestionsForm,
)
from donhang.purchasing.views._common import _can_view_cost, _int_or_none

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
