"""Forms of the shipping pages: they parse input; the services decide."""

from __future__ import annotations

import re

from django import forms
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from donhang.core.errors import DomainError
from donhang.inventory.models import Warehouse
from donhang.shipping.models import STATUS_CHOICES, CarrierAccount, Environment, Provider, Shipment
from donhang.shipping.services import PayoutLineInput

LABEL_SIZES = [("A6", "A6"), ("A5", "A5"), ("80mm", gettext_lazy("80 mm roll"))]


def style_fields(form) -> None:
    """Bootstrap classes on the widgets (the templates render fields as they are)."""
    for field in form.fields.values():
        widget = field.widget
        if isinstance(widget, forms.CheckboxInput):
            css = "form-check-input"
        elif isinstance(widget, forms.Select):
            css = "form-select"
        else:
            css = "form-control"
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


def _money(value) -> int | None:
    """ "360.000", "360,000", "360000 ₫" → 360000."""
    text = str(value or "").replace("₫", "").replace(".", "").replace(",", "").strip()
    if not text:
        return None
    return int(text)


class MoneyField(forms.CharField):
    def to_python(self, value):
        value = super().to_python(value)
        try:
            return _money(value)
        except ValueError:
            raise forms.ValidationError(_("Enter an amount in đồng, e.g. 360000.")) from None


