"""Inputs an API fuzzer found that used to answer 500."""

import pytest

from donhang.accounts.services import api_key_create
from donhang.purchasing import services as purchasing

pytestmark = pytest.mark.django_db


@pytest.fixture
def api(client):
    _key, raw = api_key_create(name="fuzz", role="owner")
    client.defaults["HTTP_AUTHORIZATION"] = f"Bearer {raw}"
    return client


@pytest.mark.parametrize(
    "url",
    [
        "/api/v1/products?offset=12320805012681564421619712",
        "/api/v1/variants?offset=758923149360940189957821969995923456",
        "/api/v1/products/99999999999999999999999999",
        "/api/v1/orders?cursor=99999999999999999999999999",
    ],
)
def test_numbers_no_column_can_hold_are_422(api, url):
    response = api.get(url)

    assert response.status_code in (404, 422), response.content
    assert "error" in response.json()


def test_patching_a_supplier_with_null_keeps_the_value(api):
    supplier = purchasing.supplier_create(name="Công ty TNHH An Phát")

    response = api.patch(
        f"/api/v1/suppliers/{supplier.pk}",
        {"name": "An Phát", "is_active": None},
        content_type="application/json",
    )

    assert response.status_code == 200, response.content
    supplier.refresh_from_db()
    assert (supplier.name, supplier.is_active) == ("An Phát", True)
