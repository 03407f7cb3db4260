from django.contrib.auth.decorators import login_required
from django.shortcuts import render
from django.views.decorators.http import require_GET

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
    if raw.isdigit():
        wards = ward_list(province_code=int(raw), search=request.GET.get("q", ""))
    return render(
        request,
        "customers/partials/ward_options.html",
        {"wards": wards, "selected": request.GET.get("selected", "")},
    )
