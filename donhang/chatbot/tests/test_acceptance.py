"""The issue's acceptance dialogue and the order-status privacy rule, through the API."""

import re

from django.test import Client

from donhang.chatbot.engine.tools import stock_of
from donhang.chatbot.models import Message
from donhang.chatbot.tests.conftest import say, variant
from donhang.orders.models import Order
from donhang.orders.selectors import channel_available_to_promise


def _money(text: str) -> list[int]:
    return [int(m.replace(".", "")) for m in re.findall(r"(\d{1,3}(?:\.\d{3})+)đ", text)]


def test_the_issue_dialogue_ends_in_a_draft_order_with_the_quoted_fee(bot, api, owner):
    tee = bot["tee"]
    black_m = variant(tee, "Đen", "M")
    real_stock = channel_available_to_promise(channel="chatbot", variant_ids=[black_m.pk])[
        black_m.pk
    ]

    first = say(api, "áo thun đen size M còn không")
    conversation = first["conversation"]
    assert first["intent"] == "stock"
    assert first["entities"]["color"] == "Đen" and first["entities"]["size"] == "M"
    assert f"còn {real_stock} sản phẩm" in first["reply"]

    price = say(api, "giá bao nhiêu", conversation)
    assert price["intent"] == "price"
    assert "159.000đ" in price["reply"]

    ship = say(api, "ship về Phường Bến Thành, TP Hồ Chí Minh bao nhiêu", conversation)
    assert ship["intent"] == "shipping_fee"
    assert ship["entities"]["ward"] == "Phường Bến Thành"
    [quoted_fee] = _money(ship["reply"])

    done = say(api, "chốt 2 cái, tên Lan 0912345678, 12 Lê Lợi", conversation)
    assert done["intent"] == "place_order"
    assert done["order"] is not None
    order = Order.objects.get(code=done["order"]["code"])
    assert order.channel == "chatbot"
    assert order.status == "new"  # a draft: staff confirm it
    assert order.shipping_fee == quoted_fee
    assert order.customer_name == "Lan"
    assert order.customer_phone == "+84912345678"
    assert order.shipping_address_line == "12 Lê Lợi"
    assert order.shipping_ward.name == "Phường Bến Thành"
    [line] = order.lines.all()
    assert (line.variant_id, line.quantity, line.reserved_quantity) == (black_m.pk, 2, 2)
    assert order.code in done["reply"]
    assert order.total == 2 * 159_000 + quoted_fee
    # Reserved like any order: the channel may now sell two fewer.
    assert stock_of([black_m.pk])[black_m.pk] == real_stock - 2
    # The order came from this conversation, and shows in the order list with its channel.
    assert Message.objects.filter(order=order, conversation_id=conversation).exists()
    staff = Client()
    staff.force_login(owner)
    page = staff.get("/orders/", {"channel": "chatbot"})
    assert page.status_code == 200
    assert order.code in page.content.decode()


def test_an_order_by_code_needs_the_phone_it_was_placed_with(bot, api, place_order):
    theirs = place_order(("AT-BASIC-DEN-M", 1), phone="0987654321", name="Trần Văn Bình")

    asked = say(api, f"kiểm tra giúp em đơn {theirs.code}")
    assert asked["intent"] == "order_status"
    assert theirs.code not in asked["reply"] or "số điện thoại" in asked["reply"]
    wrong = say(api, "số em là 0912345678", asked["conversation"])
    assert "không tìm thấy" in wrong["reply"]
    for reply in (asked["reply"], wrong["reply"]):
        assert "Bình" not in reply and "đang chờ" not in reply and "hủy" not in reply
    # The same answer as a code that does not exist at all.
    unknown = say(api, "đơn DH999999 sđt 0912345678 tới đâu rồi")
    assert unknown["reply"] == wrong["reply"]

    right = say(api, f"đơn {theirs.code} của em, sđt 0987654321, tới đâu rồi ạ")
    assert right["intent"] == "order_status"
    assert theirs.code in right["reply"] and "chờ shop xác nhận" in right["reply"]
