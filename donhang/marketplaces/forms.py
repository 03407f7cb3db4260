"""Forms of the integrations pages: they parse input; the services decide."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy

from donhang.core.errors import DomainError
from donhang.inventory.models import Warehouse
from donhang.marketplaces.models import Environment, Platform
from donhang.orders.models import AllocationStrategy


def style_fields(form) -> None:
    for field in form.fields.values():
        widget = field.widget
        if isinstance(widget, forms.CheckboxInput | forms.CheckboxSelectMultiple):
            continue
        css = "form-select" if isinstance(widget, forms.Select) else "form-control"
        widget.attrs["class"] = css


class DomainErrorMixin:
    def add_domain_error(self, exc: DomainError) -> None:
        placed = False
        for key, reason in exc.fields.items():
            name = key.split(".")[0]
            if name in self.fields:
                self.add_error(name, reason)
                placed = True
        if not placed:
            self.add_error(None, exc.message)


# The platform's own names of the two app credentials (what the seller copies from its console).
CREDENTIAL_NAMES = {
    "shopee": ("partner_id", "partner_key"),
    "lazada": ("app_key", "app_secret"),
    "tiktok_shop": ("app_key", "app_secret"),
}


class ConnectForm(DomainErrorMixin, forms.Form):
    platform = forms.ChoiceField(label=gettext_lazy("Platform"), choices=Platform.choices)
    name = forms.CharField(
        label=gettext_lazy("Name"),
        max_length=100,
        help_text=gettext_lazy("How the shop is called here, e.g. “Shopee — main shop”."),
    )
    app_key = forms.CharField(
        label=gettext_lazy("App key (Shopee: partner id)"),
        max_length=100,
        help_text=gettext_lazy("From the platform's developer console."),
    )
    app_secret = forms.CharField(
        label=gettext_lazy("App secret (Shopee: partner key)"),
        max_length=200,
        widget=forms.PasswordInput(render_value=False),
        help_text=gettext_lazy("Stored encrypted; never shown again."),
    )
    service_id = forms.CharField(
        label=gettext_lazy("Service id (TikTok Shop only)"), max_length=100, required=False
    )
    environment = forms.ChoiceField(
        label=gettext_lazy("Environment"),
        choices=Environment.choices,
        initial=Environment.PRODUCTION,
    )
    base_url = forms.URLField(
        assume_scheme="https",
        label=gettext_lazy("API address"),
        required=False,
        help_text=gettext_lazy("Empty: the platform's own. Set it for an emulator."),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        style_fields(self)

    def service_values(self) -> dict:
        data = self.cleaned_data
        key_name, secret_name = CREDENTIAL_NAMES[data["platform"]]
        credentials = {key_name: data["app_key"].strip(), secret_name: data["app_secret"]}
        if data.get("service_id"):
            credentials["service_id"] = data["service_id"].strip()
        return {
            "platform": data["platform"],
            "name": data["name"],
            "credentials": credentials,
            "environment": data["environment"],
            "base_url": data.get("base_url") or "",
        }


class ShopSettingsForm(DomainErrorMixin, forms.Form):
    name = forms.CharField(label=gettext_lazy("Name"), max_length=100)
    stock_percent = forms.IntegerField(
        label=gettext_lazy("Percentage of available stock to publish"), min_value=0, max_value=100
    )
    stock_buffer = forms.IntegerField(label=gettext_lazy("Keep back (units)"), min_value=0)
    strategy = forms.ChoiceField(
        label=gettext_lazy("Warehouse choice"), choices=AllocationStrategy.choices
    )
    warehouses = forms.ModelMultipleChoiceField(
        label=gettext_lazy("Warehouses this shop sells from"),
        queryset=Warehouse.objects.filter(is_active=True).order_by("priority", "code"),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=gettext_lazy("None ticked: every active warehouse."),
    )
    push_url = forms.URLField(
        assume_scheme="https",
        label=gettext_lazy("Push address registered at the platform"),
        required=False,
        help_text=gettext_lazy("Shopee signs pushes with it; leave empty to use this site's."),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        style_fields(self)


class LinkForm(forms.Form):
    sku = forms.CharField(label=gettext_lazy("Our SKU"), max_length=64)
