import pytest

pytestmark = pytest.mark.django_db


def test_openapi_schema_is_served(client):
    response = client.get("/api/v1/openapi.json")

    assert response.status_code == 200
    assert response.json()["info"]["title"] == "donhang API"


def test_docs_page_is_served(client):
    assert client.get("/api/v1/docs").status_code == 200


def test_unknown_key_is_401_with_the_error_shape(client):
    response = client.get("/api/v1/warehouses", headers={"Authorization": "Bearer dh_nope_nope"})

    assert response.status_code == 401
    body = response.json()
    assert body["error"]["code"] == "unauthorized"
    assert body["error"]["fields"] == {}


def test_missing_key_is_401(client):
    assert client.get("/api/v1/warehouses").status_code == 401
