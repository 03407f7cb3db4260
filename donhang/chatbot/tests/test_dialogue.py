"""The offline engine's conversations through the API: the order form, corrections, stock
limits, bank transfer with VietQR, unsure turns, the FAQ, order creation switched off."""

from datetime import time

from django.test import Client

from donhang.chatbot import services
from donhang.chatbot.engine.tools import stock_of
from donhang.chatbot.models import BotSettings, Conversation
from donhang.chatbot.tests.conftest import say, variant
from donhang.core import vietqr
from donhang.orders.models import Order

ADDRESS = "12 Lê Lợi, Phường Bến Thành, TP Hồ Chí Minh"


def test_the_greeting_says_the_bot_is_automatic(bot, api):
    reply = say(api, "chào shop")["reply"]
    assert "tự động" in reply


def test_everything_in_one_message_with_chot_orders_at_once(bot, api):
    answer = say(api, f"chốt 1 áo thun trắng size L, tên Minh, 0987 123 456, {ADDRESS}")
    order = Order.objects.get(code=answer["order"]["code"])
    [line] = order.lines.all()
    assert line.sku == variant(bot["tee"], "Trắng", "L").sku and line.quantity == 1
    assert order.customer_phone == "+84987123456" and order.shipping_fee > 0


def test_details_without_chot_are_read_back_and_ordered_on_ok(bot, api):
    first = say(api, "lấy cho em kem chống nắng")
    conversation = first["conversation"]
    summary = say(api, f"Trần Mai 0912 000 222, {ADDRESS}", conversation)
    assert summary["order"] is None
    assert "xác nhận" in summary["reply"] and "179.000đ" in summary["reply"]
    corrected = say(api, "à sđt đúng là 0912 000 333, em gõ nhầm", conversation)
    assert corrected["order"] is None and "0912 000 333" in corrected["reply"]
    done = say(api, "ok", conversation)
    order = Order.objects.get(code=done["order"]["code"])
    assert order.customer_phone == "+84912000333"
    assert Order.objects.count() == 1


def test_the_missing_variant_is_asked_for(bot, api):
    answer = say(api, "em lấy 1 áo thun")
    assert "màu (Đen, Trắng)" in answer["reply"] and "size (S, M, L)" in answer["reply"]
    chosen = say(api, "màu đen size S", answer["conversation"])
    assert "tên người nhận" in chosen["reply"]
    state = Conversation.objects.get(pk=answer["conversation"]).state
    assert state["variant_id"] == variant(bot["tee"], "Đen", "S").pk


def test_never_more_than_the_channel_may_sell(bot, api):
    sneaker = bot["sneaker"].variants.get(option1="38")
    left = stock_of([sneaker.pk])[sneaker.pk]
    answer = say(api, f"chốt 5 đôi giày sneaker trắng size 38, tên Hà 0912111222, {ADDRESS}")
    assert answer["order"] is None
    assert f"chỉ còn {left} sản phẩm" in answer["reply"]
    fewer = say(api, f"vậy chốt {left} đôi", answer["conversation"])
    assert Order.objects.get(code=fewer["order"]["code"]).lines.get().quantity == left


def test_a_bank_transfer_order_gets_a_vietqr_code(bot, api):
    answer = say(api, f"chốt 1 kem chống nắng, chuyển khoản, tên Lan 0912345678, {ADDRESS}")
    order = Order.objects.get(code=answer["order"]["code"])
    assert order.payment_method == "bank_transfer"
    [qr] = answer["attachments"]
    payload = qr["payload"]
    assert vietqr.crc_ok(payload)
    fields = vietqr.parse(payload)
    assert fields["00"] == "01" and fields["01"] == "12" and fields["53"] == "704"
    assert fields["54"] == str(order.total) and fields["58"] == "VN"
    merchant = vietqr.parse(fields["38"])
    assert merchant["00"] == "A000000727" and merchant["02"] == "QRIBFTTA"
    assert vietqr.parse(merchant["01"]) == {"00": "970436", "01": "1023456789"}
    assert vietqr.parse(fields["62"])["08"] == order.code
    assert "1023456789" in answer["reply"] and order.code in answer["reply"]
    image = Client().get(qr["path"])
    assert image.status_code == 200 and image["Content-Type"] == "image/svg+xml"
    assert b"<svg" in image.content and b"<script" not in image.content
    assert Client().get(qr["path"].replace(".svg", "x.svg")).status_code == 404


