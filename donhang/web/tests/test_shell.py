import pytest
from django.urls import reverse

from donhang.accounts.services import user_create

pytestmark = pytest.mark.django_db


@pytest.fixture
def owner(client):
    user = user_create(username="chu", password="mat-khau-dai-2026", role="owner")
    client.force_login(user)
    return user


def test_dashboard_needs_login(client):
    response = client.get(reverse("web:dashboard"))

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:login"))


def test_dashboard_speaks_vietnamese_by_default(client, owner):
    response = client.get(reverse("web:dashboard"))

    assert response.status_code == 200
    assert 'lang="vi"' in response.text
    assert "Tổng quan" in response.text


@pytest.mark.parametrize(
    ("language", "expected"), [("en", "Dashboard"), ("ja", "ダッシュボード"), ("vi", "Tổng quan")]
)
def test_language_switch(client, owner, language, expected):
    response = client.post(
        reverse("set_language"), {"language": language, "next": reverse("web:dashboard")}
    )
    assert response.status_code == 302

    page = client.get(reverse("web:dashboard"))

    assert f'lang="{language}"' in page.text
    assert expected in page.text


def test_navigation_hides_areas_a_role_cannot_see(client):
    # Sales staff see products but the owner-only staff page is not in their menu.
    user = user_create(username="ban-hang", password="mat-khau-dai-2026", role="sales")
    client.force_login(user)

    response = client.get(reverse("web:dashboard"))

    assert reverse("catalog:product_list") in response.text
    assert reverse("accounts:staff_list") not in response.text


def test_vietnamese_even_for_an_english_browser(client, owner):
    response = client.get(reverse("web:dashboard"), headers={"Accept-Language": "en-US,en;q=0.9"})

    assert 'lang="vi"' in response.text
