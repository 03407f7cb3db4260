import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from donhang.accounts.models import User
from donhang.accounts.services import user_set_active, user_set_role
from donhang.accounts.tests.conftest import PASSWORD
from donhang.core.errors import Conflict
from donhang.core.models import AuditEntry

pytestmark = pytest.mark.django_db

NEW_STAFF = {
    "username": "kho-hcm",
    "last_name": "Phạm",
    "first_name": "Quốc Huy",
    "email": "huy@example.vn",
    "phone": "0912 345 678",
    "role": "warehouse",
    "password1": "kho-hang-2026-an-toan",
    "password2": "kho-hang-2026-an-toan",
}


@pytest.mark.parametrize("role", ["manager", "sales", "warehouse", "accountant"])
@pytest.mark.parametrize(
    ("name", "method"),
    [
        ("accounts:staff_list", "get"),
        ("accounts:staff_create", "get"),
        ("accounts:staff_create", "post"),
        ("accounts:api_key_list", "get"),
        ("accounts:api_key_create", "post"),
    ],
)
def test_staff_and_api_key_pages_are_403_for_everyone_but_owners(
    client, make_user, role, name, method
):
    client.force_login(make_user("nhan-vien", role))

    response = getattr(client, method)(reverse(name), NEW_STAFF if method == "post" else None)

    assert response.status_code == 403
    assert not User.objects.filter(username="kho-hcm").exists()


def test_actions_on_one_staff_member_are_403_for_non_owners(client, make_user, owner):
    client.force_login(make_user("quan-ly", "manager"))

    assert (
        client.post(
            reverse("accounts:staff_set_role", args=[owner.pk]), {"role": "sales"}
        ).status_code
        == 403
    )
    assert (
        client.post(
            reverse("accounts:staff_set_active", args=[owner.pk]), {"is_active": "0"}
        ).status_code
        == 403
    )
    assert client.get(reverse("accounts:staff_password_reset", args=[owner.pk])).status_code == 403
    owner.refresh_from_db()
    assert owner.is_active
    assert owner.role == "owner"


def test_staff_page_sends_visitors_to_log_in(client):
    response = client.get(reverse("accounts:staff_list"))

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:login"))


def test_owner_sees_staff_with_role_and_status(owner_client, make_user):
    make_user("ban-hang", "sales", last_name="Lê", first_name="Thu Hà", phone="0903123456")

    response = owner_client.get(reverse("accounts:staff_list"))

    assert response.status_code == 200
    assert "Nguyễn Thị Lan" in response.text
    assert "Lê Thu Hà" in response.text
    assert "0903 123 456" in response.text
    assert 'data-username="ban-hang"' in response.text
    assert response.text.count("Active") >= 2


def test_staff_list_queries_do_not_grow_with_staff(owner_client, make_user):
    owner_client.get(reverse("accounts:staff_list"))
    with CaptureQueriesContext(connection) as few:
        owner_client.get(reverse("accounts:staff_list"))
    for number in range(10):
        make_user(f"nv-{number}", "sales")

    with CaptureQueriesContext(connection) as many:
        owner_client.get(reverse("accounts:staff_list"))

    assert len(many) == len(few), [q["sql"] for q in many]


def test_owner_creates_a_staff_member_who_can_log_in(owner_client):
    response = owner_client.post(reverse("accounts:staff_create"), NEW_STAFF, follow=True)

    assert response.redirect_chain[-1][0] == reverse("accounts:staff_list")
    assert "Phạm Quốc Huy can now log in as kho-hcm." in response.text
    user = User.objects.get(username="kho-hcm")
    assert user.role == "warehouse"
    assert user.get_full_name() == "Phạm Quốc Huy"
    assert user.phone == "+84912345678"
    assert user.has_perm("inventory.view_stockmovement")
    assert not user.has_perm("accounts.change_user")
    assert AuditEntry.objects.filter(action="user.create", object_id=str(user.pk)).exists()
    fresh = Client()
    assert fresh.login(username="kho-hcm", password="kho-hang-2026-an-toan")


@pytest.mark.parametrize(
    ("change", "error"),
    [
        ({"username": "CHU"}, "This username is taken."),
        ({"username": "có dấu cách"}, "Enter a valid username"),
        ({"phone": "12345"}, "Enter a phone number such as 0912 345 678."),
        ({"role": "boss"}, "Select a valid choice"),
        ({"role": ""}, "This field is required."),
        ({"password1": "abc", "password2": "abc"}, "too short"),
        ({"password2": "khac-han-2026-an-toan"}, "The two passwords do not match."),
    ],
)
def test_staff_form_explains_what_is_wrong(owner_client, change, error):
    response = owner_client.post(reverse("accounts:staff_create"), {**NEW_STAFF, **change})

    assert response.status_code == 200
    assert error in response.text
    assert User.objects.count() == 1


