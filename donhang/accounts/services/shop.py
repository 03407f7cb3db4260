"""The shop's own identity: one profile, saved by an owner, printed on every document."""

from __future__ import annotations

import re

from django.conf import settings
from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.utils.translation import gettext as _

from donhang.accounts.banks import bank_name_for
from donhang.accounts.logo import logo_to_png
from donhang.accounts.models import ShopProfile
from donhang.core.audit import actor_user, audit
from donhang.core.errors import ValidationFailed
from donhang.core.phone import normalize_phone
from donhang.core.taxcode import tax_code_normalize
from donhang.core.text import fold

SHOP_PROFILE_FIELDS = frozenset(
    {
        "name",
        "tax_code",
        "address_line",
        "province",
        "ward",
        "phone",
        "email",
        "bank_bin",
        "bank_name",
        "bank_account_number",
        "bank_account_holder",
        "logo",
        "remove_logo",
    }
)
_BANK_BIN = re.compile(r"^\d{6}$")
_ACCOUNT_NUMBER = re.compile(r"^[0-9A-Z]{1,19}$")
_TEXT_LIMITS = {"name": 200, "address_line": 255, "bank_name": 100, "bank_account_holder": 100}


def _unit_code(value, *, field: str) -> int | None:
    """A province or ward given as a row, a code or empty."""
    if value is None or value == "":
        return None
    if hasattr(value, "pk"):
        return value.pk
    try:
        return int(value)
    except (TypeError, ValueError):
        raise ValidationFailed(
            _("Codes of provinces and wards are numbers."),
            fields={field: _("Enter the numeric code.")},
        ) from None


def _address_units(province, ward) -> tuple[object | None, object | None]:
    """The (province, ward) rows of the customers app, checked as a pair. The models are reached
    through our foreign keys: accounts never imports customers (layers)."""
    province_model = ShopProfile._meta.get_field("province").related_model
    ward_model = ShopProfile._meta.get_field("ward").related_model
    province_code = _unit_code(province, field="province")
    ward_code = _unit_code(ward, field="ward")
    province_row = ward_row = None
    if province_code is not None:
        province_row = province_model.objects.filter(pk=province_code).first()
        if province_row is None:
            raise ValidationFailed(
                _("There is no province with code %(code)s.") % {"code": province_code},
                fields={"province": _("Unknown province code.")},
            )
    if ward_code is not None:
        ward_row = ward_model.objects.select_related("province").filter(pk=ward_code).first()
        if ward_row is None:
            raise ValidationFailed(
                _("There is no ward with code %(code)s.") % {"code": ward_code},
                fields={"ward": _("Unknown ward code.")},
            )
        if province_row is None:
            province_row = ward_row.province
        elif ward_row.province_id != province_row.pk:
            reason = _("%(ward)s is not in %(province)s. Choose a ward of that province.") % {
                "ward": ward_row.name,
                "province": province_row.name,
            }
            raise ValidationFailed(reason, fields={"ward": reason})
    return province_row, ward_row


def _shop_address_units(profile: ShopProfile, fields: dict):
    """A ward alone moves within its province; a province alone keeps the ward if it is in it."""
    if "ward" in fields:
        return _address_units(fields.get("province"), fields["ward"])
    province, _none = _address_units(fields["province"], None)
    keep = profile.ward_id and province is not None and profile.ward.province_id == province.pk
    return province, profile.ward if keep else None


def _clean_shop_field(name: str, value):
    """One field as stored; raises ValidationFailed naming it."""
    if name in _TEXT_LIMITS:
        value = " ".join(str(value or "").split())
        if name == "bank_account_holder":
            # As banks register and banking apps show it: upper case, no diacritics.
            value = fold(value).upper()
        if len(value) > _TEXT_LIMITS[name]:
            raise ValidationFailed(
                _("Some fields are too long."),
                fields={name: _("At most %(max)s characters.") % {"max": _TEXT_LIMITS[name]}},
            )
        return value
    if name == "tax_code":
        return tax_code_normalize(value, field="tax_code", personal=False)
    if name == "phone":
        return normalize_phone(value) if str(value or "").strip() else ""
    if name == "email":
        value = str(value or "").strip()
        if value:
            try:
                validate_email(value)
            except DjangoValidationError:
                raise ValidationFailed(
                    _("The email address is not valid."),
                    fields={"email": _("Enter an email address such as shop@example.vn.")},
                ) from None
        return value
    if name == "bank_bin":
        value = str(value or "").strip()
        if value and not _BANK_BIN.match(value):
            raise ValidationFailed(
                _("The bank BIN is not valid."),
                fields={"bank_bin": _("A bank BIN has 6 digits, for example 970436.")},
            )
        return value
    if name == "bank_account_number":
        value = re.sub(r"[\s.\-]", "", str(value or "")).upper()
        if value and not _ACCOUNT_NUMBER.match(value):
            raise ValidationFailed(
                _("The account number is not valid."),
                fields={
                    "bank_account_number": _(
                        "Up to 19 digits or letters, as the bank prints it; no other signs."
                    )
                },
            )
        return value
    return value


