"""The web chat widget in headless chromium: a visitor on the demo page asks for a product
without diacritics, gets its price and stock, then orders."""

import pytest
from playwright.sync_api import expect

from donhang.chatbot import services
from donhang.chatbot.engine.tools import stock_of
from donhang.chatbot.tests.conftest import variant
from donhang.orders.models import Order

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _bot_says(page, text):
    page.fill("#donhang-chat-input", text)
    count = page.locator(".donhang-chat-msg[data-from=bot]").count()
    page.click("#donhang-chat-send")
    replies = page.locator(".donhang-chat-msg[data-from=bot]")
    expect(replies).to_have_count(count + 1)
    return replies.last


def test_a_visitor_asks_without_diacritics_and_orders(page, bot):
    widget = services.connection_save(kind="web", name="Website", actor=None)
    black_m = variant(bot["tee"], "Đen", "M")
    stock = stock_of([black_m.pk])[black_m.pk]

    page.goto(f"/chatbot/demo/?key={widget.external_id}")
    page.click("#donhang-chat-button")
    expect(page.locator("#donhang-chat-panel")).to_be_visible()
    expect(page.locator(".donhang-chat-msg[data-from=bot]").first).to_contain_text("tự động")

    answer = _bot_says(page, "ao thun den size m gia bao nhieu, con hang ko")
    expect(answer).to_contain_text("159.000đ")
    expect(answer).to_contain_text(f"còn {stock} sản phẩm")

    fee = _bot_says(page, "ship ve phuong ben thanh tp hcm bn")
    expect(fee).to_contain_text("phí ship")

    done = _bot_says(page, "chot 1 cai, ten Lan 0912345678, 12 Le Loi")
    expect(done).to_contain_text("đã lên đơn DH")
    order = Order.objects.get()
    assert order.channel == "chatbot" and order.status == "new"
    assert order.lines.get().variant_id == black_m.pk
    assert order.code in done.inner_text()
