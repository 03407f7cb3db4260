"""An API request costs one query for its key: the role's permissions are cached per role, and a
revoked key, a deactivated creator or a changed role takes effect on the very next request."""

import pytest
from django.contrib.auth.models import Permission
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from donhang.accounts.models import ApiKey
from donhang.accounts.services import api_key_create, api_key_revoke, user_create
from donhang.api import auth

pytestmark = pytest.mark.django_db(transaction=True)  # the cache holds only committed rows


@pytest.fixture(autouse=True)
def _empty_cache():
    auth._role_permissions.clear()
    yield
    auth._role_permissions.clear()


def _permission_reads(ctx) -> int:
    return sum('"auth_permission"' in q["sql"] for q in ctx.captured_queries)


def _client(role="sales", creator=None):
    key, raw = api_key_create(name=f"key-{role}", role=role, actor=creator)
    return key, Client(headers={"Authorization": f"Bearer {raw}"})


def test_permissions_are_read_once_per_role():
    _key, client = _client()
    assert client.get("/api/v1/orders").status_code == 200

    with CaptureQueriesContext(connection) as ctx:
        assert client.get("/api/v1/orders").status_code == 200
    assert _permission_reads(ctx) == 0
    assert sum('"accounts_apikey"' in q["sql"] for q in ctx.captured_queries) == 1


def test_a_revoked_key_stops_at_its_next_request():
    key, client = _client()
    assert client.get("/api/v1/orders").status_code == 200

    api_key_revoke(api_key=key)

    assert client.get("/api/v1/orders").status_code == 401


def test_a_deactivated_creator_stops_the_key_at_once():
    owner = user_create(username="chu", password="mat-khau-123", role="owner")
    _key, client = _client(creator=owner)
    assert client.get("/api/v1/orders").status_code == 200

    owner.is_active = False
    owner.save(update_fields=["is_active"])

    assert client.get("/api/v1/orders").status_code == 401


def test_a_changed_role_applies_to_the_next_request():
    key, client = _client("sales")
    assert client.get("/api/v1/orders").status_code == 200

    view = Permission.objects.get(content_type__app_label="orders", codename="view_order")
    key.role.permissions.remove(view)  # an owner edits the role

    assert client.get("/api/v1/orders").status_code == 403

    ApiKey.objects.filter(pk=key.pk).update(role=key.role.__class__.objects.get(name="manager"))
    assert client.get("/api/v1/orders").status_code == 200  # the key's role is read every time
