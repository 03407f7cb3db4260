from django.contrib.auth.decorators import login_required
from django.shortcuts import render

from donhang.core import hooks
from donhang.marketplaces.selectors import connections_with_problems
from donhang.web.selectors import dashboard_summary


@login_required
def dashboard(request):
    # The figures come from the app that keeps them (donhang.reports, above every other app,
    # hands the page over through the hook); without it, the shell's own summary.
    page = hooks.first("web.dashboard", request=request)
    if page is not None:
        return render(request, page.pop("template"), page)
    summary = dashboard_summary(include_revenue=request.user.has_perm("accounts.view_revenue"))
    # Marketplace shops whose stock pushes fail or whose authorization must be renewed.
    marketplace_problems = (
        connections_with_problems()
        if request.user.has_perm("marketplaces.view_shopconnection")
        else []
    )
    return render(
        request,
        "web/dashboard.html",
        {"summary": summary, "marketplace_problems": marketplace_problems},
    )
