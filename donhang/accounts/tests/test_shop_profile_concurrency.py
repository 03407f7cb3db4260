"""Two owners saving the shop profile at the same moment: one row, both changes kept."""

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.db import connection

from donhang.accounts.models import ShopProfile
from donhang.accounts.selectors import shop_profile_get
from donhang.accounts.services import shop_profile_update, user_create
from donhang.core.models import AuditEntry

pytestmark = [pytest.mark.concurrency, pytest.mark.django_db(transaction=True)]


def test_first_saves_at_once_make_one_row_and_lose_no_field():
    owner = user_create(username="chu", password="mat-khau-123", role="owner")
    changes = [
        {"name": "Shop Lan", "phone": "024 3825 1234"},
        {"email": "lienhe@example.vn"},
        {"ward": 70},
        {"tax_code": "0107654326"},
    ]
    barrier = threading.Barrier(len(changes))

    def save(fields):
        try:
            barrier.wait(timeout=30)
            # Each save sets a name so that whichever creates the row passes the name check.
            shop_profile_update(actor=owner, **{"name": "Shop Lan", **fields})
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=len(changes)) as pool:
        list(pool.map(save, changes))

    assert ShopProfile.objects.count() == 1
    profile = shop_profile_get()
    assert profile.phone == "+842438251234" and profile.email == "lienhe@example.vn"
    assert profile.ward_id == 70 and profile.tax_code == "0107654326"
    assert AuditEntry.objects.filter(action="shop_profile.update").count() == len(changes)
