"""Vietnamese text as customers type it: no database."""

import pytest

from donhang.chatbot.engine.text import find_order_codes, find_phones, normalize, parse_money


@pytest.mark.parametrize(
    ("typed", "key"),
    [
        ("áo thun đen size M còn không", "ao thun den size m con khong"),
        ("Áo thun đen còn ko ad", "ao thun den con khong admin"),
        ("còn hok", "con khong"),
        ("con hem shop", "con khong shop"),
        ("giá bn vậy", "gia bao nhieu vay"),
        ("sp này giá bnhiu", "san pham nay gia bao nhieu"),
        ("khonggg", "khong"),
        ("ship về hcm", "ship ve ho chi minh"),
        ("sdt của e", "so dien thoai cua em"),
        ("màu hồng còn hong", "mau hong con khong"),
        ("bị hỏng rồi", "bi hong roi"),
    ],
)
def test_slang_accents_and_repeats_are_normalised(typed, key):
    assert normalize(typed).key == key


@pytest.mark.parametrize(
    ("typed", "amounts"),
    [
        ("150k", [150_000]),
        ("150 k thôi", [150_000]),
        ("1tr2", [1_200_000]),
        ("1 triệu 2", [1_200_000]),
        ("1.5tr", [1_500_000]),
        ("150.000đ", [150_000]),
        ("150,000 vnd", [150_000]),
        ("giá 159k hay 1tr2", [159_000, 1_200_000]),
    ],
)
def test_money_as_shops_write_it(typed, amounts):
    assert normalize(typed).money == amounts
    assert parse_money(normalize(typed).key) == []  # replaced by placeholders in the key


@pytest.mark.parametrize(
    ("typed", "phone"),
    [
        ("0912345678", "0912345678"),
        ("sđt 0912 345 678", "0912345678"),
        ("090.123.4567", "0901234567"),
        ("+84 912 345 678", "0912345678"),
        ("84912345678", "0912345678"),
    ],
)
def test_phone_numbers_in_any_writing(typed, phone):
    assert find_phones(typed) == [phone]
    assert normalize(typed).money == []  # "090.123.4567" is not 90.123 đồng


def test_a_phone_is_not_money_and_an_order_code_is_padded():
    assert find_order_codes("don dh123 cua em") == ["DH000123"]
    assert find_order_codes("ma don 000457") == ["DH000457"]
    assert "_code_" in normalize("kiểm tra đơn DH000123").key
