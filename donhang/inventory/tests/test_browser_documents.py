"""Transfers and counts in headless chromium: the htmx product search and per-row count save."""

import os

import pytest
from django.conf import settings
from playwright.sync_api import expect

from donhang.accounts.services import user_create
from donhang.inventory import stocktakes
from donhang.inventory.models import Transfer, Warehouse
from donhang.inventory.tests.documents_support import make_variant

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# Set to a folder to keep screenshots of the pages (for reviewing the layout).
SCREENSHOTS = os.environ.get("DONHANG_SCREENSHOTS", "")


def _log_in(page, client, live_server, role):
    user_create(username=role, password="mat-khau-dai-2026", role=role)
    client.login(username=role, password="mat-khau-dai-2026")
    page.context.add_cookies(
        [
            {
                "name": settings.SESSION_COOKIE_NAME,
                "value": client.cookies[settings.SESSION_COOKIE_NAME].value,
                "url": live_server.url,
            },
            {"name": "donhang_language", "value": "en", "url": live_server.url},
        ]
    )


def _shot(page, name):
    if SCREENSHOTS:
        page.screenshot(path=os.path.join(SCREENSHOTS, f"{name}.png"), full_page=True)


def test_search_add_and_save_a_transfer(page, client, live_server):
    hn = Warehouse.objects.create(code="HN", name="Kho Hà Nội", priority=1)
    hcm = Warehouse.objects.create(code="HCM", name="Kho TP.HCM", priority=2)
    make_variant("AO-DEN-M", stock={hn.pk: 12, hcm.pk: 1}, name="Áo thun đen")
    _log_in(page, client, live_server, "warehouse")

    page.goto("/inventory/transfers/new/")
    page.select_option("#id_destination", str(hcm.pk))
    page.fill("#variant-search", "ao thun")
    expect(page.locator("#variant-result-list")).to_contain_text("12 available at the source")
    page.click("#variant-result-list button[data-variant-id]")
    row = page.locator("#transfer-lines-body tr")
    expect(row).to_have_count(1)
    # Adding it again adds to the quantity instead of a second line.
    page.click("#variant-result-list button[data-variant-id]")
    expect(row.locator("input[name=line_quantity]")).to_have_value("2")
    # Choosing another source refreshes what is available there.
    page.select_option("#id_source", str(hcm.pk))
    expect(row).to_contain_text("1 available at the source")
    page.select_option("#id_source", str(hn.pk))
    expect(row).to_contain_text("12 available at the source")
    _shot(page, "transfer_form")
    with page.expect_navigation():
        page.click("#transfer-save")

    transfer = Transfer.objects.get()
    expect(page.locator("h1")).to_contain_text(transfer.code)
    _shot(page, "transfer_detail_draft")
    assert [ln.quantity for ln in transfer.lines.all()] == [2]


def test_a_count_row_saves_itself(page, client, live_server):
    hn = Warehouse.objects.create(code="HN", name="Kho Hà Nội", priority=1)
    make_variant("A-1", stock={hn.pk: 10})
    make_variant("B-1", stock={hn.pk: 4})
    sheet = stocktakes.stocktake_create(warehouse=hn)
    line = sheet.lines.get(variant__sku="A-1")
    _log_in(page, client, live_server, "warehouse")

    page.goto(f"/inventory/stocktakes/{sheet.code}/")
    page.fill(f"input[name=count_{line.pk}]", "7")
    page.keyboard.press("Enter")  # moves on to the next row; the change saves this one

    expect(page.locator(f"#line-{line.pk} .line-variance")).to_have_text(
        "\u22123"
    )  # one minus sign
    _shot(page, "stocktake_sheet")
    line.refresh_from_db()
    assert line.counted == 7
