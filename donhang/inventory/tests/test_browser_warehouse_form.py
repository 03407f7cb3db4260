"""The province → ward dependent select in headless chromium."""

import pytest
from django.conf import settings
from playwright.sync_api import expect

from donhang.accounts.services import user_create
from donhang.inventory.models import Warehouse

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
]

HCMC, BEN_THANH = 79, 26743


def test_choosing_a_province_loads_its_wards_and_the_warehouse_is_saved(page, client, live_server):
    # Given a logged-in manager (session cookie shared with the browser)
    user_create(username="quanly", password="mat-khau-dai-2026", role="manager")
    client.login(username="quanly", password="mat-khau-dai-2026")
    page.context.add_cookies(
        [
            {
                "name": settings.SESSION_COOKIE_NAME,
                "value": client.cookies[settings.SESSION_COOKIE_NAME].value,
                "url": live_server.url,
            }
        ]
    )

    # When they pick a province on the new-warehouse form
    page.goto("/inventory/warehouses/new/")
    ward_options = page.locator("#id_ward option")
    expect(ward_options).to_have_count(1)
    page.select_option("#id_province", str(HCMC))

    # Then the ward select offers that province's wards only
    expect(page.locator(f"#id_ward option[value='{BEN_THANH}']")).to_have_count(1)
    expect(page.locator("#id_ward option[value='70']")).to_have_count(0)

    # And the warehouse is saved with the chosen ward
    page.select_option("#id_ward", str(BEN_THANH))
    page.fill("#id_code", "HCM")
    page.fill("#id_name", "Kho TP. Hồ Chí Minh")
    page.fill("#id_phone", "0903 456 789")
    with page.expect_navigation():
        page.click("form#warehouse-form [type=submit]")
    expect(page.locator("h1")).to_contain_text("Kho TP. Hồ Chí Minh")
    expect(page.locator("main")).to_contain_text("Phường Bến Thành")
    expect(page.locator("main")).to_contain_text("0903 456 789")
    assert Warehouse.objects.get(code="HCM").ward_id == BEN_THANH
