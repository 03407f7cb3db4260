from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from donhang.catalog.models import MAX_ATTRIBUTES, Brand, Category
from donhang.core.errors import DomainError
from donhang.core.money import VatRate


class CategoryChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return "\u2003" * obj.depth + obj.name


def category_field(**kwargs) -> CategoryChoiceField:
    return CategoryChoiceField(
        queryset=Category.objects.order_by("path"),
        required=False,
        label=kwargs.pop("label", _("Category")),
        empty_label=kwargs.pop("empty_label", _("(none)")),
        **kwargs,
    )


def add_domain_error(form: forms.Form, exc: DomainError) -> None:
    """Show a service's error on the form: on the named fields, else at the top."""
    placed = False
    for name, reason in exc.fields.items():
        if name in form.fields:
            form.add_error(name, reason)
            placed = True
    if not placed or exc.message:
        form.add_error(None, exc.message)
    style_fields(form)


def parse_specifications(text: str) -> list[dict]:
    """ "Chất liệu: Cotton" per line → [{"name": "Chất liệu", "value": "Cotton"}]."""
    result = []
    for line in (text or "").splitlines():
        if not line.strip():
            continue
        name, sep, value = line.partition(":")
        if not sep:
            raise forms.ValidationError(
                _("Write each specification on its own line as Name: value.")
            )
        result.append({"name": name.strip(), "value": value.strip()})
    return result


def specifications_text(specifications) -> str:
    return "\n".join(f"{s.get('name', '')}: {s.get('value', '')}" for s in specifications or [])


def style_fields(form: forms.Form) -> None:
    """Bootstrap classes on every widget."""
    for bound in form:
        widget = bound.field.widget
        if isinstance(widget, forms.CheckboxInput):
            css = "form-check-input"
        elif isinstance(widget, forms.Select):
            css = "form-select"
        else:
            css = "form-control"
        if bound.errors:
            css += " is-invalid"
        widget.attrs["class"] = css


class StyledForm(forms.Form):
    # Forms that add or remove fields in __init__ call style_fields() themselves at the end:
    # iterating the form caches its bound fields.
    style_in_init = True

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.style_in_init:
            style_fields(self)

    def full_clean(self):
        super().full_clean()
        style_fields(self)


class CategoryForm(StyledForm):
    name = forms.CharField(label=_("Name"), max_length=120)
    parent = category_field(label=_("Parent category"), empty_label=_("(top level)"))


class BrandForm(StyledForm):
    name = forms.CharField(label=_("Name"), max_length=120)


def _number(label, **kwargs):
    return forms.IntegerField(
        label=label,
        min_value=0,
        required=False,
        initial=0,
        widget=forms.NumberInput(attrs={"inputmode": "numeric", "step": 1}),
        **kwargs,
    )


