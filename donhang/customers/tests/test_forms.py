import pytest
from django import forms

from donhang.customers.forms import AddressUnitsFormMixin, ProvinceField, WardField
from donhang.customers.models import Ward

pytestmark = pytest.mark.django_db

HANOI, HOAN_KIEM = 1, 70
HCMC, BEN_THANH = 79, 26743


class AddressForm(AddressUnitsFormMixin, forms.Form):
    province = ProvinceField()
    ward = WardField()


def test_ward_choices_are_only_those_of_the_bound_province():
    form = AddressForm(data={"province": HCMC, "ward": ""})
    codes = [value for value, _label in form.fields["ward"].widget.choices if value != ""]
    assert len(codes) == Ward.objects.filter(province_id=HCMC).count()
    assert BEN_THANH in codes
    assert HOAN_KIEM not in codes


def test_no_province_means_no_ward_choices():
    form = AddressForm()
    assert len(form.fields["ward"].widget.choices) == 1
    html = str(form["province"])
    assert 'hx-get="/customers/wards/"' in html
    assert 'hx-target="#id_ward"' in html


def test_valid_pair_is_accepted():
    form = AddressForm(data={"province": HANOI, "ward": HOAN_KIEM})
    assert form.is_valid(), form.errors
    assert form.cleaned_data["ward"].code == HOAN_KIEM


def test_ward_of_another_province_is_an_error_on_ward():
    form = AddressForm(data={"province": HCMC, "ward": HOAN_KIEM})
    assert not form.is_valid()
    assert list(form.errors) == ["ward"]
