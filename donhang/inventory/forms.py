from django import forms
from django.utils.translation import gettext_lazy as _

from donhang.core.errors import ValidationFailed
from donhang.core.phone import normalize_phone
from donhang.customers.forms import AddressUnitsFormMixin, ProvinceField, WardField
from donhang.inventory import selectors
from donhang.inventory.models import Warehouse
from donhang.inventory.services import CODE_PATTERN


class WarehouseForm(AddressUnitsFormMixin, forms.Form):
    """Input of the create/edit page. The services apply the rules; this checks the shape."""

    code = forms.CharField(
        label=_("Code"),
        max_length=20,
        help_text=_("Short and unique, for example HN or KHO-01. Letters, digits, - and _."),
    )
    name = forms.CharField(label=_("Name"), max_length=120)
    kind = forms.ChoiceField(label=_("Type"), choices=Warehouse.Kind.choices)
    address_line = forms.CharField(
        label=_("Street address"),
        max_length=255,
        required=False,
        help_text=_("House number, street, building."),
    )
    province = ProvinceField(required=False)
    ward = WardField(required=False)
    contact_name = forms.CharField(label=_("Contact person"), max_length=120, required=False)
    phone = forms.CharField(
        label=_("Phone"),
        max_length=32,
        required=False,
        widget=forms.TextInput(attrs={"type": "tel", "placeholder": "0912 345 678"}),
    )
    priority = forms.IntegerField(
        label=_("Priority"),
        min_value=0,
        max_value=32767,
        initial=100,
        help_text=_("Lower ships first when several warehouses have stock."),
    )
    allow_negative_stock = forms.BooleanField(
        label=_("Allow negative stock"),
        required=False,
        help_text=_("Let sales go through when the count says there is nothing left."),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            widget = field.widget
            if isinstance(widget, forms.CheckboxInput):
                css = "form-check-input"
            elif isinstance(widget, forms.Select):
                css = "form-select"
            else:
                css = "form-control"
            widget.attrs["class"] = f"{widget.attrs.get('class', '')} {css}".strip()

    def clean_code(self):
        code = self.cleaned_data["code"].strip().upper()
        if not CODE_PATTERN.match(code):
            raise forms.ValidationError(
                _("Use only letters, digits, - or _ (for example HN or KHO-01).")
            )
        return code

    def clean_phone(self):
        raw = self.cleaned_data["phone"].strip()
        if not raw:
            return ""
        try:
            return normalize_phone(raw)
        except ValidationFailed as error:
            raise forms.ValidationError(error.fields.get("phone", error.message)) from None

    @classmethod
    def initial_for(cls, warehouse: Warehouse) -> dict:
        return {
            "code": warehouse.code,
            "name": warehouse.name,
            "kind": warehouse.kind,
            "address_line": warehouse.address_line,
            "province": warehouse.province_id,
            "ward": warehouse.ward_id,
            "contact_name": warehouse.contact_name,
            "phone": warehouse.phone_display,
            "priority": warehouse.priority,
            "allow_negative_stock": warehouse.allow_negative_stock,
        }

    def service_arguments(self) -> dict:
        return dict(self.cleaned_data)

    def add_domain_error(self, error) -> None:
        """Show a service's error on its fields, or above the form."""
        placed = False
        for field, reason in error.fields.items():
            if field in self.fields:
                self.add_error(field, reason)
                placed = True
        if not placed:
            self.add_error(None, error.message)


def _bootstrap(form: forms.Form) -> None:
    for field in form.fields.values():
        widget = field.widget
        if isinstance(widget, forms.CheckboxInput | forms.RadioSelect):
            css = "form-check-input"
        elif isinstance(widget, forms.Select):
            css = "form-select"
        else:
            css = "form-control"
        widget.attrs["class"] = f"{widget.attrs.get('class', '')} {css}".strip()


class StockAdjustForm(forms.Form):
    """A manual correction on the variant's stock page: where, how much (+/−), why."""

    warehouse = forms.ModelChoiceField(
        label=_("Warehouse"),
        queryset=Warehouse.objects.filter(is_active=True).order_by("priority", "code"),
        empty_label=None,
    )
    delta = forms.IntegerField(
        label=_("Change"),
        min_value=-1_000_000,
        max_value=1_000_000,
        help_text=_("Positive adds units (found, counted more), negative removes them."),
        widget=forms.NumberInput(attrs={"step": 1, "placeholder": "+5 / -2"}),
    )
    reason = forms.CharField(
        label=_("Reason"),
        max_length=255,
        help_text=_("For example: damaged in storage, found during count."),
    )

    # Errors of the service named after other fields.
    field_aliases = {"quantity": "delta"}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        _bootstrap(self)

    def clean_delta(self):
        delta = self.cleaned_data["delta"]
        if delta == 0:
            raise forms.ValidationError(_("Enter a change other than 0."))
        return delta

    def clean_reason(self):
        reason = self.cleaned_data["reason"].strip()
        if not reason:
            raise forms.ValidationError(_("Say why the stock changes."))
        return reason

    def add_domain_error(self, error) -> None:
        for field, reason in error.fields.items():
            field = self.field_aliases.get(field, field)
            if field in self.fields and field not in self.errors:
                self.add_error(field, reason)
        # The message says what is wrong as a whole (e.g. how much is available).
        self.add_error(None, error.message)


class ChannelRuleForm(forms.Form):
    """How one channel's orders choose warehouses, among `warehouses` (the active ones)."""

    strategy = forms.ChoiceField(label=_("Warehouse choice"), widget=forms.RadioSelect)
    warehouses = forms.TypedMultipleChoiceField(
        label=_("Allowed warehouses"),
        coerce=int,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("None ticked: every active warehouse."),
    )

    def __init__(self, *args, warehouses, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["strategy"].choices = selectors.allocation_strategy_choices()
        self.fields["warehouses"].choices = [(w.pk, f"{w.code} — {w.name}") for w in warehouses]
        _bootstrap(self)

    def add_domain_error(self, error) -> None:
        placed = False
        for field, reason in error.fields.items():
            if field in self.fields:
                self.add_error(field, reason)
                placed = True
        if not placed:
            self.add_error(None, error.message)


# --- transfers and stocktakes ----------------------------------------------------------------


def _active_warehouses():
    return Warehouse.objects.filter(is_active=True).order_by("priority", "code")


class _DomainErrorsMixin:
    field_aliases: dict[str, str] = {}

    def add_domain_error(self, error) -> None:
        """The service's field errors on the fields they name; its message above the form."""
        for field, reason in error.fields.items():
            field = self.field_aliases.get(field, field)
            if field in self.fields and field not in self.errors:
                self.add_error(field, reason)
        self.add_error(None, error.message)


class TransferForm(_DomainErrorsMixin, forms.Form):
    """The header of a new transfer; its lines come as lists (line_variant, line_quantity)."""

    source = forms.ModelChoiceField(
        label=_("From warehouse"), queryset=_active_warehouses(), empty_label=None
    )
    destination = forms.ModelChoiceField(label=_("To warehouse"), queryset=_active_warehouses())
    note = forms.CharField(
        label=_("Note"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("For example the vehicle or who carries the goods."),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        _bootstrap(self)

    def clean(self):
        data = super().clean()
        if data.get("source") and data.get("source") == data.get("destination"):
            self.add_error("destination", _("Choose a warehouse other than the source."))
        return data


class TransferReceiveForm(_DomainErrorsMixin, forms.Form):
    """What arrived, per line (prefilled with what was sent), and why it differs."""

    discrepancy_note = forms.CharField(
        label=_("Discrepancy note"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("Required when a quantity received differs from what was sent."),
    )

    def __init__(self, *args, lines, **kwargs):
        super().__init__(*args, **kwargs)
        self.lines = lines
        for line in lines:
            self.fields[f"received_{line.pk}"] = forms.IntegerField(
                label=line.variant.sku,
                min_value=0,
                max_value=10_000_000,
                initial=line.quantity,
                widget=forms.NumberInput(attrs={"step": 1}),
            )
        _bootstrap(self)
        self.field_aliases = {f"received.{line.pk}": f"received_{line.pk}" for line in lines}

    def rows(self):
        """(line, its bound field) for the template."""
        return [(line, self[f"received_{line.pk}"]) for line in self.lines]

    def received(self) -> dict[int, int]:
        return {line.pk: self.cleaned_data[f"received_{line.pk}"] for line in self.lines}


class StocktakeForm(_DomainErrorsMixin, forms.Form):
    warehouse = forms.ModelChoiceField(
        label=_("Warehouse"), queryset=_active_warehouses(), empty_label=None
    )
    category = forms.ModelChoiceField(
        label=_("Category"),
        queryset=None,
        required=False,
        empty_label=_("Whole warehouse"),
        help_text=_("Count one category (and its subcategories) only, or leave empty."),
    )
    note = forms.CharField(
        label=_("Note"), required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 2})
    )

    def __init__(self, *args, **kwargs):
        from donhang.catalog.models import Category
        from donhang.catalog.selectors import category_tree

        super().__init__(*args, **kwargs)
        field = self.fields["category"]
        field.queryset = Category.objects.all()
        # Tree order with the full path, so "Áo › Áo thun" is told apart from "Quần › Áo thun".
        field.choices = [("", field.empty_label)] + [(c.pk, c.full_name) for c in category_tree()]
        _bootstrap(self)


IMPORT_MAX_BYTES = 5 * 1024 * 1024


class StocktakeImportForm(forms.Form):
    file = forms.FileField(
        label=_("Scanner file"),
        help_text=_(
            "An .xlsx or .csv file with a header row: a SKU (or barcode) column and a quantity "
            "column. Rows of the same code add up."
        ),
        widget=forms.ClearableFileInput(attrs={"accept": ".xlsx,.csv"}),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        _bootstrap(self)

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if not upload.name.lower().endswith((".xlsx", ".csv")):
            raise forms.ValidationError(_("Upload an .xlsx or .csv file."))
        if upload.size > IMPORT_MAX_BYTES:
            raise forms.ValidationError(_("The file is larger than 5 MB."))
        return upload


def parse_counts(data, line_ids) -> tuple[dict[int, int | None], dict[int, str]]:
    """Counts typed on the sheet: `count_<line id>` → {line id: quantity, or None when empty},
    and {line id: error} for what is not a whole number ≥ 0."""
    counts: dict[int, int | None] = {}
    errors: dict[int, str] = {}
    for line_id in line_ids:
        key = f"count_{line_id}"
        if key not in data:
            continue
        text = data.get(key, "").strip().replace(".", "").replace(" ", "")
        if not text:
            counts[line_id] = None
        elif text.isascii() and text.isdigit():  # "²" is a digit, not a number
            counts[line_id] = int(text)
        else:
            errors[line_id] = _("Enter a whole number, 0 or more.")
    return counts, errors
