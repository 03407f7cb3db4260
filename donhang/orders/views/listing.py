"""The order list: tabs, filters, bulk actions, picking lists, and the top bar's search."""

from __future__ import annotations

from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET, require_POST

from donhang.accounts.decorators import permission_required_403
from donhang.core import hooks
from donhang.core.errors import DomainError
from donhang.core.phone import display_phone
from donhang.customers.selectors import customer_list
from donhang.orders import selectors, services
from donhang.orders.forms import (
    OrderFilterForm,
)
from donhang.orders.views._common import PAGE_SIZE, STATUS_TABS, _int_or_none, _query

# --- list --------------------------------------------------------------------------------------


@permission_required_403("orders.view_order")
@require_GET
def order_list(request):
    form = OrderFilterForm(request.GET)
    filters = form.filters()
    page = selectors.order_list(
        filters=filters,
        after=_int_or_none(request.GET.get("after")),
        before=_int_or_none(request.GET.get("before")),
        limit=PAGE_SIZE,
    )
    tabs = [
        {
            "status": value,
            "label": label,
            "count": page.counts.get(key, 0),
            "capped": key in page.counts_capped,  # counted up to the bound: "50+"
            "url": _query(request.GET, status=value),
            "active": filters.status == value,
        }
        for value, label, key in STATUS_TABS
    ]
    for order in page.orders:
        order.phone_display = display_phone(order.customer_phone)
    filtered = any(
        (
            filters.sub_state,
            filters.channel,
            filters.store,
            filters.warehouse,
            filters.payment_method,
            filters.date_from,
            filters.date_to,
            filters.q,
        )
    )
    return render(
        request,
        "orders/order_list.html",
        {
            "form": form,
            "filters": filters,
            "page": page,
            "tabs": tabs,
            "count_bound": selectors.COUNT_BOUND,
            "filtered": filtered,
            "newer_url": _query(request.GET, before=page.prev_cursor) if page.prev_cursor else None,
            "older_url": _query(request.GET, after=page.next_cursor) if page.next_cursor else None,
            "next_query": request.GET.urlencode(),
            "carrier_accounts": _bulk_carriers(request),
        },
    )


def _bulk_carriers(request) -> list:
    """Active carrier accounts for "Create shipments with …" (provided by donhang.shipping)."""
    if not request.user.has_perm("shipping.add_shipment"):
        return []
    return hooks.first("orders.bulk_carriers", default=[], request=request)


BULK_ACTIONS = {
    "confirm": ("orders.confirm_order", services.order_confirm),
    "cancel": ("orders.cancel_order", services.order_cancel),
}


@login_required
@require_POST
def order_bulk(request):
    """Run one transition on each selected order; a refusal does not stop the others."""
    action = request.POST.get("action", "")
    back = reverse("orders:order_list") + "?" + request.POST.get("next_query", "")
    if action == "picking":
        return picking_list(request)
    if action not in BULK_ACTIONS:
        messages.error(request, _("Choose what to do with the selected orders."))
        return redirect(back)
    perm, service = BULK_ACTIONS[action]
    if not request.user.has_perm(perm):
        raise PermissionDenied
    codes = [c.strip().upper() for c in request.POST.getlist("codes") if c.strip()]
    if not codes:
        messages.warning(request, _("Select at least one order first."))
        return redirect(back)
    reason = request.POST.get("reason", "").strip()
    done, failed = [], []
    for order in selectors.order_list_by_codes(codes=codes):
        kwargs = {"reason": reason} if action == "cancel" else {}
        try:
            service(order=order, actor=request.user, **kwargs)
            done.append(order.code)
        except DomainError as exc:
            failed.append((order.code, exc.message))
    if done:
        message = (
            ngettext("%(n)s order confirmed.", "%(n)s orders confirmed.", len(done))
            if action == "confirm"
            else ngettext("%(n)s order cancelled.", "%(n)s orders cancelled.", len(done))
        )
        messages.success(request, message % {"n": len(done)})
    for code, reason_text in failed:
        messages.error(request, _("%(code)s: %(reason)s") % {"code": code, "reason": reason_text})
    return redirect(back)


# --- the search box of every page ------------------------------------------------------------


@login_required
@require_GET
def find(request):
    """The search box in the top bar: an order code (DH14), a tracking number, a phone or a
    name goes straight to the order or customer when there is one, else to the list found."""
    q = (request.GET.get("find") or request.GET.get("q") or "").strip()[:100]
    user = request.user
    can_orders = user.has_perm("orders.view_order")
    can_customers = user.has_perm("customers.view_customer")
    if not q:
        return redirect("web:dashboard")
    if can_orders:
        found = selectors.order_list(
            filters=selectors.OrderFilters(q=q), limit=2, with_counts=False
        ).orders
        if len(found) == 1 and (selectors.is_order_code(q) or not can_customers):
            return redirect("orders:order_detail", code=found[0].code)
    if can_customers:
        customers = list(customer_list(q=q)[:2])
        if len(customers) == 1:
            return redirect("customers:customer_detail", pk=customers[0].pk)
        if customers:
            return redirect(reverse("customers:customer_list") + "?" + urlencode({"q": q}))
    if can_orders:
        if len(found) == 1:
            return redirect("orders:order_detail", code=found[0].code)
        return redirect(reverse("orders:order_list") + "?" + urlencode({"q": q}))
    raise PermissionDenied


# --- picking list -------------------------------------------------------------------------------


@permission_required_403("orders.view_order")
def picking_list(request):
    from donhang.orders.pdf import picking_list_pdf

    if request.method == "POST":
        codes = request.POST.getlist("codes")
    else:
        codes = (request.GET.get("codes") or "").split(",")
    codes = [c.strip().upper() for c in codes if c.strip()][:500]
    if not codes:
        messages.warning(request, _("Select at least one order first."))
        return redirect("orders:order_list")
    orders = selectors.orders_for_picking(codes=codes)
    if not orders:
        raise Http404(_("None of these orders exist."))
    response = HttpResponse(picking_list_pdf(orders), content_type="application/pdf")
    filename = "picking-" + (orders[0].code if len(orders) == 1 else f"{len(orders)}-orders")
    response["Content-Disposition"] = f'inline; filename="{filename}.pdf"'
    return response
