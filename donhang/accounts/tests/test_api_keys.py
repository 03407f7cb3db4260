import re
from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.db.models import ProtectedError
from django.test import Client
from django.urls import reverse
from django.utils import timezone, translation

from donhang.accounts.models import ApiKey
from donhang.accounts.principal import Principal
from donhang.core.errors import PermissionDenied
from donhang.core.models import AuditEntry

pytestmark = pytest.mark.django_db

KEY_PATTERN = re.compile(r"dh_[0-9a-f]{8}_[A-Za-z0-9_-]{40,}")


def call_me(raw_key: str):
    # A fresh client without a session: only the key can authenticate the call.
    return Client().get("/api/v1/me", HTTP_AUTHORIZATION=f"Bearer {raw_key}")


def create_in_ui(owner_client, name="Website", role="sales") -> tuple[str, object]:
    response = owner_client.post(reverse("accounts:api_key_create"), {"name": name, "role": role})
    assert response.status_code == 302
    shown = owner_client.get(response["Location"])
    match = KEY_PATTERN.search(shown.text)
    assert match, shown.text
    return match.group(0), shown


def test_owner_creates_a_key_that_is_shown_once_and_works(owner_client):
    raw_key, shown = create_in_ui(owner_client)

    assert shown.status_code == 200
    assert "It is shown only this once" in shown.text
    assert "no-store" in shown["Cache-Control"]
    key = ApiKey.objects.get()
    assert key.name == "Website"
    assert key.role.name == "sales"
    assert key.created_by.username == "chu"
    assert raw_key not in key.key_hash
    # Shown once: the same page, the list and the audit log never show it again.
    again = owner_client.get(reverse("accounts:api_key_created", args=[key.pk]))
    assert raw_key not in again.text
    assert "already shown once" in again.text
    listing = owner_client.get(reverse("accounts:api_key_list"))
    assert raw_key not in listing.text
    assert key.prefix in listing.text
    assert not AuditEntry.objects.filter(summary__contains=raw_key).exists()

    response = call_me(raw_key)

    assert response.status_code == 200
    assert response.json() == {"username": "chu", "role": "sales", "via": "api_key"}
    key.refresh_from_db()
    assert key.last_used_at is not None


def test_key_list_shows_name_prefix_role_creator_and_last_use(owner_client):
    raw_key, _ = create_in_ui(owner_client, name="Kế toán MISA", role="accountant")
    call_me(raw_key)

    response = owner_client.get(reverse("accounts:api_key_list"))

    key = ApiKey.objects.get()
    row = re.search(rf'<tr data-api-key-prefix="{key.prefix}".*?</tr>', response.text, re.S).group(
        0
    )
    assert "Kế toán MISA" in row
    assert "Accountant" in row
    assert "chu" in row
    assert "never" not in row
    assert "Revoke" in row


def test_key_form_explains_what_is_missing(owner_client):
    response = owner_client.post(reverse("accounts:api_key_create"), {"name": "", "role": "sales"})

    assert response.status_code == 422
    assert "This field is required." in response.text
    assert not ApiKey.objects.exists()


def test_a_revoked_key_is_refused(owner_client):
    raw_key, _ = create_in_ui(owner_client)
    key = ApiKey.objects.get()

    response = owner_client.post(reverse("accounts:api_key_revoke", args=[key.pk]), follow=True)

    assert "is revoked" in response.text
    key.refresh_from_db()
    assert key.revoked_at is not None
    refused = call_me(raw_key)
    assert refused.status_code == 401
    assert refused.json()["error"]["code"] == "unauthorized"


@pytest.mark.parametrize(
    "raw_key", ["dh_00000000_not-a-real-key-at-all-000000000000000000", "nonsense", ""]
)
def test_an_unknown_key_is_401_with_the_error_shape(raw_key):
    response = call_me(raw_key)

    assert response.status_code == 401
    error = response.json()["error"]
    assert error["code"] == "unauthorized"
    assert error["message"]
    assert error["fields"] == {}


def test_a_key_with_a_known_prefix_but_wrong_secret_is_refused(owner_client):
    raw_key, _ = create_in_ui(owner_client)

    assert call_me(raw_key[:-4] + "AAAA").status_code == 401


