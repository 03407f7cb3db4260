"""Carrier accounts and the adapter built from one."""

from __future__ import annotations

from django.db import transaction
from django.utils.translation import gettext as _

from donhang.core.audit import audit
from donhang.core.errors import ValidationFailed
from donhang.core.permissions import require_perm
from donhang.shipping.carriers.registry import build_adapter
from donhang.shipping.models import (
    CarrierAccount,
)


@transaction.atomic
def carrier_account_save(
    *,
    provider: str,
    name: str,
    environment: str = "production",
    base_url: str = "",
    credentials: dict | None = None,
    options: dict | None = None,
    webhook_secret: str | None = None,
    pickup_warehouse=None,
    is_active: bool = True,
    account: CarrierAccount | None = None,
    actor=None,
) -> CarrierAccount:
    require_perm(
        actor, "shipping.change_carrieraccount" if account else "shipping.add_carrieraccount"
    )
    from donhang.shipping.models import Environment, Provider

    errors = {}
    if provider not in Provider.values:
        errors["provider"] = _("Unknown carrier.")
    if environment not in Environment.values:
        errors["environment"] = _("Unknown environment.")
    if not (name or "").strip():
        errors["name"] = _("This field is required.")
    if errors:
        raise ValidationFailed(_("Some fields are not valid."), fields=errors)
    account = account or CarrierAccount(provider=provider)
    account.provider, account.name, account.environment = provider, name.strip(), environment
    account.base_url, account.options, account.pickup_warehouse, account.is_active = (
        base_url,
        options or {},
        pickup_warehouse,
        is_active,
    )
    if credentials is not None:
        account.credentials = credentials
    if webhook_secret is not None:
        account.webhook_secret = webhook_secret
    account.save()
    audit(actor=actor, action="carrier_account.save", obj=account, summary=str(account))
    return account


def _store_token(account_id: int):
    def store(token: str) -> None:
        with transaction.atomic():
            account = CarrierAccount.objects.select_for_update().get(pk=account_id)
            credentials = account.credentials
            credentials["token"] = token
            account.credentials = credentials
            account.save(update_fields=["credentials_encrypted"])

    return store


def adapter_for(account: CarrierAccount):
    return build_adapter(
        provider=account.provider,
        environment=account.environment,
        base_url=account.base_url,
        credentials=account.credentials,
        options=account.options,
        webhook_secret=account.webhook_secret,
        on_token=_store_token(account.pk),
    )