def _shop_profile_locked() -> ShopProfile:
    """The saved profile, locked; on the very first save, a new row from the settings."""
    profile, _created = ShopProfile.objects.get_or_create(
        pk=ShopProfile.SINGLETON_ID,
        defaults={
            "name": settings.DONHANG_SHOP_NAME,
            "tax_code": settings.DONHANG_SHOP_TAX_CODE,
        },
    )
    return ShopProfile.objects.select_for_update().get(pk=profile.pk)


@transaction.atomic
def shop_profile_update(*, actor, **fields) -> ShopProfile:
    """Save the shop's profile. Only the fields given change; `logo` is an uploaded image
    (re-encoded as PNG), `remove_logo=True` drops the logo.

    Every field is checked and all that are wrong are reported at once (ValidationFailed with a
    reason per field). The bank account is all or nothing for a transfer QR: a BIN needs an
    account number and the other way round. The bank's name is filled in from a known BIN.
    Saving twice at once is safe: the row is locked, and the first save creates it.
    """
    unknown = set(fields) - SHOP_PROFILE_FIELDS
    if unknown:
        raise TypeError(f"shop_profile_update() got unknown fields: {sorted(unknown)}")
    profile = _shop_profile_locked()
    errors: dict[str, str] = {}
    messages: list[str] = []

    def check(call):
        try:
            return call()
        except ValidationFailed as exc:
            messages.append(exc.message)
            for key, reason in exc.fields.items():
                errors.setdefault(key, reason)
            return None

    values = {}
    for name in ("name", "tax_code", "address_line", "phone", "email"):
        values[name] = check(
            lambda n=name: _clean_shop_field(n, fields.get(n, getattr(profile, n)))
        )
    for name in ("bank_bin", "bank_name", "bank_account_number", "bank_account_holder"):
        values[name] = check(
            lambda n=name: _clean_shop_field(n, fields.get(n, getattr(profile, n)))
        )
    if "province" in fields or "ward" in fields:
        units = check(lambda: _shop_address_units(profile, fields))
        if units is not None:
            values["province"], values["ward"] = units
    new_logo = None
    if fields.get("logo"):
        new_logo = check(lambda: logo_to_png(fields["logo"]))

    if "name" not in errors and not values["name"]:
        errors["name"] = _("This field is required.")
        messages.append(_("Give the shop a name."))
    if "bank_bin" not in errors and "bank_account_number" not in errors:
        if values["bank_account_number"] and not values["bank_bin"]:
            errors["bank_bin"] = _("Enter the bank's BIN as well, for example 970436.")
            messages.append(_("The bank account is not complete."))
        elif values["bank_bin"] and not values["bank_account_number"]:
            errors["bank_account_number"] = _("Enter the account number as well.")
            messages.append(_("The bank account is not complete."))
    if errors:
        message = messages[0] if len(errors) == 1 else _("Some fields are not valid.")
        raise ValidationFailed(message, fields=errors)

    # A name we filled in from the old BIN follows a new BIN; a name the owner typed stays.
    filled_in = values["bank_name"] == bank_name_for(profile.bank_bin)
    if values["bank_bin"] and (
        not values["bank_name"] or (filled_in and values["bank_bin"] != profile.bank_bin)
    ):
        values["bank_name"] = bank_name_for(values["bank_bin"])
    changed = []
    for name, value in values.items():
        current = getattr(profile, name)
        if current != value:
            setattr(profile, name, value)
            changed.append(name)
    old_logo = profile.logo.name if profile.logo else ""
    if new_logo is not None:
        profile.logo.save(new_logo.name, new_logo, save=False)
        changed.append("logo")
    elif fields.get("remove_logo") and old_logo:
        profile.logo = ""
        changed.append("logo")
    if old_logo and "logo" in changed:
        storage = profile.logo.storage
        transaction.on_commit(lambda: storage.delete(old_logo))
    profile.updated_by = actor_user(actor)
    profile.save()
    audit(
        actor=actor,
        action="shop_profile.update",
        obj=profile,
        summary=profile.name,
        data={"changed": changed},
    )
    return profile
