"""A return in headless chromium, in Vietnamese and English: open it from the order page,
receive, inspect (with a photo), refund by bank transfer and see its VietQR code; no
Content-Security-Policy violation on the way."""

from io import BytesIO

import pytest
from PIL import Image
from playwright.sync_api import expect

from donhang.accounts.services import user_create
from donhang.returns.models import Refund, Return
from donhang.returns.tests.conftest import level
from donhang.web.tests.test_browser_foundation import PASSWORD, log_in, watch_csp

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


# The Vietnamese wording comes with the translations (merged into locale/ by the lead); the
# badge itself is checked in both languages.
@pytest.mark.parametrize(("language", "partial"), [("vi", None), ("en", "Returned (partial)")])
def test_a_partial_return_from_the_order_page_to_the_refund_qr(
    page, make_variant, make_order, warehouse, tmp_path, language, partial
):
    violations = watch_csp(page)
    variant = make_variant(price=100_000, stock=10)
    order = make_order((variant, 3), shipping_fee=0)
    user_create(username="quanly", password=PASSWORD, role="manager")
    log_in(page, username="quanly", language=language)

    page.goto(f"/orders/{order.code}/")
    with page.expect_navigation():
        page.click("#new-return-link")
    page.locator("#return-lines input[type=number]").first.fill("2")
    with page.expect_navigation():
        page.click("#create-return")
    goods_return = Return.objects.get()
    expect(page.locator("#return-header h1")).to_have_text(goods_return.code)

    with page.expect_navigation():
        page.click("#receive-return")
    line = goods_return.lines.get()
    page.fill(f"[name=good_{line.pk}]", "1")
    page.fill(f"[name=damaged_{line.pk}]", "1")
    page.fill(f"[name=note_{line.pk}]", "Rách đường may")
    photo = tmp_path / "hong.png"
    buffer = BytesIO()
    Image.new("RGB", (60, 40), (200, 20, 20)).save(buffer, format="PNG")
    photo.write_bytes(buffer.getvalue())
    page.set_input_files(f"[name=photo_{line.pk}]", str(photo))
    with page.expect_navigation():
        page.click("#inspect-return")
    expect(page.locator(f"tr[data-line='{line.pk}'] .line-damaged")).to_have_text("1")
    assert level(variant, warehouse).on_hand == 8

    expect(page.locator("#default-refund")).to_have_attribute("data-amount", "200000")
    page.select_option("#refund-form [name=method]", "bank_transfer")
    page.select_option("#refund-form [name=bank_bin]", "970436")
    page.fill("#refund-form [name=bank_account]", "1023456789")
    with page.expect_navigation():
        page.click("#refund-submit")
    expect(page.locator(".refund-qr svg")).to_be_visible()
    assert Refund.objects.get().status == "pending"

    page.goto(f"/orders/{order.code}/")
    badge = page.locator("[data-return-state=partial]").first
    expect(badge).to_be_visible()
    if partial:
        expect(badge).to_have_text(partial)
    assert violations == []
