import pytest
from django.core.management import call_command

from donhang.accounts.services import api_key_create, user_create
from donhang.core.errors import ValidationFailed
from donhang.customers.models import Province, Ward
from donhang.customers.selectors import address_units_resolve, province_list, ward_list

pytestmark = pytest.mark.django_db

HANOI, HOAN_KIEM = 1, 70
HCMC, BEN_THANH = 79, 26743


def test_all_units_of_2025_are_loaded():
    assert Province.objects.count() == 34
    assert Ward.objects.count() == 3321
    assert Ward.objects.get(code=HOAN_KIEM).province_id == HANOI
    assert Province.objects.get(code=HCMC).name == "Thành phố Hồ Chí Minh"


def test_provinces_sort_by_their_proper_name():
    names = [p.name for p in province_list()]
    assert names.index("Thành phố Hồ Chí Minh") < names.index("Khánh Hòa")
    assert names.index("An Giang") == 0


def test_ward_search_ignores_diacritics_and_province():
    found = list(ward_list(province_code=HANOI, search="hoan kiem"))
    assert [w.code for w in found] == [HOAN_KIEM]
    assert list(ward_list(province_code=HCMC, search="hoan kiem")) == []


def test_ward_of_another_province_is_rejected_naming_ward():
    with pytest.raises(ValidationFailed) as caught:
        address_units_resolve(province=HCMC, ward=HOAN_KIEM)
    assert set(caught.value.fields) == {"ward"}


def test_ward_alone_brings_its_province():
    province, ward = address_units_resolve(province=None, ward=HOAN_KIEM)
    assert (province.code, ward.code) == (HANOI, HOAN_KIEM)


def test_unknown_codes_are_rejected():
    with pytest.raises(ValidationFailed) as caught:
        address_units_resolve(province=999, ward=None)
    assert "province" in caught.value.fields
    with pytest.raises(ValidationFailed) as caught:
        address_units_resolve(province=HANOI, ward="x")
    assert "ward" in caught.value.fields


@pytest.fixture
def sales_client(client):
    user_create(username="lan", password="a-long-pass-123", role="sales")
    client.login(username="lan", password="a-long-pass-123")
    return client


def test_ward_options_lists_only_that_provinces_wards(sales_client):
    response = sales_client.get("/customers/wards/", {"province": HANOI})
    body = response.content.decode()
    assert response.status_code == 200
    hanoi_wards = Ward.objects.filter(province_id=HANOI).count()
    # One empty option plus the province's wards.
    assert body.count("<option") == hanoi_wards + 1
    assert f'value="{HOAN_KIEM}"' in body
    assert f'value="{BEN_THANH}"' not in body


def test_ward_options_reads_a_prefixed_field(sales_client):
    response = sales_client.get(
        "/customers/wards/", {"field": "shipping-province", "shipping-province": HCMC}
    )
    assert f'value="{BEN_THANH}"' in response.content.decode()


def test_ward_options_without_province_has_only_the_empty_option(sales_client):
    for params in ({}, {"province": "abc"}, {"province": "999"}):
        response = sales_client.get("/customers/wards/", params)
        assert response.content.decode().count("<option") == 1


def test_ward_options_need_a_login(client):
    response = client.get("/customers/wards/", {"province": HANOI})
    assert response.status_code == 302
    assert "/accounts/login/" in response["Location"]


@pytest.fixture
def api_headers():
    _key, raw = api_key_create(name="shop", role="sales")
    return {"Authorization": f"Bearer {raw}"}


def test_api_lists_provinces(client, api_headers):
    response = client.get("/api/v1/provinces", headers=api_headers)
    assert response.status_code == 200
    assert len(response.json()) == 34
    assert {"code": HANOI, "name": "Thành phố Hà Nội"} in response.json()


def test_api_lists_wards_of_a_province_with_search(client, api_headers):
    response = client.get(f"/api/v1/provinces/{HANOI}/wards", headers=api_headers)
    assert response.status_code == 200
    assert len(response.json()) == Ward.objects.filter(province_id=HANOI).count()
    response = client.get(
        f"/api/v1/provinces/{HANOI}/wards", {"q": "Hoàn Kiếm"}, headers=api_headers
    )
    assert response.json() == [{"code": HOAN_KIEM, "name": "Phường Hoàn Kiếm", "province": HANOI}]


def test_api_unknown_province_is_404_and_bad_code_is_422(client, api_headers):
    response = client.get("/api/v1/provinces/999/wards", headers=api_headers)
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"
    response = client.get("/api/v1/provinces/abc/wards", headers=api_headers)
    assert response.status_code == 422


def test_api_needs_a_key(client):
    assert client.get("/api/v1/provinces").status_code == 401


@pytest.mark.django_db(transaction=True)
def test_units_come_back_after_a_database_flush():
    # Transactional tests (browser, concurrency) flush the database after each test.
    call_command("flush", interactive=False, verbosity=0)
    assert Province.objects.count() == 34
    assert Ward.objects.count() == 3321