class ShipmentCreateForm(DomainErrorMixin, forms.Form):
    """Carrier and service come as one radio value "<account id>:<service code>"."""

    choice = forms.CharField(label=gettext_lazy("Carrier and service"))
    cod_amount = MoneyField(label=gettext_lazy("COD amount (₫)"), required=False)
    cod_reason = forms.CharField(
        label=gettext_lazy("Why less COD than the order owes"),
        max_length=300,
        required=False,
        help_text=gettext_lazy(
            "Only when the COD is less than what the order still owes: a manager's decision, "
            "kept on the order."
        ),
    )
    weight_g = forms.IntegerField(label=gettext_lazy("Weight (g)"), min_value=1)
    length_cm = forms.IntegerField(label=gettext_lazy("Length (cm)"), min_value=1)
    width_cm = forms.IntegerField(label=gettext_lazy("Width (cm)"), min_value=1)
    height_cm = forms.IntegerField(label=gettext_lazy("Height (cm)"), min_value=1)
    fee_payer = forms.ChoiceField(
        label=gettext_lazy("Shipping paid by"), choices=Shipment.FeePayer.choices
    )
    inspection = forms.ChoiceField(
        label=gettext_lazy("Inspection"), choices=Shipment.Inspection.choices
    )
    note = forms.CharField(
        label=gettext_lazy("Note for the carrier"), max_length=255, required=False
    )

    def __init__(self, *args, accounts=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.accounts = {a.pk: a for a in accounts}
        style_fields(self)

    def clean_choice(self):
        raw = self.cleaned_data["choice"]
        account_id, _sep, service = raw.partition(":")
        try:
            account = self.accounts[int(account_id)]
        except (ValueError, KeyError):
            raise forms.ValidationError(_("Choose a carrier and a service.")) from None
        return account, service

    def clean_cod_amount(self):
        value = self.cleaned_data["cod_amount"]
        if value is not None and value < 0:
            raise forms.ValidationError(_("The COD amount cannot be negative."))
        return value

    def service_values(self) -> dict:
        data = self.cleaned_data
        account, service = data["choice"]
        return {
            "account": account,
            "service_code": service,
            # empty: what the order still owes
            "cod_amount": data["cod_amount"],
            "cod_reason": data["cod_reason"],
            "weight_g": data["weight_g"],
            "length_cm": data["length_cm"],
            "width_cm": data["width_cm"],
            "height_cm": data["height_cm"],
            "fee_payer": data["fee_payer"],
            "inspection": data["inspection"],
            "note": data["note"],
        }


class ShipmentFilterForm(forms.Form):
    account = forms.ModelChoiceField(
        label=gettext_lazy("Carrier"),
        queryset=CarrierAccount.objects.all(),
        required=False,
        empty_label=gettext_lazy("All carriers"),
    )
    status = forms.ChoiceField(
        label=gettext_lazy("Status"),
        choices=[("", gettext_lazy("All statuses")), *STATUS_CHOICES],
        required=False,
    )
    q = forms.CharField(label=gettext_lazy("Tracking number or order"), required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            field.widget.attrs["class"] = (
                "form-select form-select-sm"
                if isinstance(field, forms.ChoiceField)
                else "form-control form-control-sm"
            )

    def filters(self) -> dict:
        if not self.is_valid():
            return {}
        data = self.cleaned_data
        return {
            "account_id": data["account"].pk if data["account"] else None,
            "status": data["status"],
            "q": data["q"],
        }


def parse_payout_lines(text: str) -> tuple[list[PayoutLineInput], list[str]]:
    """One parcel a line: "tracking number, COD, fee" (tabs or semicolons work too; fee
    optional). Returns the lines and the errors by line number."""
    lines, errors = [], []
    for number, raw in enumerate((text or "").splitlines(), start=1):
        raw = raw.strip()
        if not raw:
            continue
        parts = [p for p in re.split(r"\s*[\t;]\s*|\s*,\s+|\s+", raw) if p]
        if len(parts) == 1:  # "GHN1,360000,30000"
            parts = [p.strip() for p in raw.split(",") if p.strip()]
        try:
            if len(parts) < 2:
                raise ValueError
            lines.append(
                PayoutLineInput(
                    tracking_code=parts[0],
                    cod_amount=_money(parts[1]) or 0,
                    fee=(_money(parts[2]) or 0) if len(parts) > 2 else 0,
                )
            )
        except ValueError:
            errors.append(
                _("Line %(n)s: write the tracking number, the COD and the fee.") % {"n": number}
            )
    return lines, errors


class PayoutForm(DomainErrorMixin, forms.Form):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["account"].queryset = CarrierAccount.objects.order_by("provider", "name")
        style_fields(self)

    account = forms.ModelChoiceField(
        label=gettext_lazy("Carrier"), queryset=CarrierAccount.objects.all()
    )
    paid_at = forms.DateField(
        label=gettext_lazy("Paid on"), widget=forms.DateInput(attrs={"type": "date"})
    )
    reference = forms.CharField(
        label=gettext_lazy("Statement reference"), max_length=60, required=False
    )
    lines = forms.CharField(
        label=gettext_lazy("Parcels"),
        widget=forms.Textarea(attrs={"rows": 8, "placeholder": "GHN123456, 360000, 30000"}),
        help_text=gettext_lazy(
            "One parcel a line: tracking number, COD paid, fee charged (the fee may be left out)."
        ),
    )

    def clean_lines(self):
        lines, errors = parse_payout_lines(self.cleaned_data["lines"])
        if errors:
            raise forms.ValidationError(errors)
        if not lines:
            raise forms.ValidationError(_("Add at least one tracking number."))
        return lines


class PayoutImportForm(DomainErrorMixin, forms.Form):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        style_fields(self)

    account = forms.ModelChoiceField(
        label=gettext_lazy("Carrier"), queryset=CarrierAccount.objects.all()
    )
    paid_at = forms.DateField(
        label=gettext_lazy("Paid on"), widget=forms.DateInput(attrs={"type": "date"})
    )
    reference = forms.CharField(
        label=gettext_lazy("Statement reference"), max_length=60, required=False
    )
    file = forms.FileField(
        label=gettext_lazy("Carrier statement (.xlsx or .csv)"),
        help_text=gettext_lazy(
            "Columns: tracking number (Mã vận đơn), COD (Tiền thu hộ), and optionally fee (Phí)."
        ),
    )

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if not upload.name.lower().endswith((".xlsx", ".csv")):
            raise forms.ValidationError(_("Upload an .xlsx or .csv file."))
        if upload.size > 10 * 1024 * 1024:
            raise forms.ValidationError(_("The file is larger than 10 MB."))
        return upload


# --- carrier accounts ---------------------------------------------------------------------------

# Credential fields per provider: (form field, key in the credentials or options, is secret).
CREDENTIAL_FIELDS = {
    Provider.GHN: [("ghn_token", "token", True)],
    Provider.VIETTELPOST: [
        ("vtp_username", "username", False),
        ("vtp_password", "password", True),
    ],
}


class CarrierAccountForm(DomainErrorMixin, forms.Form):
    """Secrets are never sent back to the browser: an empty secret field keeps what is stored."""

    provider = forms.ChoiceField(label=gettext_lazy("Carrier"), choices=Provider.choices)
    name = forms.CharField(label=gettext_lazy("Name"), max_length=100)
    environment = forms.ChoiceField(label=gettext_lazy("Environment"), choices=Environment.choices)
    base_url = forms.URLField(
        assume_scheme="https",
        label=gettext_lazy("API address"),
        required=False,
        help_text=gettext_lazy("Empty: the carrier's address for the environment."),
    )
    ghn_token = forms.CharField(
        label=gettext_lazy("GHN token"),
        required=False,
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "off"}),
    )
    ghn_shop_id = forms.IntegerField(label=gettext_lazy("GHN shop id"), required=False)
    vtp_username = forms.CharField(
        label=gettext_lazy("Viettel Post username"), required=False, max_length=200
    )
    vtp_password = forms.CharField(
        label=gettext_lazy("Viettel Post password"),
        required=False,
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "off"}),
    )
    webhook_secret = forms.CharField(
        label=gettext_lazy("Webhook secret"),
        required=False,
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "off"}),
    )
    pickup_warehouse = forms.ModelChoiceField(
        label=gettext_lazy("Pick up from"),
        queryset=Warehouse.objects.filter(is_active=True),
        required=False,
    )
    is_active = forms.BooleanField(label=gettext_lazy("Active"), required=False, initial=True)

    def __init__(self, *args, account: CarrierAccount | None = None, **kwargs):
        self.account = account
        if account is not None and "initial" not in kwargs:
            credentials = account.credentials
            kwargs["initial"] = {
                "provider": account.provider,
                "name": account.name,
                "environment": account.environment,
                "base_url": account.base_url,
                "ghn_shop_id": account.options.get("shop_id"),
                "vtp_username": credentials.get("username", ""),
                "pickup_warehouse": account.pickup_warehouse_id,
                "is_active": account.is_active,
            }
        super().__init__(*args, **kwargs)
        style_fields(self)

    def secrets_status(self) -> dict[str, bool]:
        """Which secrets are stored (shown as "set" / "not set"; never their value)."""
        credentials = self.account.credentials if self.account else {}
        return {
            "ghn_token": bool(credentials.get("token")),
            "vtp_password": bool(credentials.get("password")),
            "webhook_secret": bool(self.account and self.account.webhook_secret_encrypted),
        }

    def service_values(self) -> dict:
        data = self.cleaned_data
        provider = data["provider"]
        stored = self.account.credentials if self.account else {}
        same_provider = self.account is not None and self.account.provider == provider
        credentials = {}
        for field, key, secret in CREDENTIAL_FIELDS.get(provider, []):
            value = (data.get(field) or "").strip()
            if not value and secret and same_provider:
                value = stored.get(key, "")
            if value:
                credentials[key] = value
        if same_provider and provider == Provider.GHN:
            # A GHN token refreshed by the adapter and anything else stored stays.
            credentials = {**stored, **credentials}
        options = dict(self.account.options) if same_provider else {}
        if provider == Provider.GHN:
            if data.get("ghn_shop_id"):
                options["shop_id"] = data["ghn_shop_id"]
            else:
                options.pop("shop_id", None)
        secret = (data.get("webhook_secret") or "").strip()
        return {
            "provider": provider,
            "name": data["name"],
            "environment": data["environment"],
            "base_url": data["base_url"],
            "credentials": credentials,
            "options": options,
            # None keeps the stored secret
            "webhook_secret": secret or None,
            "pickup_warehouse": data["pickup_warehouse"],
            "is_active": data["is_active"],
        }
