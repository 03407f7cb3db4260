"""Ship an order from its page in headless chromium (Vietnamese and English): compare quotes,
create the shipment with the emulated carrier, see its tracking number, print our label."""

import subprocess
import tempfile

import pytest
from playwright.sync_api import expect

from donhang.accounts.services import user_create

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "mat-khau-dai-2026"


@pytest.mark.parametrize("language", ["vi", "en"])
def test_ship_an_order_and_print_its_label(
    page, live_server, language, ghn_account, vtp_account, packed_order
):
    order = packed_order(quantity=2, price=165_000, fee=30_000)
    user_create(username="kho-hn", password=PASSWORD, role="manager")

    page.goto("/accounts/login/")
    with page.expect_navigation():
        page.select_option("#language-switch select", language)
    page.fill("input[name=username]", "kho-hn")
    page.fill("input[name=password]", PASSWORD)
    with page.expect_navigation():
        page.click("form#login-form [type=submit]")

    # The order page's main step is "Create shipment"
    page.goto(f"/orders/{order.code}/")
    with page.expect_navigation():
        page.locator(f"a[href='/shipping/orders/{order.code}/new/']").first.click()

    # Quotes from both carriers side by side; COD = goods + fee (the buyer pays shipping)
    expect(page.locator("[data-carrier=ghn] input[name=choice]").first).to_be_visible()
    expect(page.locator("[data-carrier=viettelpost] input[name=choice]").first).to_be_visible()
    expect(page.locator("input[name=cod_amount]")).to_have_value("360000")
    page.locator("[data-carrier=ghn] input[name=choice]").first.check()
    with page.expect_navigation():
        page.click("#create-shipment")

    # Back on the order: the tracking number is there and the order is ready to ship
    page.reload()
    expect(page.locator(".tracking-code").first).to_be_visible()
    order.refresh_from_db()
    assert order.sub_state == "ready_to_ship"
    shipment = order.shipments.get()

    label = page.request.get(f"/shipping/labels.pdf?ids={shipment.pk}&size=A6")
    assert label.headers["content-type"].startswith("application/pdf")
    with tempfile.NamedTemporaryFile(suffix=".pdf") as f:
        f.write(label.body())
        f.flush()
        text = subprocess.run(
            ["pdftotext", f.name, "-"], capture_output=True, text=True, check=True
        ).stdout
    assert "Trần Thị Bích Ngọc" in text
    assert shipment.tracking_code in text
