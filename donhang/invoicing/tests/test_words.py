"""The amount in Vietnamese words as invoices print it, written from the rules."""

import pytest

from donhang.invoicing.words import amount_in_words, number_in_words


@pytest.mark.parametrize(
    ("amount", "words"),
    [
        (0, "Không đồng"),
        (1, "Một đồng"),
        (5, "Năm đồng"),
        (10, "Mười đồng"),
        (11, "Mười một đồng"),  # 10–19: "mười", and a 1 after tens of 1 stays "một"
        (15, "Mười lăm đồng"),  # 5 after tens ≥ 1: "lăm"
        (19, "Mười chín đồng"),
        (20, "Hai mươi đồng"),
        (21, "Hai mươi mốt đồng"),  # 1 after tens ≥ 2: "mốt"
        (24, "Hai mươi bốn đồng"),
        (25, "Hai mươi lăm đồng"),
        (55, "Năm mươi lăm đồng"),
        (101, "Một trăm linh một đồng"),  # zero tens: "linh"
        (105, "Một trăm linh năm đồng"),  # 5 after zero tens stays "năm"
        (110, "Một trăm mười đồng"),
        (115, "Một trăm mười lăm đồng"),
        (1_000, "Một nghìn đồng"),
        (1_005, "Một nghìn không trăm linh năm đồng"),  # inner empty hundreds: "không trăm"
        (1_010, "Một nghìn không trăm mười đồng"),
        (1_021, "Một nghìn không trăm hai mươi mốt đồng"),
        (10_500, "Mười nghìn năm trăm đồng"),
        (15_000, "Mười lăm nghìn đồng"),
        (21_000, "Hai mươi mốt nghìn đồng"),
        (1_250_000, "Một triệu hai trăm năm mươi nghìn đồng"),
        (1_000_001, "Một triệu không trăm linh một đồng"),  # a zero group is skipped
        (1_050_000, "Một triệu không trăm năm mươi nghìn đồng"),
        (2_005_000, "Hai triệu không trăm linh năm nghìn đồng"),
        (356_400, "Ba trăm năm mươi sáu nghìn bốn trăm đồng"),
        (1_000_000_000, "Một tỷ đồng"),
        (1_000_000_005, "Một tỷ không trăm linh năm đồng"),
        (2_000_015_000, "Hai tỷ không trăm mười lăm nghìn đồng"),
        (15_201_000_105, "Mười lăm tỷ hai trăm linh một triệu một trăm linh năm đồng"),
        (
            999_999_999_999,
            "Chín trăm chín mươi chín tỷ chín trăm chín mươi chín triệu chín trăm chín mươi "
            "chín nghìn chín trăm chín mươi chín đồng",
        ),
        (
            305_041_000_021,
            "Ba trăm linh năm tỷ không trăm bốn mươi mốt triệu không trăm hai mươi mốt đồng",
        ),
        (1_000_000_000_000, "Một nghìn tỷ đồng"),
    ],
)
def test_amounts_in_words(amount, words):
    assert amount_in_words(amount) == words


def test_a_decrease_reads_as_its_amount():
    # An adjustment that lowers an invoice: the direction is on its lines and title.
    assert amount_in_words(-50_000) == "Năm mươi nghìn đồng"


def test_number_without_unit():
    assert number_in_words(1_250_000) == "một triệu hai trăm năm mươi nghìn"
