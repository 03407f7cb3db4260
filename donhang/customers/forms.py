"""Province → ward selection for any form that takes a Vietnamese address.

Use `ProvinceField` and `WardField` in a form that also inherits `AddressUnitsFormMixin`:

    class ShopForm(AddressUnitsFormMixin, forms.Form):
        province = ProvinceField()
        ward = WardField()

The ward select only lists the wards of the chosen province (never all 3,321). Changing the
province reloads the ward options with htmx from `customers:ward_options`; without JavaScript,
submitting the form re-renders it with the province's wards. `clean()` refuses a ward of
another province, naming the ward field.
"""

from __future__ import annotations

import json

from django import forms
from django.urls import reverse
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from donhang.customers.models import Province, Ward
from donhang.customers.selectors import province_list, ward_list


class ProvinceSelect(forms.Select):
    """A select that asks the server for the ward options when it changes."""

    def get_context(self, name, value, attrs):
        context = super().get_context(name, value, attrs)
        widget_attrs = context["widget"]["attrs"]
        widget_attrs.setdefault("hx-get", reverse("customers:ward_options"))
        widget_attrs.setdefault("hx-trigger", "change")
        widget_attrs.setdefault("hx-swap", "innerHTML")
        return context


class WardSelect(forms.Select):
    pass


class ProvinceField(forms.ModelChoiceField):
    widget = ProvinceSelect

    def __init__(self, **kwargs):
        kwargs.setdefault("queryset", province_list())
        kwargs.setdefault("label", _("Province / city"))
        kwargs.setdefault("empty_label", _("Choose a province or city"))
        super().__init__(**kwargs)


class WardField(forms.ModelChoiceField):
    """Validates against every ward; renders only the wards of `province_code`."""

    widget = WardSelect

    def __init__(self, **kwargs):
        kwargs.setdefault("queryset", Ward.objects.select_related("province"))
        kwargs.setdefault("label", _("Ward / commune"))
        kwargs.setdefault("empty_label", _("Choose a ward or commune"))
        self.province_code: int | None = None
        super().__init__(**kwargs)

    def _get_choices(self):
        empty = [("", self.empty_label)] if self.empty_label is not None else []
        if self.province_code is None:
            return empty
        return empty + list(ward_list(province_code=self.province_code).values_list("code", "name"))

    choices = property(_get_choices, forms.ChoiceField.choices.fset)

    def limit_to_province(self, province_code: int | None) -> None:
        self.province_code = province_code
        self.widget.choices = self.choices


def _code_of(value) -> int | None:
    if isinstance(value, Province):
        return value.code
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


class AddressUnitsFormMixin:
    """Wires province/ward field pairs: dependent choices, htmx target, and the pair check."""

    address_unit_fields: tuple[tuple[str, str], ...] = (("province", "ward"),)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for province_name, ward_name in self.address_unit_fields:
            if self.is_bound:
                raw = self.data.get(self.add_prefix(province_name))
            else:
                raw = self.initial.get(province_name, self.fields[province_name].initial)
            self.fields[ward_name].limit_to_province(_code_of(raw))
            province_widget = self.fields[province_name].widget
            province_widget.attrs["hx-target"] = "#" + self[ward_name].auto_id
            # The endpoint reads the parameter named like the (possibly prefixed) field.
            province_widget.attrs["hx-vals"] = json.dumps({"field": self.add_prefix(province_name)})

    def clean(self):
        cleaned = super().clean()
        for province_name, ward_name in self.address_unit_fields:
            province = cleaned.get(province_name)
            ward = cleaned.get(ward_name)
            if ward is None:
                continue
            if province is None:
                if province_name not in self.errors:
                    cleaned[province_name] = ward.province
            elif ward.province_id != province.code:
                self.add_error(
                    ward_name,
                    gettext("%(ward)s is not in %(province)s. Choose a ward of that province.")
                    % {"ward": ward.name, "province": province.name},
                )
        return cleaned
