from django import forms
from django.contrib.auth import forms as auth_forms
from django.contrib.auth import password_validation
from django.db.models import Value
from django.db.models.functions import Replace
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from donhang.accounts.models import ShopProfile, User
from donhang.accounts.roles import Role
from donhang.core.errors import DomainError


def add_domain_error(form: forms.Form, exc: DomainError) -> None:
    """Show a service's refusal on the form: on its fields when it names them, else on top."""
    placed = False
    for field, reason in exc.fields.items():
        if field in form.fields:
            form.add_error(field, reason)
            placed = True
    if not placed:
        form.add_error(None, exc.message)


class BootstrapFormMixin:
    """Bootstrap 5 classes on every widget, and `is-invalid` on fields with errors."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            widget = field.widget
            css = "form-select" if isinstance(widget, forms.Select) else "form-control"
            if isinstance(widget, forms.CheckboxInput):
                css = "form-check-input"
            widget.attrs["class"] = f"{widget.attrs.get('class', '')} {css}".strip()

    def full_clean(self):
        super().full_clean()
        for name in self.errors:
            if name in self.fields:
                widget = self.fields[name].widget
                widget.attrs["class"] = f"{widget.attrs.get('class', '')} is-invalid".strip()


def role_choices():
    # No role preselected: giving someone (or a program) the owner's rights must be a choice.
    return [("", _("Choose a role…")), *Role.choices]


class LoginForm(BootstrapFormMixin, auth_forms.AuthenticationForm):
    pass


class PasswordChangeForm(BootstrapFormMixin, auth_forms.PasswordChangeForm):
    pass


class SetPasswordForm(BootstrapFormMixin, auth_forms.SetPasswordForm):
    pass


class StaffCreateForm(BootstrapFormMixin, forms.Form):
    username = forms.CharField(
        label=_("Username"),
        max_length=150,
        validators=[User.username_validator],
        help_text=_("Letters, digits and @ . + - _ only; used to log in."),
    )
    last_name = forms.CharField(label=_("Family name"), max_length=150, required=False)
    first_name = forms.CharField(label=_("Given name"), max_length=150, required=False)
    email = forms.EmailField(label=_("Email"), required=False)
    phone = forms.CharField(label=_("Phone"), max_length=20, required=False)
    role = forms.ChoiceField(label=_("Role"), choices=role_choices)
    password1 = forms.CharField(
        label=_("Initial password"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text=_("Give it to the staff member; they can change it after logging in."),
    )
    password2 = forms.CharField(
        label=_("Initial password again"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )

    def clean(self):
        data = super().clean()
        password1, password2 = data.get("password1"), data.get("password2")
        if password1 and password2 and password1 != password2:
            self.add_error("password2", _("The two passwords do not match."))
        elif password1:
            # An unsaved user, so the similarity check compares with the username and names.
            candidate = User(
                username=data.get("username", ""),
                first_name=data.get("first_name", ""),
                last_name=data.get("last_name", ""),
                email=data.get("email", ""),
            )
            try:
                password_validation.validate_password(password1, candidate)
            except forms.ValidationError as error:
                self.add_error("password1", error)
        return data


class StaffRoleForm(BootstrapFormMixin, forms.Form):
    role = forms.ChoiceField(label=_("Role"), choices=Role.choices)


class ApiKeyCreateForm(BootstrapFormMixin, forms.Form):
    name = forms.CharField(
        label=_("Name"),
        max_length=100,
        help_text=_("What uses the key, e.g. “Website” or “Accounting export”."),
    )
    role = forms.ChoiceField(
        label=_("Role"),
        choices=role_choices,
        help_text=_("The key may do what this role may do."),
    )


# --- shop profile ------------------------------------------------------------------------------

# Vietnam's address units belong to the customers app, above accounts in the layers: the fields
# reach the models through ShopProfile's foreign keys and the ward options through the URL of
# `customers:ward_options` (the same htmx endpoint and partial as every other address form),
# so nothing here imports customers.
_Province = ShopProfile._meta.get_field("province").related_model
_Ward = ShopProfile._meta.get_field("ward").related_model


def _province_queryset():
    # Alphabetical by proper name, as customers' province_list: "Thành phố Hồ Chí Minh" under H.
    return _Province.objects.annotate(
        sort_key=Replace("search_name", Value("thanh pho "), Value(""))
    ).order_by("sort_key", "code")


def _unit_code(value) -> int | None:
    if hasattr(value, "pk"):
        return value.pk
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


class ShopProfileForm(BootstrapFormMixin, forms.Form):
    """The shop profile page. Shapes only: `services.shop_profile_update` checks every rule
    (tax code, phone, ward of the province, bank account) and names the fields it refuses."""

    name = forms.CharField(
        label=_("Shop name"),
        max_length=200,
        help_text=_("As it should read on labels, purchase orders and invoices."),
    )
    tax_code = forms.CharField(
        label=_("Tax code"),
        max_length=20,
        required=False,
        help_text=_("10 digits, or 10 digits, “-” and 3 digits for a branch."),
    )
    address_line = forms.CharField(
        label=_("Street address"),
        max_length=255,
        required=False,
        help_text=_("House number, street, building."),
    )
    province = forms.ModelChoiceField(
        label=_("Province / city"),
        queryset=_Province.objects.all(),
        required=False,
        empty_label=_("Choose a province or city"),
    )
    ward = forms.ModelChoiceField(
        label=_("Ward / commune"),
        queryset=_Ward.objects.all(),
        required=False,
        empty_label=_("Choose a ward or commune"),
    )
    phone = forms.CharField(
        label=_("Phone"),
        max_length=32,
        required=False,
        widget=forms.TextInput(attrs={"type": "tel", "placeholder": "0912 345 678"}),
    )
    email = forms.EmailField(label=_("Email"), required=False)
    bank_bin = forms.CharField(
        label=_("Bank BIN"),
        max_length=6,
        required=False,
        widget=forms.TextInput(attrs={"list": "bank-bins", "inputmode": "numeric"}),
        help_text=_(
            "The bank's 6-digit code for transfer QR codes (VietQR), for example 970436 for "
            "Vietcombank."
        ),
    )
    bank_name = forms.CharField(
        label=_("Bank"),
        max_length=100,
        required=False,
        help_text=_("Filled in from the BIN when left empty and the bank is known."),
    )
    bank_account_number = forms.CharField(label=_("Account number"), max_length=40, required=False)
    bank_account_holder = forms.CharField(
        label=_("Account holder"),
        max_length=100,
        required=False,
        help_text=_("As the bank shows it; saved in capitals without diacritics."),
    )
    logo = forms.FileField(
        label=_("Logo"),
        required=False,
        widget=forms.FileInput(attrs={"accept": "image/png,image/jpeg,image/webp,image/gif"}),
        help_text=_("PNG, JPEG, WebP or GIF up to 2 MB; saved as a PNG of at most 800 pixels."),
    )
    remove_logo = forms.BooleanField(label=_("Remove the logo"), required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["province"].queryset = _province_queryset()
        # The ward select lists only the chosen province's wards (never all 3,321); changing the
        # province reloads them from customers' endpoint.
        raw = self.data.get("province") if self.is_bound else self.initial.get("province")
        code = _unit_code(raw)
        empty = [("", self.fields["ward"].empty_label)]
        wards = []
        if code is not None:
            wards = list(
                _Ward.objects.filter(province_id=code)
                .order_by("search_name", "code")
                .values_list("code", "name")
            )
        self.fields["ward"].widget.choices = empty + wards
        self.fields["province"].widget.attrs.update(
            {
                "hx-get": reverse("customers:ward_options"),
                "hx-trigger": "change",
                "hx-swap": "innerHTML",
                "hx-target": "#" + self["ward"].auto_id,
            }
        )

    def add_error(self, field, error):
        super().add_error(field, error)
        # Errors placed after cleaning (a service's refusal) get the red outline too.
        for name in self.errors:
            if name in self.fields:
                widget = self.fields[name].widget
                css = widget.attrs.get("class", "")
                if "is-invalid" not in css.split():
                    widget.attrs["class"] = f"{css} is-invalid".strip()

    @classmethod
    def initial_for(cls, profile) -> dict:
        return {
            "name": profile.name,
            "tax_code": profile.tax_code,
            "address_line": profile.address_line,
            "province": profile.province_id,
            "ward": profile.ward_id,
            "phone": profile.phone_display,
            "email": profile.email,
            "bank_bin": profile.bank_bin,
            "bank_name": profile.bank_name,
            "bank_account_number": profile.bank_account_number,
            "bank_account_holder": profile.bank_account_holder,
        }

    def service_arguments(self) -> dict:
        data = dict(self.cleaned_data)
        if not data.get("logo"):
            data.pop("logo", None)
        if not data.get("remove_logo"):
            data.pop("remove_logo", None)
        return data
