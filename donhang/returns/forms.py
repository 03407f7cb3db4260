"""Forms of the returns pages. They check what a person typed; the services decide."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from donhang.accounts.banks import KNOWN_BANKS
from donhang.inventory.models import Warehouse
from donhang.orders.models import PaymentMethod
from donhang.returns.models import Reason, RefundMethod, Source, State

SMALL = {"class": "form-control form-control-sm"}
SELECT = {"class": "form-select form-select-sm"}
CHECK = {"class": "form-check-input"}
MAX_UNITS = 1_000_000
MAX_MONEY = 1_000_000_000_000


class ReturnFilterForm(forms.Form):
    q = forms.CharField(
        label=_("Search"),
        required=False,
        max_length=100,
        widget=forms.TextInput(
            attrs={**SMALL, "placeholder": _("Return or order code, phone, name")}
        ),
    )
    state = forms.ChoiceField(
        label=_("State"),
        required=False,
        choices=[("", _("All states")), *State.choices],
        widget=forms.Select(attrs=SELECT),
    )
    source = forms.ChoiceField(
        label=_("Source"),
        required=False,
        choices=[("", _("All sources")), *Source.choices],
        widget=forms.Select(attrs=SELECT),
    )


class ReturnCreateForm(forms.Form):
    """One quantity and reason per order line that may still come back."""

    reason = forms.ChoiceField(
        label=_("Reason"), choices=Reason.choices, widget=forms.Select(attrs=SELECT)
    )
    source = forms.ChoiceField(
        label=_("Asked by"),
        choices=[(Source.STAFF, _("Staff")), (Source.CUSTOMER, _("The customer"))],
        initial=Source.STAFF,
        widget=forms.Select(attrs=SELECT),
    )
    note = forms.CharField(
        label=_("Note"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={**SMALL, "rows": 2}),
    )

    def __init__(self, *args, lines=(), returnable=None, **kwargs):
        super().__init__(*args, **kwargs)
        returnable = returnable or {}
        self.line_rows = []
        for line in lines:
            left = max(returnable.get(line.pk, 0), 0)
            quantity = forms.IntegerField(
                label=line.sku,
                required=False,
                min_value=0,
                max_value=left,
                initial=0,
                widget=forms.NumberInput(
                    attrs={**SMALL, "min": 0, "max": left, "data-select-on-focus": ""}
                ),
            )
            if not left:
                quantity.disabled = True
            reason = forms.ChoiceField(
                label=_("Reason"),
                required=False,
                choices=[("", _("Same as the return")), *Reason.choices],
                widget=forms.Select(attrs=SELECT),
            )
            self.fields[f"quantity_{line.pk}"] = quantity
            self.fields[f"reason_{line.pk}"] = reason
            self.line_rows.append(
                {
                    "line": line,
                    "left": left,
                    "quantity": self[f"quantity_{line.pk}"],
                    "reason": self[f"reason_{line.pk}"],
                }
            )

    def chosen(self) -> list[tuple[int, int, str]]:
        """(order line id, quantity, reason) of the lines with a quantity."""
        out = []
        for row in self.line_rows:
            pk = row["line"].pk
            quantity = self.cleaned_data.get(f"quantity_{pk}") or 0
            if quantity:
                out.append((pk, quantity, self.cleaned_data.get(f"reason_{pk}") or ""))
        return out


def _warehouses():
    return Warehouse.objects.filter(is_active=True).order_by("priority", "code")


class ReceiveForm(forms.Form):
    warehouse = forms.ModelChoiceField(
        label=_("Received at"),
        queryset=Warehouse.objects.none(),
        empty_label=None,
        widget=forms.Select(attrs=SELECT),
    )
    at_counter = forms.BooleanField(
        label=_("Handed in at the counter: inspect now"),
        required=False,
        widget=forms.CheckboxInput(attrs=CHECK),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["warehouse"].queryset = _warehouses()


class InspectForm(forms.Form):
    """Per line of the return: good, damaged, missing, where good units go, the damage."""

    def __init__(self, *args, lines=(), default_warehouse=None, **kwargs):
        super().__init__(*args, **kwargs)
        warehouses = list(_warehouses())
        self.line_rows = []
        for line in lines:
            pk = line.pk
            for name, label, initial in (
                ("good", _("Good"), line.quantity),
                ("damaged", _("Damaged"), 0),
                ("missing", _("Missing"), 0),
            ):
                self.fields[f"{name}_{pk}"] = forms.IntegerField(
                    label=label,
                    min_value=0,
                    max_value=line.quantity,
                    initial=initial,
                    widget=forms.NumberInput(
                        attrs={**SMALL, "min": 0, "max": line.quantity, "data-select-on-focus": ""}
                    ),
                )
            self.fields[f"warehouse_{pk}"] = forms.TypedChoiceField(
                label=_("Good units to"),
                coerce=int,
                choices=[(w.pk, w.name) for w in warehouses],
                initial=default_warehouse,
                required=False,
                widget=forms.Select(attrs=SELECT),
            )
            self.fields[f"note_{pk}"] = forms.CharField(
                label=_("Damage"),
                required=False,
                max_length=500,
                widget=forms.TextInput(attrs={**SMALL, "placeholder": _("What is wrong")}),
            )
            self.fields[f"photo_{pk}"] = forms.FileField(
                label=_("Photo"),
                required=False,
                widget=forms.ClearableFileInput(
                    attrs={**SMALL, "accept": "image/jpeg,image/png,image/webp"}
                ),
            )
            self.line_rows.append(
                {
                    "line": line,
                    **{
                        n: self[f"{n}_{pk}"]
                        for n in ("good", "damaged", "missing", "warehouse", "note", "photo")
                    },
                }
            )

    def values(self, pk: int) -> dict:
        data = self.cleaned_data
        return {
            "good": data.get(f"good_{pk}") or 0,
            "damaged": data.get(f"damaged_{pk}") or 0,
            "missing": data.get(f"missing_{pk}") or 0,
            "warehouse_id": data.get(f"warehouse_{pk}") or None,
            "note": data.get(f"note_{pk}") or "",
            "photo": data.get(f"photo_{pk}"),
        }


class RefundForm(forms.Form):
    amount = forms.IntegerField(
        label=_("Amount (₫)"),
        required=False,
        min_value=1,
        max_value=MAX_MONEY,
        help_text=_("Empty: what the returned units were paid."),
        widget=forms.NumberInput(attrs={**SMALL, "min": 1}),
    )
    include_shipping = forms.BooleanField(
        label=_("Give back the shipping fee too"),
        required=False,
        widget=forms.CheckboxInput(attrs=CHECK),
    )
    method = forms.ChoiceField(
        label=_("Method"), choices=RefundMethod.choices, widget=forms.Select(attrs=SELECT)
    )
    bank_bin = forms.ChoiceField(
        label=_("Customer's bank"),
        required=False,
        choices=[
            ("", "—"),
            *sorted(((b, f"{n} ({b})") for b, n in KNOWN_BANKS.items()), key=lambda c: c[1]),
        ],
        widget=forms.Select(attrs=SELECT),
    )
    bank_account = forms.CharField(
        label=_("Account number"),
        required=False,
        max_length=30,
        widget=forms.TextInput(attrs={**SMALL, "inputmode": "numeric", "autocomplete": "off"}),
    )
    account_holder = forms.CharField(
        label=_("Account holder"),
        required=False,
        max_length=100,
        widget=forms.TextInput(attrs=SMALL),
    )
    paid = forms.BooleanField(
        label=_("Already transferred"),
        required=False,
        help_text=_("Unticked, a bank transfer waits with a QR code to scan."),
        widget=forms.CheckboxInput(attrs=CHECK),
    )
    reference = forms.CharField(
        label=_("Reference"),
        required=False,
        max_length=120,
        widget=forms.TextInput(attrs=SMALL),
    )


class MarkPaidForm(forms.Form):
    reference = forms.CharField(
        label=_("Transfer reference"),
        required=False,
        max_length=120,
        widget=forms.TextInput(attrs={**SMALL, "placeholder": _("e.g. FT26113…")}),
    )


EXCHANGE_ROWS = 3


class ExchangeForm(forms.Form):
    shipping_fee = forms.IntegerField(
        label=_("Shipping fee (₫)"),
        required=False,
        min_value=0,
        max_value=MAX_MONEY,
        initial=0,
        widget=forms.NumberInput(attrs={**SMALL, "min": 0}),
    )
    payment_method = forms.ChoiceField(
        label=_("The difference is paid by"),
        choices=PaymentMethod.choices,
        initial=PaymentMethod.COD,
        widget=forms.Select(attrs=SELECT),
    )
    note = forms.CharField(
        label=_("Note"), required=False, max_length=500, widget=forms.TextInput(attrs=SMALL)
    )

    def __init__(self, *args, initial_sku="", **kwargs):
        super().__init__(*args, **kwargs)
        self.rows = []
        for i in range(EXCHANGE_ROWS):
            self.fields[f"sku_{i}"] = forms.CharField(
                label=_("SKU"),
                required=False,
                max_length=64,
                initial=initial_sku if i == 0 else "",
                widget=forms.TextInput(attrs={**SMALL, "autocomplete": "off"}),
            )
            self.fields[f"quantity_{i}"] = forms.IntegerField(
                label=_("Quantity"),
                required=False,
                min_value=1,
                max_value=MAX_UNITS,
                initial=1 if i == 0 else None,
                widget=forms.NumberInput(attrs={**SMALL, "min": 1}),
            )
            self.rows.append((self[f"sku_{i}"], self[f"quantity_{i}"]))

    def lines(self) -> list[tuple[str, int]]:
        out = []
        for i in range(EXCHANGE_ROWS):
            sku = (self.cleaned_data.get(f"sku_{i}") or "").strip()
            if sku:
                out.append((sku, self.cleaned_data.get(f"quantity_{i}") or 1))
        return out


class ReportForm(forms.Form):
    date_from = forms.DateField(
        label=_("From"), required=False, widget=forms.DateInput(attrs={**SMALL, "type": "date"})
    )
    date_to = forms.DateField(
        label=_("To"), required=False, widget=forms.DateInput(attrs={**SMALL, "type": "date"})
    )