class ProductForm(StyledForm):
    """The product create and edit form. Field names are stable: a browser test drives them."""

    style_in_init = False

    name = forms.CharField(label=_("Product name"), max_length=255)
    sku = forms.CharField(
        label=_("Product code (SKU)"),
        max_length=64,
        help_text=_("Variant SKUs are made from it, e.g. AT01-DO-M."),
    )
    category = category_field()
    brand = forms.ModelChoiceField(
        queryset=Brand.objects.order_by("name"),
        required=False,
        label=_("Brand"),
        empty_label=_("(none)"),
    )
    description = forms.CharField(
        label=_("Description"), required=False, widget=forms.Textarea(attrs={"rows": 4})
    )
    specifications = forms.CharField(
        label=_("Specifications"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3, "placeholder": _("Material: Cotton")}),
        help_text=_("One per line, as Name: value."),
    )
    video_urls = forms.CharField(
        label=_("Video links"),
        required=False,
        widget=forms.Textarea(
            attrs={"rows": 2, "placeholder": "https://www.youtube.com/watch?v=…"}
        ),
        help_text=_("One link per line."),
    )
    is_active = forms.BooleanField(label=_("Active (on sale)"), required=False, initial=True)

    # Defaults for every generated variant (create only).
    cost_price = _number(_("Cost price (excl. VAT, ₫)"))
    sale_price = _number(_("Sale price (incl. VAT, ₫)"))
    vat_rate = forms.ChoiceField(label=_("VAT rate"), choices=VatRate.choices, initial="10")
    weight_g = _number(_("Weight (g)"))
    length_cm = _number(_("Length (cm)"))
    width_cm = _number(_("Width (cm)"))
    height_cm = _number(_("Height (cm)"))
    low_stock_threshold = _number(_("Low-stock threshold"))

    def __init__(
        self,
        *args,
        mode: str = "create",
        warehouses=(),
        can_change_price: bool = True,
        can_view_cost: bool = True,
        **kwargs,
    ):
        kwargs.setdefault("auto_id", "%s")
        super().__init__(*args, **kwargs)
        self.mode = mode
        self.warehouses = list(warehouses)
        for n in range(1, MAX_ATTRIBUTES + 1):
            self.fields[f"attribute_{n}_name"] = forms.CharField(
                label=_("Attribute %(n)s") % {"n": n},
                required=False,
                max_length=60,
                widget=forms.TextInput(
                    attrs={"placeholder": [_("Colour"), _("Size"), _("Material")][n - 1]}
                ),
            )
            self.fields[f"attribute_{n}_values"] = forms.CharField(
                label=_("Values"),
                required=False,
                widget=forms.TextInput(
                    attrs={
                        "placeholder": [_("Red, Blue, Black"), "S, M, L", _("Cotton, Linen")][n - 1]
                    }
                ),
                help_text=_("Separate values with commas."),
            )
        if mode == "create":
            for warehouse in self.warehouses:
                self.fields[f"initial_stock_{warehouse.pk}"] = forms.IntegerField(
                    label=warehouse.name, min_value=0, required=False, initial=0
                )
        else:
            for name in self.default_fields:
                self.fields.pop(name, None)
        if not can_change_price:
            for name in ("cost_price", "sale_price", "vat_rate"):
                self.fields.pop(name, None)
        if not can_view_cost:
            self.fields.pop("cost_price", None)
        style_fields(self)

    default_fields = (
        "cost_price",
        "sale_price",
        "vat_rate",
        "weight_g",
        "length_cm",
        "width_cm",
        "height_cm",
        "low_stock_threshold",
    )

    def clean_specifications(self):
        return parse_specifications(self.cleaned_data.get("specifications", ""))

    def clean_video_urls(self):
        return [
            u.strip() for u in self.cleaned_data.get("video_urls", "").splitlines() if u.strip()
        ]

    def attributes(self) -> list[tuple[str, str]]:
        return [
            (
                self.cleaned_data.get(f"attribute_{n}_name", ""),
                self.cleaned_data.get(f"attribute_{n}_values", ""),
            )
            for n in range(1, MAX_ATTRIBUTES + 1)
        ]

    def attribute_field_pairs(self):
        return [
            (self[f"attribute_{n}_name"], self[f"attribute_{n}_values"])
            for n in range(1, MAX_ATTRIBUTES + 1)
        ]

    def stock_fields(self):
        return [self[f"initial_stock_{w.pk}"] for w in self.warehouses]

    def defaults(self) -> dict:
        return {
            name: self.cleaned_data[name]
            for name in self.default_fields
            if name in self.cleaned_data and self.cleaned_data[name] is not None
        }

    def initial_stock(self) -> dict[int, int]:
        return {w.pk: self.cleaned_data.get(f"initial_stock_{w.pk}") or 0 for w in self.warehouses}

    def product_fields(self) -> dict:
        return {
            name: self.cleaned_data[name]
            for name in (
                "name",
                "sku",
                "description",
                "specifications",
                "category",
                "brand",
                "video_urls",
                "is_active",
            )
        }


class ImportForm(StyledForm):
    file = forms.FileField(
        label=_("File (.xlsx or .csv)"),
        widget=forms.ClearableFileInput(attrs={"accept": ".xlsx,.csv"}),
    )
    dry_run = forms.BooleanField(
        label=_("Check only (import nothing)"), required=False, initial=True
    )
