from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from donhang.accounts.models import LoginFailure
from donhang.accounts.tests.conftest import PASSWORD
from donhang.core.errors import ValidationFailed

pytestmark = pytest.mark.django_db

LOCKED = "Too many failed log-in attempts"


def log_in(client, username, password, **extra):
    return client.post(
        reverse("accounts:login"), {"username": username, "password": password}, **extra
    )


def is_logged_in(client) -> bool:
    return "_auth_user_id" in client.session


def test_login_page_is_a_card_with_the_language_switch_and_no_navbar(client):
    response = client.get(reverse("accounts:login"))

    assert response.status_code == 200
    assert 'id="login-form"' in response.text
    assert 'name="username"' in response.text
    assert 'name="password"' in response.text
    assert 'type="submit"' in response.text
    assert 'id="language-switch"' in response.text
    assert "navbar" not in response.text


def test_login_with_the_right_password_goes_to_the_dashboard(client, owner):
    response = log_in(client, "chu", PASSWORD)

    assert response.status_code == 302
    assert response["Location"] == reverse("web:dashboard")
    assert is_logged_in(client)


def test_login_goes_back_to_the_page_asked_for(client, owner):
    response = client.post(
        reverse("accounts:login") + "?next=/catalog/products/",
        {"username": "chu", "password": PASSWORD, "next": "/catalog/products/"},
    )

    assert response["Location"] == "/catalog/products/"


def test_wrong_password_is_refused_and_recorded_with_the_address(client, owner):
    response = log_in(client, "chu", "sai-mat-khau", REMOTE_ADDR="203.0.113.7")

    assert response.status_code == 200
    assert "Please enter a correct username and password" in response.text
    assert not is_logged_in(client)
    failure = LoginFailure.objects.get()
    assert (failure.username, failure.ip_address) == ("chu", "203.0.113.7")


def test_five_failures_lock_the_username_even_for_the_right_password(client, owner):
    for _ in range(5):
        assert log_in(client, "chu", "sai-mat-khau").status_code == 200

    response = log_in(client, "chu", PASSWORD)

    assert response.status_code == 429
    assert LOCKED in response.text
    assert "Wait 15 minutes" in response.text
    assert not is_logged_in(client)
    # A refused attempt is not counted, so waiting out the window is enough.
    assert LoginFailure.objects.count() == 5


def test_the_lock_is_per_username_regardless_of_case(client, owner):
    for _ in range(5):
        log_in(client, "CHU", "sai-mat-khau")

    assert LOCKED in log_in(client, "chu", PASSWORD).text


def test_the_lock_says_the_same_for_a_username_that_does_not_exist(client, owner):
    for _ in range(5):
        log_in(client, "khong-co-ai", "sai-mat-khau")
        log_in(client, "chu", "sai-mat-khau")

    unknown = log_in(client, "khong-co-ai", "sai-mat-khau")
    known = log_in(client, "chu", "sai-mat-khau")

    assert unknown.status_code == known.status_code == 429
    assert "Wait 15 minutes" in unknown.text
    assert "Wait 15 minutes" in known.text


def test_the_wait_counts_down_and_the_lock_lifts_after_the_window(client, owner):
    for _ in range(5):
        log_in(client, "chu", "sai-mat-khau")
    LoginFailure.objects.update(at=timezone.now() - timedelta(minutes=11))

    assert "Wait 4 minutes" in log_in(client, "chu", PASSWORD).text

    LoginFailure.objects.update(at=timezone.now() - timedelta(minutes=16))
    assert log_in(client, "chu", PASSWORD).status_code == 302
    assert is_logged_in(client)


def test_one_address_guessing_many_usernames_is_locked_too(client, owner):
    for number in range(20):
        log_in(client, f"nguoi-{number}", "sai-mat-khau", REMOTE_ADDR="198.51.100.9")

    from_that_address = log_in(client, "chu", PASSWORD, REMOTE_ADDR="198.51.100.9")
    from_elsewhere = log_in(client, "chu", PASSWORD, REMOTE_ADDR="198.51.100.10")

    assert LOCKED in from_that_address.text
    assert from_elsewhere.status_code == 302


def test_a_successful_login_clears_the_failures(client, owner):
    for _ in range(4):
        log_in(client, "chu", "sai-mat-khau")

    assert log_in(client, "chu", PASSWORD).status_code == 302
    assert not LoginFailure.objects.filter(username="chu").exists()

    # So four more mistakes do not lock the account.
    client.post(reverse("accounts:logout"))
    for _ in range(4):
        log_in(client, "chu", "sai-mat-khau")
    assert log_in(client, "chu", PASSWORD).status_code == 302


def test_a_deactivated_user_cannot_log_in(client, make_user):
    user = make_user("nghi-viec", "sales")
    user.is_active = False
    user.save()

    response = log_in(client, "nghi-viec", PASSWORD)

    assert response.status_code == 200
    assert not is_logged_in(client)