def test_owner_changes_a_role(owner_client, make_user):
    user = make_user("ban-hang", "sales")

    response = owner_client.post(
        reverse("accounts:staff_set_role", args=[user.pk]), {"role": "manager"}, follow=True
    )

    assert "ban-hang is now Manager." in response.text
    user = User.objects.get(pk=user.pk)
    assert user.role == "manager"
    assert user.has_perm("catalog.add_product")


def test_owner_deactivates_and_reactivates(owner_client, make_user):
    user = make_user("ban-hang", "sales")
    session = Client()
    session.force_login(user)

    response = owner_client.post(
        reverse("accounts:staff_set_active", args=[user.pk]), {"is_active": "0"}, follow=True
    )

    assert "ban-hang is deactivated and can no longer log in." in response.text
    user.refresh_from_db()
    assert not user.is_active
    assert session.get(reverse("web:dashboard")).status_code == 302
    assert not Client().login(username="ban-hang", password=PASSWORD)

    owner_client.post(reverse("accounts:staff_set_active", args=[user.pk]), {"is_active": "1"})

    user.refresh_from_db()
    assert user.is_active
    assert Client().login(username="ban-hang", password=PASSWORD)


def test_an_owner_cannot_deactivate_themselves(owner_client, owner, make_user):
    make_user("chu-2", "owner")

    response = owner_client.post(
        reverse("accounts:staff_set_active", args=[owner.pk]), {"is_active": "0"}, follow=True
    )

    assert "You cannot deactivate your own account." in response.text
    owner.refresh_from_db()
    assert owner.is_active


def test_an_owner_cannot_drop_their_own_owner_role(owner_client, owner, make_user):
    make_user("chu-2", "owner")

    response = owner_client.post(
        reverse("accounts:staff_set_role", args=[owner.pk]), {"role": "sales"}, follow=True
    )

    assert "You cannot take away your own owner role" in response.text
    assert User.objects.get(pk=owner.pk).role == "owner"


def test_one_owner_may_demote_or_deactivate_another(owner_client, make_user):
    second = make_user("chu-2", "owner")
    third = make_user("chu-3", "owner")

    owner_client.post(reverse("accounts:staff_set_role", args=[second.pk]), {"role": "manager"})
    owner_client.post(reverse("accounts:staff_set_active", args=[third.pk]), {"is_active": "0"})

    assert User.objects.get(pk=second.pk).role == "manager"
    assert not User.objects.get(pk=third.pk).is_active


def test_the_last_active_owner_cannot_be_demoted_or_deactivated(client, make_user, owner):
    # A superuser without the owner role reaches the page (it has every permission) but still
    # cannot leave the shop without an active owner.
    admin = make_user("quan-tri", "manager")
    admin.is_superuser = True
    admin.save()
    retired_owner = make_user("chu-cu", "owner")
    User.objects.filter(pk=retired_owner.pk).update(is_active=False)
    client.force_login(admin)

    demote = client.post(
        reverse("accounts:staff_set_role", args=[owner.pk]), {"role": "sales"}, follow=True
    )
    deactivate = client.post(
        reverse("accounts:staff_set_active", args=[owner.pk]), {"is_active": "0"}, follow=True
    )

    message = "chu is the last active owner. Give another active staff member the owner role first."
    assert message in demote.text
    assert message in deactivate.text
    owner = User.objects.get(pk=owner.pk)
    assert owner.is_active
    assert owner.role == "owner"


def test_last_owner_guard_holds_for_any_caller(owner):
    with pytest.raises(Conflict):
        user_set_active(user=owner, is_active=False, actor=None)
    with pytest.raises(Conflict):
        user_set_role(user=owner, role="manager", actor=None)


def test_owner_resets_a_password(owner_client, make_user):
    user = make_user("ban-hang", "sales")

    page = owner_client.get(reverse("accounts:staff_password_reset", args=[user.pk]))
    weak = owner_client.post(
        reverse("accounts:staff_password_reset", args=[user.pk]),
        {"new_password1": "12345678", "new_password2": "12345678"},
    )
    response = owner_client.post(
        reverse("accounts:staff_password_reset", args=[user.pk]),
        {"new_password1": "mat-khau-moi-2027-xx", "new_password2": "mat-khau-moi-2027-xx"},
        follow=True,
    )

    assert page.status_code == 200
    assert "too common" in weak.text or "entirely numeric" in weak.text
    assert "The password of ban-hang has been reset." in response.text
    assert Client().login(username="ban-hang", password="mat-khau-moi-2027-xx")
    assert AuditEntry.objects.filter(action="user.reset_password", actor_label="chu").exists()


def test_unknown_staff_member_is_404(owner_client):
    assert owner_client.get(reverse("accounts:staff_password_reset", args=[999])).status_code == 404
