"""Template numbers and series symbols, the VAT rate in force on the invoice date."""

from datetime import date

import pytest

from donhang.core.errors import ValidationFailed
from donhang.invoicing.rates import rate_in_force
from donhang.invoicing.symbols import (
    check_series_year,
    series_is_coded,
    series_normalize,
    template_code_normalize,
)


@pytest.mark.parametrize("series", ["C26TAA", "k26tyy", "C27MAB", "K25NAA"])
def test_valid_series(series):
    assert series_normalize(series) == series.upper()


@pytest.mark.parametrize("series", ["", "C26TA", "X26TAA", "C2TAAA", "C26QAA", "C26TA1", "1C26TAA"])
def test_invalid_series_names_the_field(series):
    with pytest.raises(ValidationFailed) as err:
        series_normalize(series)
    assert "series" in err.value.fields


def test_template_numbers_per_provider_and_kind():
    assert template_code_normalize("1/001", provider="sinvoice", kind="vat") == "1/001"
    assert template_code_normalize("2/002", provider="sinvoice", kind="sales") == "2/002"
    assert template_code_normalize("1", provider="misa", kind="vat") == "1"
    for raw, provider, kind in [
        ("1", "sinvoice", "vat"),  # S-Invoice writes 1/001
        ("1/001", "misa", "vat"),  # MISA writes the digit alone
        ("2/001", "sinvoice", "vat"),  # 2 is a sales invoice
        ("1", "misa", "sales"),
    ]:
        with pytest.raises(ValidationFailed) as err:
            template_code_normalize(raw, provider=provider, kind=kind)
        assert "template_code" in err.value.fields


def test_a_series_is_for_its_year():
    check_series_year("C26TAA", date(2026, 11, 29))
    with pytest.raises(ValidationFailed) as err:
        check_series_year("C26TAA", date(2027, 1, 4))
    assert "C27TAA" in err.value.fields["template"]
    assert series_is_coded("C26TAA") and not series_is_coded("K26TAA")


def test_the_8_percent_reduction_ends_on_31_december_2026():
    assert rate_in_force("8", date(2026, 12, 31)) == "8"
    assert rate_in_force("8", date(2027, 1, 1)) == "10"
    assert rate_in_force("10", date(2027, 1, 1)) == "10"
    assert rate_in_force("5", date(2027, 1, 1)) == "5"
    assert rate_in_force("exempt", date(2027, 1, 1)) == "exempt"


def test_a_new_resolution_moves_the_end(settings):
    settings.INVOICE_REDUCED_VAT_UNTIL = "2027-06-30"
    assert rate_in_force("8", date(2027, 1, 1)) == "8"
    assert rate_in_force("8", date(2027, 7, 1)) == "10"
