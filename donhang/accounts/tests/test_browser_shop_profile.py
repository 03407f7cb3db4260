"""The shop profile page in headless chromium: the province → ward select and a logo upload."""

from io import BytesIO

import pytest
from django.conf import settings
from PIL import Image
from playwright.sync_api import expect

from donhang.accounts.selectors import shop_profile_get
from donhang.accounts.services import user_create

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

HCMC, BEN_THANH = 79, 26743


def test_owner_fills_in_the_profile_with_a_ward_and_a_logo(page, client, live_server, tmp_path):
    # Given a logged-in owner (session cookie shared with the browser)
    user_create(username="chu", password="mat-khau-dai-2026", role="owner")
    client.login(username="chu", password="mat-khau-dai-2026")
    page.context.add_cookies(
        [
            {
                "name": settings.SESSION_COOKIE_NAME,
                "value": client.cookies[settings.SESSION_COOKIE_NAME].value,
                "url": live_server.url,
            }
        ]
    )
    logo = tmp_path / "logo.jpg"
    out = BytesIO()
    Image.new("RGB", (400, 200), (176, 42, 84)).save(out, format="JPEG")
    logo.write_bytes(out.getvalue())

    # When they open the page from the user menu and pick a province
    page.goto("/")
    page.click("#user-menu")
    with page.expect_navigation():
        page.click("a[href='/accounts/shop/']")
    expect(page.locator("#id_ward option")).to_have_count(1)
    page.select_option("#id_province", str(HCMC))

    # Then the ward select offers that province's wards only
    expect(page.locator(f"#id_ward option[value='{BEN_THANH}']")).to_have_count(1)
    expect(page.locator("#id_ward option[value='70']")).to_have_count(0)

    # And the profile is saved with the ward and the logo
    page.select_option("#id_ward", str(BEN_THANH))
    page.fill("#id_name", "Công ty TNHH Thời trang Lan Nguyễn")
    page.fill("#id_tax_code", "0107654326")
    page.fill("#id_address_line", "125 Lê Lợi")
    page.set_input_files("#id_logo", str(logo))
    with page.expect_navigation():
        page.click("form#shop-profile-form [type=submit]")
    expect(page.locator("#shop-logo")).to_be_visible()
    expect(page.locator("#id_ward")).to_have_value(str(BEN_THANH))
    profile = shop_profile_get()
    assert profile.ward_id == BEN_THANH and profile.logo.name.endswith(".png")
