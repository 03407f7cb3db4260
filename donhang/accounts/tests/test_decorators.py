import pytest
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.test import RequestFactory
from django.views import View

from donhang.accounts.decorators import PermissionRequired403Mixin, permission_required_403

pytestmark = pytest.mark.django_db


@permission_required_403(["catalog.view_product", "catalog.view_cost"])
def costs(request):
    return HttpResponse("costs")


class CostsView(PermissionRequired403Mixin, View):
    permission_required = "catalog.view_cost"

    def get(self, request):
        return HttpResponse("costs")


def request_as(user):
    request = RequestFactory().get("/costs/")
    request.user = user
    return request


@pytest.mark.parametrize("view", [costs, CostsView.as_view()])
def test_visitors_are_sent_to_log_in(view):
    response = view(request_as(AnonymousUser()))

    assert response.status_code == 302
    assert response["Location"] == "/accounts/login/?next=/costs/"


@pytest.mark.parametrize("view", [costs, CostsView.as_view()])
def test_a_role_without_the_permission_gets_403(view, make_user):
    with pytest.raises(PermissionDenied):
        view(request_as(make_user("ban-hang", "sales")))


@pytest.mark.parametrize("view", [costs, CostsView.as_view()])
def test_a_role_with_the_permission_gets_the_page(view, make_user):
    response = view(request_as(make_user("ke-toan", "accountant")))

    assert response.status_code == 200
    assert response.content == b"costs"
