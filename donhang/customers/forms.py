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


# --- customer pages ----------------------------------------------------------------------------


class BootstrapFormMixin:
    """Bootstrap classes on every widget, and a service's DomainError shown on its fields."""

    field_aliases: dict[str, str] = {}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for form_field in self.fields.values():
            widget = form_field.widget
            # CheckboxSelectMultiple is a RadioSelect.
            if isinstance(widget, forms.CheckboxInput | forms.RadioSelect):
                css = "form-check-input"
            elif isinstance(widget, forms.Select):
                css = "form-select"
            else:
                css = "form-control"
            widget.attrs["class"] = f"{widget.attrs.get('class', '')} {css}".strip()

    def add_domain_error(self, error) -> None:
        placed = False
        for name, reason in error.fields.items():
            name = self.field_aliases.get(name, name)
            if name in self.fields and name not in self.errors:
                self.add_error(name, reason)
                placed = True
        if not placed:
            self.add_error(None, error.message)


def _clean_phone(raw: str) -> str:
    from donhang.core.errors import ValidationFailed
    from donhang.core.phone import normalize_phone

    raw = (raw or "").strip()
    if not raw:
        return ""
    try:
        return normalize_phone(raw)
    except ValidationFailed as error:
        raise forms.ValidationError(error.fields.get("phone", error.message)) from None


class CustomerForm(BootstrapFormMixin, forms.Form):
    name = forms.CharField(label=_("Name"), max_length=150)
    phone = forms.CharField(
        label=_("Phone"),
        max_length=32,
        required=False,
        widget=forms.TextInput(attrs={"type": "tel", "placeholder": "0912 345 678"}),
    )
    email = forms.EmailField(label=_("Email"), required=False)
    tags = forms.CharField(
        label=_("Tags"),
        max_length=400,
        required=False,
        help_text=_("Separated by commas, for example: VIP, wholesale."),
    )
    note = forms.CharField(
        label=_("Note"), required=False, widget=forms.Textarea(attrs={"rows": 4})
    )

    def clean_phone(self):
        return _clean_phone(self.cleaned_data["phone"])

    def clean_tags(self):
        return [t.strip() for t in self.cleaned_data["tags"].split(",") if t.strip()]

    @classmethod
    def initial_for(cls, customer) -> dict:
        from donhang.core.phone import display_phone

        return {
            "name": customer.name,
            "phone": display_phone(customer.phone),
            "email": customer.email,
            "tags": ", ".join(customer.tags or []),
            "note": customer.note,
        }


class CustomerAddressForm(BootstrapFormMixin, AddressUnitsFormMixin, forms.Form):
    recipient_name = forms.CharField(
        label=_("Recipient"),
        max_length=150,
        required=False,
        help_text=_("Empty: the customer's name."),
    )
    phone = forms.CharField(
        label=_("Recipient phone"),
        max_length=32,
        required=False,
        widget=forms.TextInput(attrs={"type": "tel", "placeholder": "0912 345 678"}),
        help_text=_("Empty: the customer's phone."),
    )
    province = ProvinceField()
    ward = WardField()
    line = forms.CharField(
        label=_("Street address"), max_length=255, help_text=_("House number, street, building.")
    )
    is_default = forms.BooleanField(label=_("Default address"), required=False)

    def clean_phone(self):
        return _clean_phone(self.cleaned_data["phone"])


class CustomerSearchForm(forms.Form):
    q = forms.CharField(label=_("Search"), required=False, max_length=100)
    duplicates = forms.BooleanField(label=_("Possible duplicates"), required=False)


class CustomerMergeForm(BootstrapFormMixin, forms.Form):
    """Choose, among customers with the same phone, the one to keep and those folded into it."""

    keep = forms.TypedChoiceField(label=_("Keep"), coerce=int, widget=forms.RadioSelect)
    duplicates = forms.TypedMultipleChoiceField(
        label=_("Merge into it"),
        coerce=int,
        widget=forms.CheckboxSelectMultiple,
        required=False,
    )

    def __init__(self, *args, candidates, **kwargs):
        super().__init__(*args, **kwargs)
        self.candidates = {c.pk: c for c in candidates}
        choices = [(c.pk, f"#{c.pk} {c.name}") for c in candidates]
        self.fields["keep"].choices = choices
        self.fields["duplicates"].choices = choices

    def clean(self):
        cleaned = super().clean()
        keep = cleaned.get("keep")
        if keep is None:
            return cleaned
        duplicates = [pk for pk in cleaned.get("duplicates") or [] if pk != keep]
        if not duplicates:
            self.add_error("duplicates", gettext("Choose at least one other customer to merge."))
        cleaned["keep_customer"] = self.candidates[keep]
        cleaned["duplicate_customers"] = [self.candidates[pk] for pk in duplicates]
        return cleaned