def test_unsure_asks_once_then_hands_off_and_stays_quiet(bot, api):
    first = say(api, "xyz qwerty")
    assert "chưa hiểu" in first["reply"] and not first["handed_off"]
    second = say(api, "blah blah", first["conversation"])
    assert second["handed_off"] and "nhân viên" in second["reply"]
    conversation = Conversation.objects.get(pk=first["conversation"])
    assert conversation.needs_human and conversation.status == "human"
    assert say(api, "giá áo thun", first["conversation"])["reply"] is None


def test_policy_questions_get_the_shops_own_answer(bot, api, owner):
    services.faq_save(
        topic="returns",
        question="Chính sách đổi trả?",
        keywords="đổi trả, đổi size",
        answer="Dạ shop đổi trả trong 7 ngày ạ.",
        actor=owner,
    )
    answer = say(api, "chính sách đổi trả của shop thế nào")
    assert answer["reply"] == "Dạ shop đổi trả trong 7 ngày ạ." and not answer["handed_off"]
    faulty = say(api, "áo bị rách, em muốn đổi")
    assert faulty["handed_off"] and "Dạ shop đổi trả trong 7 ngày ạ." in faulty["reply"]


def test_with_order_creation_off_the_details_go_to_staff(bot, api, owner):
    services.bot_settings_save(actor=owner, may_create_orders=False)
    answer = say(api, f"chốt 1 kem chống nắng, tên Lan 0912345678, {ADDRESS}")
    assert answer["order"] is None and not Order.objects.exists()
    assert answer["handed_off"] and "179.000đ" in answer["reply"]


def test_outside_opening_hours_the_hand_off_says_when_staff_answer(bot, api, owner):
    services.bot_settings_save(actor=owner, open_days=[], opens_at=time(8, 0), closes_at=time(9, 0))
    answer = say(api, "cho em gặp nhân viên")
    assert answer["handed_off"] and "ngoài giờ làm việc (08:00–09:00)" in answer["reply"]
    assert BotSettings.objects.get().open_days == []


def test_several_products_and_a_quantity_for_each(bot, api):
    first = say(api, "em muốn mua 1 kem chống nắng với 1 giày sneaker trắng size 37")
    conversation = first["conversation"]
    both = say(api, "còn hàng cả 2 không", conversation)
    assert "Kem chống nắng" in both["reply"] and "Giày sneaker" in both["reply"]
    say(api, "thêm 1 đèn bàn màu trắng nữa", conversation)
    say(api, f"tên Lan 0912345678, {ADDRESS}", conversation)
    done = say(api, "ok chốt hết nhé", conversation)
    order = Order.objects.get(code=done["order"]["code"])
    assert sorted((ln.sku, ln.quantity) for ln in order.lines.all()) == sorted(
        [
            ("KCN-SPF50", 1),
            (bot["sneaker"].variants.get(option1="37").sku, 1),
            (variant(bot["lamp"], "Trắng").sku, 1),
        ]
    )


def test_two_sizes_of_one_product(bot, api):
    first = say(api, "áo thun màu trắng còn không")
    conversation = first["conversation"]
    say(api, "lấy 1 cái size S 1 cái size M nhé", conversation)
    done = say(api, f"chốt, tên Lan 0912345678, {ADDRESS}", conversation)
    order = Order.objects.get(code=done["order"]["code"])
    assert sorted(ln.sku for ln in order.lines.all()) == sorted(
        [variant(bot["tee"], "Trắng", "S").sku, variant(bot["tee"], "Trắng", "M").sku]
    )
