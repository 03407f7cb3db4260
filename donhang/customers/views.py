"""Customer pages (the CRM). Each view validates, calls one service or selector, renders."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET

from donhang.accounts.decorators import permission_required_403
from donhang.core.errors import DomainError, NotFound
from donhang.core.text import plain_int
from donhang.customers import selectors, services
from donhang.customers.forms import (
    CustomerAddressForm,
    CustomerForm,
    CustomerMergeForm,
    CustomerSearchForm,
)
from donhang.customers.selectors import ward_list


@login_required
@require_GET
def ward_options(request):
    """`<option>`s of one province's wards, for the htmx province → ward select.

    The province code is in `province`, or in the parameter named by `field` (a prefixed
    form field). An unknown or missing province gives just the empty option.
    """
    param = request.GET.get("field") or "province"
    raw = request.GET.get(param) or request.GET.get("province") or ""
    wards = []
    province_code = plain_int(raw)
    if province_code is not None:
        wards = ward_list(province_code=province_code, search=request.GET.get("q", ""))
    return render(
        request,
        "customers/partials/ward_options.html",
        {"wards": wards, "selected": request.GET.get("selected", "")},
    )


def _customer_or_404(pk: int):
    try:
        return selectors.customer_get(pk=pk)
    except NotFound:
        raise Http404 from None


def _int_or_none(value) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def _order_urls(orders) -> None:
    """Link each order to its page; the order pages may not exist yet (no link then)."""
    for order in orders:
        try:
            order.detail_url = reverse("orders:order_detail", args=[order.code])
        except NoReverseMatch:
            order.detail_url = ""


@permission_required_403("customers.view_customer")
@require_GET
def customer_list(request):
    search = CustomerSearchForm(request.GET or None)
    search.is_valid()
    q = search.cleaned_data.get("q", "") if search.is_bound else ""
    duplicates = bool(search.cleaned_data.get("duplicates")) if search.is_bound else False
    page = selectors.customer_list_page(q=q, duplicates=duplicates, page=request.GET.get("page"))
    return render(
        request,
        "customers/customer_list.html",
        {"page_obj": page.page_obj, "q": page.q, "duplicates": page.duplicates},
    )


@permission_required_403("customers.view_customer")
@require_GET
def customer_detail(request, pk: int):
    try:
        profile = selectors.customer_profile(
            pk=pk,
            after=_int_or_none(request.GET.get("after")),
            before=_int_or_none(request.GET.get("before")),
        )
    except NotFound:
        raise Http404 from None
    if profile.kept_id is not None:
        messages.info(
            request,
            _("Customer #%(id)s was merged into this one.") % {"id": profile.customer.pk},
        )
        return redirect("customers:customer_detail", pk=profile.kept_id)
    _order_urls(profile.orders.orders)
    return render(request, "customers/customer_detail.html", {"profile": profile})


@permission_required_403("customers.add_customer")
def customer_create(request):
    form = CustomerForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            customer = services.customer_create(**form.cleaned_data, actor=request.user)
        except DomainError as error:
            form.add_domain_error(error)
        else:
            messages.success(request, _("Customer %(name)s created.") % {"name": customer.name})
            return redirect("customers:customer_detail", pk=customer.pk)
    return render(request, "customers/customer_form.html", {"form": form, "customer": None})


@permission_required_403("customers.change_customer")
def customer_edit(request, pk: int):
    customer = _customer_or_404(pk)
    if customer.merged_into_id:
        return redirect("customers:customer_detail", pk=customer.pk)
    form = CustomerForm(request.POST or None, initial=CustomerForm.initial_for(customer))
    if request.method == "POST" and form.is_valid():
        try:
            services.customer_update(customer=customer, **form.cleaned_data, actor=request.user)
        except DomainError as error:
            form.add_domain_error(error)
        else:
            messages.success(request, _("Customer %(name)s saved.") % {"name": customer.name})
            return redirect("customers:customer_detail", pk=customer.pk)
    return render(request, "customers/customer_form.html", {"form": form, "customer": customer})


@permission_required_403("customers.change_customer")
def customer_address_add(request, pk: int):
    customer = _customer_or_404(pk)
    if customer.merged_into_id:
        return redirect("customers:customer_detail", pk=customer.pk)
    form = CustomerAddressForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.customer_address_add(
                customer=customer,
                line=data["line"],
                province=data["province"],
                ward=data["ward"],
                recipient_name=data["recipient_name"],
                phone=data["phone"],
                is_default=data["is_default"],
                actor=request.user,
            )
        except DomainError as error:
            form.add_domain_error(error)
        else:
            messages.success(request, _("Address added."))
            return redirect("customers:customer_detail", pk=customer.pk)
    return render(request, "customers/address_form.html", {"form": form, "customer": customer})


@permission_required_403("customers.merge_customer")
def customer_merge(request, pk: int):
    customer = _customer_or_404(pk)
    if customer.merged_into_id:
        return redirect("customers:customer_detail", pk=customer.pk)
    candidates = selectors.customer_merge_candidates(customer=customer)
    initial = {"keep": customer.pk, "duplicates": [c.pk for c in candidates if c.pk != customer.pk]}
    form = CustomerMergeForm(request.POST or None, initial=initial, candidates=candidates)
    if request.method == "POST" and form.is_valid():
        try:
            kept = services.customer_merge(
                keep=form.cleaned_data["keep_customer"],
                duplicates=form.cleaned_data["duplicate_customers"],
                actor=request.user,
            )
        except DomainError as error:
            form.add_domain_error(error)
        else:
            count = len(form.cleaned_data["duplicate_customers"])
            messages.success(
                request,
                ngettext(
                    "%(count)s customer merged into %(name)s.",
                    "%(count)s customers merged into %(name)s.",
                    count,
                )
                % {"count": count, "name": kept.name},
            )
            return redirect("customers:customer_detail", pk=kept.pk)
    return render(
        request,
        "customers/customer_merge.html",
        {"form": form, "customer": customer, "candidates": candidates},
    )