def test_logout_is_a_post_and_ends_the_session(owner_client):
    assert owner_client.get(reverse("accounts:logout")).status_code == 405

    response = owner_client.post(reverse("accounts:logout"), follow=True)

    assert response.redirect_chain[-1][0] == reverse("accounts:login")
    assert "You have logged out." in response.text
    assert not is_logged_in(owner_client)
    assert owner_client.get(reverse("web:dashboard")).status_code == 302


def test_password_change_keeps_the_session_and_says_so(owner_client, owner):
    response = owner_client.post(
        reverse("accounts:password_change"),
        {
            "old_password": PASSWORD,
            "new_password1": "mot-mat-khau-moi-2027",
            "new_password2": "mot-mat-khau-moi-2027",
        },
        follow=True,
    )

    assert response.redirect_chain[-1][0] == reverse("accounts:password_change_done")
    assert "Your password has been changed." in response.text
    owner.refresh_from_db()
    assert owner.check_password("mot-mat-khau-moi-2027")
    assert owner_client.get(reverse("web:dashboard")).status_code == 200


def test_password_change_needs_the_old_password_and_a_strong_new_one(owner_client, owner):
    wrong_old = owner_client.post(
        reverse("accounts:password_change"),
        {
            "old_password": "sai",
            "new_password1": "mot-mat-khau-moi-2027",
            "new_password2": "mot-mat-khau-moi-2027",
        },
    )
    weak_new = owner_client.post(
        reverse("accounts:password_change"),
        {"old_password": PASSWORD, "new_password1": "123", "new_password2": "123"},
    )

    assert wrong_old.status_code == weak_new.status_code == 200
    assert "Your old password was entered incorrectly" in wrong_old.text
    assert "too short" in weak_new.text
    owner.refresh_from_db()
    assert owner.check_password(PASSWORD)


def test_password_change_needs_login(client):
    response = client.get(reverse("accounts:password_change"))

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:login"))


def test_look_alike_usernames_share_one_lock(client, make_user):
    # Issue 9: `ｍａｎａｇｅｒ` (full width) logged in as `manager` with its own 5 tries.
    make_user("manager", "manager")
    look_alikes = ["ｍａｎａｇｅｒ", "MANAGER", "Ｍａｎａｇｅｒ", "manager", " manager"]

    for name in look_alikes:
        assert log_in(client, name, "sai-mat-khau").status_code == 200

    for name in look_alikes:
        response = log_in(client, name, PASSWORD)
        assert response.status_code == 429, name
        assert not is_logged_in(client)
    assert set(LoginFailure.objects.values_list("username", flat=True)) == {"manager"}


@pytest.mark.parametrize("name", ["ｍａｎａｇｅｒ", "Manager", "MANAGER"])
def test_a_look_alike_name_logs_in_as_the_user_it_is_counted_for(client, make_user, name):
    user = make_user("manager", "manager")

    response = log_in(client, name, PASSWORD)

    assert response.status_code == 302
    assert client.session["_auth_user_id"] == str(user.pk)


def test_a_look_alike_of_an_existing_username_cannot_be_created(make_user):
    make_user("manager", "manager")

    for name in ("ｍａｎａｇｅｒ", "Manager"):
        with pytest.raises(ValidationFailed) as error:
            make_user(name, "sales")
        assert "username" in error.value.fields


def test_admin_login_uses_our_login_page_and_its_lock(client, owner):
    # Issue 9: /admin/login/ had no throttle and logged in an account locked at our login.
    owner.is_staff = owner.is_superuser = True
    owner.save()
    for _ in range(5):
        log_in(client, "chu", "sai-mat-khau")

    for _ in range(3):
        response = client.post(
            "/admin/login/?next=/admin/", {"username": "chu", "password": PASSWORD}
        )
        assert response.status_code == 302
        assert response["Location"] == reverse("accounts:login") + "?next=/admin/"
    assert not is_logged_in(client)
    assert log_in(client, "chu", PASSWORD).status_code == 429
    assert LoginFailure.objects.count() == 5


def test_the_admin_sends_visitors_to_our_login_and_back(client, owner):
    owner.is_staff = owner.is_superuser = True
    owner.save()

    first = client.get("/admin/", follow=True)
    assert first.redirect_chain[-1][0] == reverse("accounts:login") + "?next=/admin/"

    response = client.post(
        reverse("accounts:login") + "?next=/admin/",
        {"username": "chu", "password": PASSWORD, "next": "/admin/"},
    )
    assert response["Location"] == "/admin/"
    assert client.get("/admin/").status_code == 200


def test_staff_without_admin_rights_get_403_not_a_redirect_loop(client, make_user):
    client.force_login(make_user("ban-hang", "sales"))

    assert client.get("/admin/login/?next=/admin/").status_code == 403
    assert client.get("/admin/", follow=True).status_code == 403


def test_admin_login_ignores_a_next_to_another_site(client, owner):
    owner.is_staff = True
    owner.save()
    client.force_login(owner)

    response = client.get("/admin/login/?next=https://evil.example/")

    assert response["Location"] == "/admin/"
