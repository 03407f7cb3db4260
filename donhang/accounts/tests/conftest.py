import pytest

from donhang.accounts.services import user_create

PASSWORD = "mat-khau-dai-2026"


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    # The real hasher is slow on purpose; these tests hash a password dozens of times.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def client(client):
    # Pages in English, the source language, so assertions read the strings in the code.
    client.cookies["donhang_language"] = "en"
    return client


@pytest.fixture
def make_user(db):
    def make(username: str, role: str, **fields):
        return user_create(username=username, password=PASSWORD, role=role, **fields)

    return make


@pytest.fixture
def owner(make_user):
    return make_user("chu", "owner", last_name="Nguyễn", first_name="Thị Lan")


@pytest.fixture
def owner_client(client, owner):
    client.force_login(owner)
    return client
