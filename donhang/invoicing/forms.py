"""Forms of the invoicing pages: they parse input; the services decide."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from donhang.core.errors import DomainError
from donhang.invoicing.drafting import Buyer
from donhang.invoicing.models import (
    AutoIssueMoment,
    BuyerKind,
    Environment,
    InvoiceAccount,
    InvoiceKind,
    InvoiceTemplate,
    Provider,
    Purpose,
    State,
)
from donhang.invoicing.selectors import InvoiceFilters
from donhang.invoicing.services import AdjustmentInput


def style_fields(form, *, small: bool = False) -> None:
    """Bootstrap classes on the widgets (the templates render fields as they are)."""
    size = " form-control-sm" if small else ""
    for field in form.fields.values():
        widget = field.widget
        if isinstance(widget, forms.CheckboxInput):
            css = "form-check-input"
        elif isinstance(widget, forms.Select):
            css = "form-select" + (" form-select-sm" if small else "")
        else:
            css = "form-control" + size
        widget.attrs["class"] = css


class DomainErrorMixin:
    def add_domain_error(self, exc: DomainError) -> None:
        placed = False
        for key, reason in exc.fields.items():
            name = key.split(".")[0]
            if name in self.fields:
                self.add_error(name, reason)
                placed = True
        if not placed or exc.message not in exc.fields.values():
            self.add_error(None, exc.message)


def _money(value) -> int | None:
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


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, **kwargs):
        super().__init__(format="%Y-%m-%d", **kwargs)


# --- the list ------------------------------------------------------------------------------------


class InvoiceFilterForm(forms.Form):
    state = forms.ChoiceField(
        label=gettext_lazy("State"),
        choices=[
            ("", gettext_lazy("All states")),
            ("pending", gettext_lazy("Not issued yet")),
            *State.choices,
        ],
        required=False,
    )
    purpose = forms.ChoiceField(
        label=gettext_lazy("Kind"),
        choices=[("", gettext_lazy("All kinds")), *Purpose.choices],
        required=False,
    )
    account = forms.ModelChoiceField(
        label=gettext_lazy("Provider"),
        queryset=InvoiceAccount.objects.all(),
        required=False,
        empty_label=gettext_lazy("All providers"),
    )
    date_from = forms.DateField(label=gettext_lazy("From"), required=False, widget=DateInput())
    date_to = forms.DateField(label=gettext_lazy("To"), required=False, widget=DateInput())
    q = forms.CharField(
        label=gettext_lazy("Number, buyer tax code or order"), required=False, max_length=100
    )
    needs_review = forms.BooleanField(label=gettext_lazy("Needs the accountant"), required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        style_fields(self, small=True)

    def filters(self) -> InvoiceFilters:
        if not self.is_valid():
            return InvoiceFilters()
        data = self.cleaned_data
        return InvoiceFilters(
            state=data["state"],
            purpose=data["purpose"],
            account_id=data["account"].pk if data["account"] else None,
            date_from=data["date_from"],
            date_to=data["date_to"],
            q=data["q"],
            needs_review=data["needs_review"],
        )


# --- issuing ---------------------------------------------------------------------------------------


class IssueForm(forms.Form):
    template = forms.ModelChoiceField(
        label=gettext_lazy("Template"),
        queryset=InvoiceTemplate.objects.none(),
        empty_label=None,
    )

    def __init__(self, *args, templates=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["template"].queryset = (
            templates
            if templates is not None
            else (
                InvoiceTemplate.objects.filter(
                    is_active=True, account__is_active=True
                ).select_related("account")
            )
        )
        self.fields["template"].label_from_instance = lambda t: (
            f"{t.symbol} · {t.template_code} · {t.get_kind_display()} · "
            f"{t.account.get_provider_display()}"
        )
        style_fields(self)


# --- corrections ---------------------------------------------------------------------------------


class CorrectionForm(DomainErrorMixin, forms.Form):
    reason = forms.CharField(
        label=gettext_lazy("Reason"),
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=gettext_lazy("Printed on the new invoice, e.g. “Khách trả lại 1 sản phẩm”."),
    )
    agreement = forms.CharField(
        label=gettext_lazy("Agreement with the buyer"),
        max_length=200,
        required=False,
        help_text=gettext_lazy(
            "The written agreement (a company buyer) or notice (an individual)."
        ),
    )
    agreement_date = forms.DateField(
        label=gettext_lazy("Agreement date"), required=False, widget=DateInput()
    )


class ReplaceForm(CorrectionForm):
    buyer_kind = forms.ChoiceField(label=gettext_lazy("Buyer"), choices=BuyerKind.choices)
    buyer_name = forms.CharField(label=gettext_lazy("Buyer's name"), max_length=150)
    buyer_company_name = forms.CharField(
        label=gettext_lazy("Company name"), max_length=255, required=False
    )
    buyer_tax_code = forms.CharField(label=gettext_lazy("Tax code"), max_length=20, required=False)
    buyer_address = forms.CharField(label=gettext_lazy("Address"), max_length=400, required=False)
    buyer_email = forms.EmailField(label=gettext_lazy("Email"), required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        style_fields(self)

    def buyer(self, phone: str = "") -> Buyer:
        data = self.cleaned_data
        return Buyer(
            kind=data["buyer_kind"],
            name=data["buyer_name"].strip(),
            company_name=data["buyer_company_name"].strip(),
            tax_code=data["buyer_tax_code"].strip(),
            address=data["buyer_address"].strip(),
            email=data["buyer_email"].strip(),
            phone=phone,
        )


class AdjustForm(CorrectionForm):
    """One quantity field and one amount field per line of the invoice adjusted."""

    direction = forms.ChoiceField(
        label=gettext_lazy("Direction"),
        choices=[
            ("decrease", gettext_lazy("Decrease (return, discount)")),
            ("increase", gettext_lazy("Increase")),
        ],
        initial="decrease",
    )

    def __init__(self, *args, lines=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.lines = list(lines)
        for line in self.lines:
            self.fields[f"quantity_{line.pk}"] = forms.IntegerField(
                label=gettext_lazy("Units"), required=False, min_value=1
            )
            self.fields[f"amount_{line.pk}"] = MoneyField(
                label=gettext_lazy("Amount incl. VAT (₫)"), required=False
            )
        style_fields(self)

    def line_fields(self):
        return [
            (line, self[f"quantity_{line.pk}"], self[f"amount_{line.pk}"]) for line in self.lines
        ]

    def clean(self):
        data = super().clean()
        if not any(
            data.get(f"quantity_{ln.pk}") or data.get(f"amount_{ln.pk}") for ln in self.lines
        ):
            raise forms.ValidationError(
                _("Enter the units or the amount to adjust on at least one line.")
            )
        return data

    def changes(self) -> list[AdjustmentInput]:
        data = self.cleaned_data
        increase = data["direction"] == "increase"
        out = []
        for line in self.lines:
            quantity, amount = data.get(f"quantity_{line.pk}"), data.get(f"amount_{line.pk}")
            if quantity or amount:
                out.append(
                    AdjustmentInput(
                        line_id=line.pk,
                        quantity=quantity if not amount else None,
                        amount=amount or None,
                        increase=increase,
                    )
                )
        return out


# --- settings ------------------------------------------------------------------------------------

CREDENTIAL_FIELDS = {
    "sinvoice": [("sinvoice_username", "username"), ("sinvoice_password", "password")],
    "misa": [
        ("misa_app_id", "app_id"),
        ("misa_username", "username"),
        ("misa_password", "password"),
    ],
}
SECRET_FIELDS = {"sinvoice_password", "misa_password"}


class AccountForm(DomainErrorMixin, forms.Form):
    provider = forms.ChoiceField(label=gettext_lazy("Provider"), choices=Provider.choices)
    name = forms.CharField(label=gettext_lazy("Name"), max_length=100)
    environment = forms.ChoiceField(label=gettext_lazy("Environment"), choices=Environment.choices)
    base_url = forms.URLField(
        label=gettext_lazy("API address"),
        assume_scheme="https",
        required=False,
        help_text=gettext_lazy("Empty: the provider's address for the environment."),
    )
    sinvoice_username = forms.CharField(
        label=gettext_lazy("User name"), max_length=100, required=False
    )
    sinvoice_password = forms.CharField(
        label=gettext_lazy("Password"),
        required=False,
        widget=forms.PasswordInput(render_value=False),
    )
    misa_app_id = forms.CharField(label=gettext_lazy("App ID"), max_length=100, required=False)
    misa_username = forms.CharField(label=gettext_lazy("User name"), max_length=100, required=False)
    misa_password = forms.CharField(
        label=gettext_lazy("Password"),
        required=False,
        widget=forms.PasswordInput(render_value=False),
    )
    is_active = forms.BooleanField(label=gettext_lazy("Active"), required=False, initial=True)

    def __init__(self, *args, account: InvoiceAccount | None = None, **kwargs):
        self.account = account
        if account is not None and not args and "initial" not in kwargs:
            credentials = account.credentials
            initial = {
                "provider": account.provider,
                "name": account.name,
                "environment": account.environment,
                "base_url": account.base_url,
                "is_active": account.is_active,
            }
            for field, key in CREDENTIAL_FIELDS.get(account.provider, []):
                if field not in SECRET_FIELDS:
                    initial[field] = credentials.get(key, "")
            kwargs["initial"] = initial
        super().__init__(*args, **kwargs)
        style_fields(self)

    def secrets_status(self) -> dict[str, bool]:
        credentials = self.account.credentials if self.account else {}
        return {
            field: bool(credentials.get(key))
            for fields in CREDENTIAL_FIELDS.values()
            for field, key in fields
            if field in SECRET_FIELDS
        }

    def service_values(self) -> dict:
        data = self.cleaned_data
        provider = data["provider"]
        credentials = {
            key: data.get(field, "").strip() for field, key in CREDENTIAL_FIELDS[provider]
        }
        return {
            "provider": provider,
            "name": data["name"],
            "environment": data["environment"],
            "base_url": data["base_url"],
            "credentials": credentials,
            "options": self.account.options if self.account else {},
            "is_active": data["is_active"],
        }

    def add_domain_error(self, exc: DomainError) -> None:
        provider = self.data.get("provider") or ""
        mapping = {key: field for field, key in CREDENTIAL_FIELDS.get(provider, [])}
        fields = {mapping.get(k, k): v for k, v in exc.fields.items()}
        super().add_domain_error(DomainError(exc.message, fields=fields))


class TemplateForm(DomainErrorMixin, forms.Form):
    account = forms.ModelChoiceField(
        label=gettext_lazy("E-invoice account"),
        queryset=InvoiceAccount.objects.all(),
        empty_label=None,
    )
    kind = forms.ChoiceField(label=gettext_lazy("Kind"), choices=InvoiceKind.choices)
    template_code = forms.CharField(
        label=gettext_lazy("Template number"),
        max_length=10,
        help_text=gettext_lazy("Viettel S-Invoice: 1/001; MISA meInvoice: 1."),
    )
    series = forms.CharField(
        label=gettext_lazy("Series symbol"),
        max_length=10,
        help_text=gettext_lazy("As registered with the tax authority, e.g. C26TAA."),
    )
    is_default = forms.BooleanField(label=gettext_lazy("Default"), required=False)
    is_active = forms.BooleanField(label=gettext_lazy("Active"), required=False, initial=True)

    def __init__(self, *args, template: InvoiceTemplate | None = None, **kwargs):
        if template is not None and not args and "initial" not in kwargs:
            kwargs["initial"] = {
                "account": template.account_id,
                "kind": template.kind,
                "template_code": template.template_code,
                "series": template.series,
                "is_default": template.is_default,
                "is_active": template.is_active,
            }
        super().__init__(*args, **kwargs)
        style_fields(self)


class RuleForm(DomainErrorMixin, forms.Form):
    enabled = forms.BooleanField(label=gettext_lazy("Issue automatically"), required=False)
    moment = forms.ChoiceField(label=gettext_lazy("When"), choices=AutoIssueMoment.choices)
    company_buyers = forms.BooleanField(
        label=gettext_lazy("Company buyers (with a tax code)"), required=False
    )
    buyers_asking = forms.BooleanField(
        label=gettext_lazy("Buyers who ask for an invoice"), required=False
    )
    total_above = MoneyField(
        label=gettext_lazy("Orders with a total above (₫)"),
        required=False,
        help_text=gettext_lazy("Empty: the total does not decide."),
    )
    template = forms.ModelChoiceField(
        label=gettext_lazy("Template"),
        queryset=InvoiceTemplate.objects.filter(is_active=True),
        required=False,
        empty_label=gettext_lazy("The default template"),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        style_fields(self)
