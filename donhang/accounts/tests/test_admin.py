import pytest
from django.urls import reverse

from donhang.accounts.demo import load_demo_users
from donhang.accounts.services import api_key_create, login_failure_record

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("model", ["user", "apikey", "loginfailure"])
def test_admin_lists_and_opens_accounts_records(client, model):
    owner = load_demo_users()
    api_key, _ = api_key_create(name="Website", role="sales", actor=owner)
    login_failure_record(username="owner", ip_address="203.0.113.7")
    client.force_login(owner)

    listing = client.get(reverse(f"admin:accounts_{model}_changelist"))

    assert listing.status_code == 200
    if model == "user":
        assert "Nguyễn Thị Lan" in listing.text
        assert client.get(reverse("admin:accounts_user_change", args=[owner.pk])).status_code == 200
    if model == "apikey":
        page = client.get(reverse("admin:accounts_apikey_change", args=[api_key.pk]))
        assert page.status_code == 200
        assert 'name="key_hash"' not in page.text
