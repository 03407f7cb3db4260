import pytest

from donhang.core.errors import ValidationFailed
from donhang.core.phone import display_phone, normalize_phone


@pytest.mark.parametrize(
    "raw",
    ["0912345678", "+84 912 345 678", "84912345678", "0912-345-678", "(+84) 912.345.678"],
)
def test_vietnamese_mobile_numbers_normalise_to_e164(raw):
    assert normalize_phone(raw) == "+84912345678"


def test_landline_keeps_its_area_code():
    assert normalize_phone("024 3825 1234") == "+842438251234"


def test_foreign_number_with_country_code_is_kept():
    assert normalize_phone("+1 650 253 0000") == "+16502530000"


@pytest.mark.parametrize("raw", ["abc", "091234", "0912 345 678 999 1", "++--"])
def test_garbage_is_rejected_naming_the_field(raw):
    with pytest.raises(ValidationFailed) as caught:
        normalize_phone(raw, field="contact_phone")
    assert "contact_phone" in caught.value.fields


def test_empty_is_rejected():
    with pytest.raises(ValidationFailed) as caught:
        normalize_phone("   ")
    assert "phone" in caught.value.fields


def test_display_is_the_national_format():
    assert display_phone("+84912345678") == "0912 345 678"
    assert display_phone("+842438251234") == "024 3825 1234"


def test_display_of_foreign_and_odd_values():
    assert display_phone("+16502530000") == "+1 650-253-0000"
    assert display_phone("") == ""
    assert display_phone("not a number") == "not a number"
