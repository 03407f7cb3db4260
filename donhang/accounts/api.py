from datetime import date, datetime

from ninja import Field, Query, Router, Schema

from donhang.accounts import selectors, services
from donhang.core.audit import AuditFilter, audit_page
from donhang.core.errors import DomainError

router = Router(tags=["accounts"])


class MeOut(Schema):
    username: str | None
    role: str | None
    via: str


@router.get("/me", response=MeOut, summary="Who is calling")
def me(request):
    """The caller as the API sees it: the key's role, or the logged-in user's."""
    principal = request.principal
    if principal.api_key is not None:
        creator = principal.api_key.created_by
        return {
            "username": creator.get_username() if creator else None,
            "role": principal.api_key.role.name,
            "via": "api_key",
        }
    return {
        "username": principal.user.get_username(),
        "role": principal.user.role,
        "via": "session",
    }


# --- the shop profile: /api/v1/shop --------------------------------------------------------------


class ShopAddressIn(Schema):
    line: str | None = Field(None, max_length=255, description="House number, street, building.")
    province: int | None = Field(None, description="Province code (GET /provinces).")
    ward: int | None = Field(
        None, description="Ward code (GET /provinces/{code}/wards); must be in the province."
    )


class ShopBankIn(Schema):
    bin: str | None = Field(
        None, max_length=6, description="The bank's 6-digit NAPAS BIN, e.g. 970436."
    )
    name: str | None = Field(None, max_length=100, description="Filled in from a known BIN.")
    account_number: str | None = Field(None, max_length=40)
    account_holder: str | None = Field(
        None, max_length=100, description="Saved in capitals without diacritics."
    )


class ShopIn(Schema):
    """Only the fields sent change; `null` or "" empties a field (the name cannot be empty)."""

    name: str | None = Field(None, max_length=200)
    tax_code: str | None = Field(
        None, max_length=20, description="10 digits, or 10 + “-” + 3 for a branch; checked."
    )
    address: ShopAddressIn | None = None
    phone: str | None = Field(None, max_length=32, description="Any common format; E.164 out.")
    email: str | None = Field(None, max_length=254)
    bank: ShopBankIn | None = None


class ShopAddressOut(Schema):
    line: str
    province: int | None
    province_name: str | None
    ward: int | None
    ward_name: str | None
    full: str = Field(description="As printed: street, ward, province.")


class ShopBankOut(Schema):
    bin: str
    name: str
    account_number: str
    account_holder: str


class ShopOut(Schema):
    name: str
    tax_code: str
    address: ShopAddressOut
    phone: str = Field(description="E.164, for example +84912345678; empty if none.")
    email: str
    bank: ShopBankOut
    logo_url: str | None
    saved: bool = Field(
        description="False until an owner saves the profile: the values come from the "
        "SHOP_NAME / SHOP_TAX_CODE settings."
    )
    updated_at: datetime | None


# Service field → the field as the client sends it.
_SHOP_FIELDS_SENT = {
    "address_line": "address.line",
    "province": "address.province",
    "ward": "address.ward",
    "bank_bin": "bank.bin",
    "bank_name": "bank.name",
    "bank_account_number": "bank.account_number",
    "bank_account_holder": "bank.account_holder",
}
_SHOP_NESTED = {
    "address": {"line": "address_line", "province": "province", "ward": "ward"},
    "bank": {
        "bin": "bank_bin",
        "name": "bank_name",
        "account_number": "bank_account_number",
        "account_holder": "bank_account_holder",
    },
}
_SHOP_TEXT_FIELDS = {"name", "tax_code", "address_line", "phone", "email"} | set(
    _SHOP_NESTED["bank"].values()
)


