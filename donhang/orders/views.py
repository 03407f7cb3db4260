from django.contrib.auth.decorators import login_required
from django.shortcuts import render


@login_required
def order_list(request):
    return render(request, "web/planned.html", {"area_title": "Orders"})