def test_me_over_the_session(owner_client):
    response = owner_client.get("/api/v1/me")

    assert response.json() == {"username": "chu", "role": "owner", "via": "session"}


def test_a_key_may_do_what_its_role_may_do(owner_client):
    create_in_ui(owner_client, name="Shop", role="sales")

    principal = Principal.for_api_key(ApiKey.objects.get(name="Shop"))

    assert principal.has_perm("catalog.view_product")
    with pytest.raises(PermissionDenied):
        principal.require("accounts.change_user")
    assert principal.audit_label == "API key Shop"


def test_create_api_key_command_prints_a_working_key():
    out, err = StringIO(), StringIO()

    with translation.override("en"):
        call_command("create_api_key", "Website", "--role", "warehouse", stdout=out, stderr=err)

    raw_key = out.getvalue().strip()
    assert KEY_PATTERN.fullmatch(raw_key)
    assert "shown only now" in err.getvalue()
    response = call_me(raw_key)
    assert response.status_code == 200
    assert response.json() == {"username": None, "role": "warehouse", "via": "api_key"}


def test_create_api_key_command_rejects_an_unknown_role():
    with translation.override("en"), pytest.raises(CommandError) as error:
        call_command("create_api_key", "Website", "--role", "boss", stdout=StringIO())

    # manage.py prints a CommandError on stderr and exits with its return code.
    assert error.value.returncode == 1
    assert "Unknown role “boss”. Choose one of: owner, manager" in str(error.value)
    assert not ApiKey.objects.exists()


def test_deactivating_a_person_stops_the_keys_they_created(owner_client, make_user):
    # Issue 9: API keys outlived the person who made them.
    second_owner = make_user("chu2", "owner", last_name="Trần", first_name="Văn Minh")
    their_client = Client()
    their_client.force_login(second_owner)
    raw_key, _ = create_in_ui(their_client, name="Website", role="sales")
    assert call_me(raw_key).status_code == 200

    owner_client.post(
        reverse("accounts:staff_set_active", args=[second_owner.pk]), {"is_active": "0"}
    )

    refused = call_me(raw_key)
    assert refused.status_code == 401
    assert refused.json()["error"]["code"] == "unauthorized"
    listing = owner_client.get(reverse("accounts:api_key_list")).text
    row = re.search(r"<tr data-api-key-prefix=.*?</tr>", listing, re.S).group(0)
    assert "Stopped: its creator is deactivated" in row
    assert "Trần Văn Minh" in row and "chu2" in row and "Owner" in row
    # and they work again when the person is back
    owner_client.post(
        reverse("accounts:staff_set_active", args=[second_owner.pk]), {"is_active": "1"}
    )
    assert call_me(raw_key).status_code == 200


def test_a_person_with_keys_cannot_be_deleted_only_deactivated(owner_client, owner):
    create_in_ui(owner_client)

    # Deleting would leave a key without a creator, which is a command-line key that never stops.
    with pytest.raises(ProtectedError):
        owner.delete()


def test_last_use_is_written_at_most_once_a_minute(owner_client):
    raw_key, _ = create_in_ui(owner_client)
    call_me(raw_key)
    key = ApiKey.objects.get()
    first = key.last_used_at

    call_me(raw_key)
    key.refresh_from_db()
    assert key.last_used_at == first

    ApiKey.objects.filter(pk=key.pk).update(last_used_at=first - timedelta(minutes=2))
    call_me(raw_key)
    key.refresh_from_db()
    assert key.last_used_at > first - timedelta(minutes=2)
    assert timezone.now() - key.last_used_at < timedelta(seconds=30)


def test_command_line_keys_say_so_in_the_list(owner_client):
    out, err = StringIO(), StringIO()
    call_command("create_api_key", "Cron", "--role", "accountant", stdout=out, stderr=err)

    listing = owner_client.get(reverse("accounts:api_key_list")).text

    row = re.search(r"<tr data-api-key-prefix=.*?</tr>", listing, re.S).group(0)
    assert "command line" in row
    assert call_me(out.getvalue().strip()).status_code == 200