def _shop_out(profile) -> dict:
    return {
        "name": profile.name,
        "tax_code": profile.tax_code,
        "address": {
            "line": profile.address_line,
            "province": profile.province_id,
            "province_name": profile.province.name if profile.province_id else None,
            "ward": profile.ward_id,
            "ward_name": profile.ward.name if profile.ward_id else None,
            "full": profile.address_display,
        },
        "phone": profile.phone,
        "email": profile.email,
        "bank": {
            "bin": profile.bank_bin,
            "name": profile.bank_name,
            "account_number": profile.bank_account_number,
            "account_holder": profile.bank_account_holder,
        },
        "logo_url": profile.logo.url if profile.logo else None,
        "saved": profile.is_saved,
        "updated_at": profile.updated_at if profile.is_saved else None,
    }


def _shop_arguments(sent: dict) -> dict:
    arguments = {}
    for key, value in sent.items():
        if key in _SHOP_NESTED:
            for inner, inner_value in (value or {}).items():
                arguments[_SHOP_NESTED[key][inner]] = inner_value
        else:
            arguments[key] = value
    # null empties a text field.
    return {
        key: ("" if value is None and key in _SHOP_TEXT_FIELDS else value)
        for key, value in arguments.items()
    }


@router.get("/shop", response=ShopOut, summary="The shop profile")
def shop_get(request):
    """The shop's name, tax code, address, contacts and bank account, as printed on documents."""
    request.principal.require("accounts.view_shopprofile")
    return _shop_out(selectors.shop_profile_get())


@router.put(
    "/shop",
    response=ShopOut,
    summary="Change the shop profile",
    description="Only the fields sent change. 422 names each field that is wrong, for example "
    "`tax_code` (check digit), `address.ward` (not in the province) or `bank.bin`.",
)
def shop_update(request, payload: ShopIn):
    request.principal.require("accounts.change_shopprofile")
    try:
        services.shop_profile_update(
            actor=request.principal, **_shop_arguments(payload.dict(exclude_unset=True))
        )
    except DomainError as error:
        error.fields = {_SHOP_FIELDS_SENT.get(k, k): v for k, v in error.fields.items()}
        raise
    return _shop_out(selectors.shop_profile_get())


# --- the audit log: /api/v1/audit --------------------------------------------------------------


class AuditEntryOut(Schema):
    id: int
    at: datetime
    actor: str = Field(description="Username, API key label or `system`")
    actor_user_id: int | None
    action: str = Field(description="e.g. `invoice.issue`, `user.set_role`, `stock.adjust`")
    object_type: str = Field(description="`app.model`, e.g. `orders.order`")
    object_id: str
    summary: str
    data: dict


class AuditPage(Schema):
    items: list[AuditEntryOut]
    next_before: int | None = Field(description="Pass as `before` for the next (older) page")


@router.get("/audit", response=AuditPage, summary="The audit log (owner)")
def audit_list(
    request,
    actor_id: int | None = Query(None, ge=1, le=2**62),
    actor: str = Query("", max_length=150, description="Part of the actor's label"),
    action: str = Query("", max_length=80, description="An action, or a prefix ending in `.`"),
    object_type: str = Query("", max_length=80),
    object_id: str = Query("", max_length=64),
    date_from: date | None = None,
    date_to: date | None = None,
    before: int | None = Query(None, ge=1, le=2**62, description="`next_before` of a page"),
    limit: int = Query(50, ge=1, le=200),
):
    """Who did what to which record, newest first: prices and costs, stock adjustments,
    refunds, e-invoices, roles, API keys, accounts of carriers, marketplaces and providers."""
    request.principal.require("core.view_auditentry")
    filters = AuditFilter(
        actor_id=actor_id,
        actor=actor.strip(),
        action=action.strip(),
        object_type=object_type.strip(),
        object_id=object_id.strip(),
        date_from=date_from,
        date_to=date_to,
    )
    entries, next_before = audit_page(filters, before_id=before, size=limit)
    return {
        "items": [
            {
                "id": e.pk,
                "at": e.at,
                "actor": e.actor_label,
                "actor_user_id": e.actor_id,
                "action": e.action,
                "object_type": e.object_type,
                "object_id": e.object_id,
                "summary": e.summary,
                "data": e.data or {},
            }
            for e in entries
        ],
        "next_before": next_before,
    }
