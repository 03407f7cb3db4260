"""Intents and entities of single messages on a small catalog (the shop of conftest.py)."""

import pytest

from donhang.chatbot.engine.nlu import analyze


@pytest.mark.parametrize(
    ("text", "intent"),
    [
        ("chào shop", "greeting"),
        ("ad ơi", "greeting"),
        ("shop có bán giày sneaker không", "product_search"),
        ("co kem chong nang ko shop", "product_search"),
        ("áo thun trắng size L còn không", "stock"),
        ("den ban led con hang ko", "stock"),
        ("kem chống nắng giá bn", "price"),
        ("ship ra Đà Nẵng bao nhiêu tiền", "shipping_fee"),
        ("bao lâu thì nhận được hàng", "shipping_fee"),
        ("có ship cod không", "cod"),
        ("nhận hàng rồi mới trả tiền được không", "cod"),
        ("cho em xin số tài khoản", "payment"),
        ("em chuyển khoản rồi nhé", "payment"),
        ("đơn DH000123 của em tới đâu rồi", "order_status"),
        ("kiem tra giup em don hang", "order_status"),
        ("áo bị lỗi, em muốn đổi", "return"),
        ("chính sách đổi trả thế nào", "return"),
        ("cho em gặp nhân viên", "human"),
        ("gọi lại cho chị nhé", "human"),
        ("chốt 2 cái nhé", "place_order"),
        ("tên Lan 0912345678, 12 Lê Lợi, phường Bến Thành, HCM", "place_order"),
        ("cảm ơn shop", "other"),
    ],
)
def test_intents(bot, text, intent):
    assert analyze(text).intent == intent


def test_product_variant_and_stock_question(bot):
    found = analyze("ao thun den size m con ko")
    assert found.product.product.name == "Áo thun cotton basic cổ tròn"
    assert (found.colour, found.size) == ("Đen", "M")


def test_accents_tell_a_lamp_from_a_colour(bot):
    assert analyze("đèn bàn còn không").product.product.name == "Đèn bàn LED chống cận"
    black_tee = analyze("áo thun đen còn không")
    assert black_tee.product.product.sku == "AT-BASIC" and black_tee.colour == "Đen"


def test_typos_and_names_of_people(bot):
    assert analyze("ao thnu co size L ko").product.product.sku == "AT-BASIC"
    assert analyze("Trần Văn Hùng 0912345678").product is None  # "Hùng" is not a product


def test_an_order_message_with_everything(bot):
    found = analyze(
        "chốt 2 cái áo thun trắng size L, tên Nguyễn Thị Lan, sđt 0912 345 678, "
        "12 Lê Lợi, Phường Bến Thành, TP Hồ Chí Minh"
    )
    assert found.intent == "place_order"
    assert found.quantity == 2
    assert (found.colour, found.size) == ("Trắng", "L")
    assert found.name == "Nguyễn Thị Lan"
    assert found.phone == "0912345678"
    assert found.place.line == "12 Lê Lợi"
    assert found.place.ward == "Phường Bến Thành"
    assert found.place.province == "Thành phố Hồ Chí Minh"


@pytest.mark.parametrize(
    ("text", "line", "ward"),
    [
        (
            "giao về 5 ngõ 10 Tôn Thất Tùng, phường Kim Liên, Hà Nội",
            "5 ngõ 10 Tôn Thất Tùng",
            "Phường Kim Liên",
        ),
        ("địa chỉ 5 Điện Biên Phủ, Phường Ba Đình, Hà Nội", "5 Điện Biên Phủ", "Phường Ba Đình"),
        ("2 Nguyễn Huệ, Phường Thuận Hóa, Huế", "2 Nguyễn Huệ", "Phường Thuận Hóa"),
    ],
)
def test_addresses_under_the_2025_units(bot, text, line, ward):
    found = analyze(text)
    assert (found.place.line, found.place.ward) == (line, ward)


def test_old_province_names_map_to_the_new_ones(bot):
    assert analyze("ship về Bình Dương bao nhiêu").place.province == "Thành phố Hồ Chí Minh"
    assert analyze("gửi ra hn mấy ngày").place.province == "Thành phố Hà Nội"


def test_numbers_that_are_not_quantities_or_house_numbers(bot):
    found = analyze("em đặt 3 ngày rồi mà chưa thấy hàng")
    assert found.intent == "order_status" and found.quantity is None and not found.place.line
    assert analyze("lấy 1 hộp kem chống nắng").product.product.sku == "KCN-SPF50"


def test_several_products_in_one_message(bot):
    found = analyze("lấy 1 kem chống nắng với 2 giày sneaker trắng")
    items = [(item["product"].sku, item["quantity"]) for item in found.items]
    assert items == [("KCN-SPF50", 1), ("GS-TRANG", 2)]
