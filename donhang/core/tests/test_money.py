"""Money rules: VAT-inclusive amounts split into net + VAT to the đồng; discounts spread."""

import random
from decimal import Decimal

import pytest

from donhang.core.money import (
    VatRate,
    allocate,
    percent_of,
    round_vnd,
    split_gross,
    vat_breakdown,
    vat_is_exact,
)

TAXED = ["5", "8", "10"]


def test_the_issue_example_three_lines_of_99000_at_8_percent():
    lines = [split_gross(99_000, "8") for _ in range(3)]

    assert lines == [(91_667, 7_333)] * 3
    rows = vat_breakdown([("8", 99_000, n, v) for n, v in lines])
    assert rows == [{"rate": "8", "gross": 297_000, "net": 275_001, "vat": 21_999}]


@pytest.mark.parametrize(
    ("gross", "rate", "net", "vat"),
    [
        (110_000, "10", 100_000, 10_000),
        (105_000, "5", 100_000, 5_000),
        (108_000, "8", 100_000, 8_000),
        (1, "10", 1, 0),  # 1 × 10 % rounds to 0
        (11, "10", 10, 1),
        (0, "10", 0, 0),
        (99_999, "0", 99_999, 0),
        (99_999, "exempt", 99_999, 0),
        (165_000, "10", 150_000, 15_000),
    ],
)
def test_split_of_common_amounts(gross, rate, net, vat):
    assert split_gross(gross, rate) == (net, vat)
    assert vat_is_exact(net, vat, rate)


def test_amounts_with_no_exact_net_give_the_remaining_dong_to_vat():
    # 13 at 8 %: n = 12 gives 12 + round(0.96) = 13 ✓; find one with no exact net.
    odd = [g for g in range(1, 2_000) if not vat_is_exact(*split_gross(g, "8"), "8")]
    assert odd, "some grosses have no whole-đồng net at 8 %"
    for gross in odd:
        net, vat = split_gross(gross, "8")
        assert net + vat == gross
        assert vat == round_vnd(Decimal(net) * Decimal("0.08")) + 1  # the đồng goes to VAT
        # and no larger net would do: it would overshoot the gross
        assert net + 1 + round_vnd(Decimal(net + 1) * Decimal("0.08")) > gross


@pytest.mark.parametrize("rate", [r.value for r in VatRate])
def test_property_net_plus_vat_is_gross_for_many_amounts_and_every_rate(rate):
    rng = random.Random(20261129)
    amounts = list(range(0, 3_000)) + [rng.randrange(0, 10**11) for _ in range(20_000)]
    inexact = 0
    for gross in amounts:
        net, vat = split_gross(gross, rate)
        assert net + vat == gross
        assert 0 <= vat <= gross
        if not vat_is_exact(net, vat, rate):
            inexact += 1
            assert vat - round_vnd(Decimal(net) * Decimal(rate) / 100) == 1
    if rate in ("0", "exempt"):
        assert inexact == 0
    else:
        # only a small share of amounts has no exact net (about 5–9 % at 8 and 10 %)
        assert inexact / len(amounts) < 0.1


def test_negative_amounts_split_symmetrically():
    assert split_gross(-99_000, "8") == (-91_667, -7_333)


def test_allocate_in_proportion_with_the_remainder_on_the_last_line():
    assert allocate(20_000, [100_000, 200_000]) == [6_666, 13_334]
    assert allocate(10, [1, 1, 1]) == [3, 3, 4]
    assert allocate(10, [5, 5, 0]) == [5, 5, 0]  # nothing on a line worth nothing
    assert allocate(0, [5, 5]) == [0, 0]
    assert sum(allocate(99_999, [33_333, 1, 7_777_777])) == 99_999


def test_percent_of_rounds_half_up():
    assert percent_of(150_000, Decimal("10")) == 15_000
    assert percent_of(5, Decimal("10")) == 1  # 0.5 rounds up
    assert percent_of(99_000, "12.5") == 12_375
