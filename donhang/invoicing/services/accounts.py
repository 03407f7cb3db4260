"""Invoice settings: provider accounts, templates, the automatic issuing rule."""

from __future__ import annotations

from django.db import transaction
from django.utils.translation import gettext as _

from donhang.core.audit import actor_user, audit
from donhang.core.errors import ValidationFailed
from donhang.core.permissions import require_perm
from donhang.invoicing.models import (
    AutoIssueMoment,
    AutoIssueRule,
    Environment,
    InvoiceAccount,
    InvoiceKind,
    InvoiceTemplate,
    Provider,
)
from donhang.invoicing.symbols import series_normalize, template_code_normalize

# What each provider's account needs (stored encrypted).
CREDENTIALS = {
    "sinvoice": ("username", "password"),
    "misa": ("app_id", "username", "password"),
}


@transaction.atomic
def invoice_account_save(
    *,
    provider: str,
    name: str,
    environment: str = Environment.PRODUCTION,
    base_url: str = "",
    credentials: dict | None = None,
    options: dict | None = None,
    is_active: bool = True,
    account: InvoiceAccount | None = None,
    actor=None,
) -> InvoiceAccount:
    """Create or change an account. `credentials` None keeps the stored ones; given, its empty
    values keep the stored value of that key (a form leaves secrets empty)."""
    require_perm(
        actor, "invoicing.change_invoiceaccount" if account else "invoicing.add_invoiceaccount"
    )
    errors = {}
    if provider not in Provider.values:
        errors["provider"] = _("Unknown provider.")
    if environment not in Environment.values:
        errors["environment"] = _("Unknown environment.")
    if not (name or "").strip():
        errors["name"] = _("This field is required.")
    if environment == Environment.EMULATOR and not base_url:
        errors["base_url"] = _("An emulator account needs the emulator's address.")
    merged = dict(account.credentials) if account else {}
    for key, value in (credentials or {}).items():
        if value not in (None, ""):
            merged[key] = value
    if credentials is not None or account is None:
        for key in CREDENTIALS.get(provider, ()):
            if not merged.get(key):
                errors[key] = _("This field is required.")
    if errors:
        raise ValidationFailed(_("Some fields are not valid."), fields=errors)
    if account and account.provider != provider:
        merged = {k: v for k, v in merged.items() if k in CREDENTIALS.get(provider, ())}
    account = account or InvoiceAccount(provider=provider)
    if (credentials or {}) and any(
        merged.get(k) != account.credentials.get(k) for k in CREDENTIALS.get(provider, ())
    ):
        # New credentials: the cached token belonged to the old ones.
        merged.pop("token", None)
        merged.pop("token_expires_at", None)
    account.provider, account.name, account.environment = provider, name.strip(), environment
    account.base_url, account.options, account.is_active = base_url, options or {}, is_active
    account.credentials = merged
    account.save()
    audit(actor=actor, action="invoice_account.save", obj=account, summary=str(account))
    return account


@transaction.atomic
def invoice_template_save(
    *,
    account: InvoiceAccount,
    kind: str,
    template_code: str,
    series: str,
    is_default: bool = False,
    is_active: bool = True,
    template: InvoiceTemplate | None = None,
    actor=None,
) -> InvoiceTemplate:
    """A template number and series symbol, checked against the format rules (and against the
    provider's way of writing the template number)."""
    require_perm(
        actor, "invoicing.change_invoicetemplate" if template else "invoicing.add_invoicetemplate"
    )
    errors = {}
    if kind not in InvoiceKind.values:
        errors["kind"] = _("Choose a VAT invoice or a sales invoice.")
    try:
        series = series_normalize(series)
    except ValidationFailed as exc:
        errors.update(exc.fields)
    if "kind" not in errors:
        try:
            template_code = template_code_normalize(
                template_code, provider=account.provider, kind=kind
            )
        except ValidationFailed as exc:
            errors.update(exc.fields)
    if not errors:
        clash = InvoiceTemplate.objects.filter(
            account=account, template_code=template_code, series=series
        )
        if template is not None:
            clash = clash.exclude(pk=template.pk)
        if clash.exists():
            errors["series"] = _("This account already has this template and series.")
    if errors:
        raise ValidationFailed(_("The template is not valid."), fields=errors)
    if (
        template is not None
        and template.invoices.exists()
        and (
            template.template_code != template_code
            or template.series != series
            or template.account_id != account.pk
        )
    ):
        raise ValidationFailed(
            _("Invoices were issued with this template: add a new one instead."),
            fields={"series": _("Already used.")},
        )
    template = template or InvoiceTemplate()
    template.account, template.kind = account, kind
    template.template_code, template.series = template_code, series
    template.is_default, template.is_active = is_default and is_active, is_active
    template.save()
    if template.is_default:
        InvoiceTemplate.objects.exclude(pk=template.pk).update(is_default=False)
    audit(actor=actor, action="invoice_template.save", obj=template, summary=str(template))
    return template


def auto_rule_get() -> AutoIssueRule:
    rule = AutoIssueRule.objects.select_related("template").filter(pk=1).first()
    return rule or AutoIssueRule(pk=AutoIssueRule.SINGLETON_ID)


@transaction.atomic
def auto_rule_save(
    *,
    enabled: bool,
    moment: str = AutoIssueMoment.HANDED_OVER,
    company_buyers: bool = True,
    buyers_asking: bool = True,
    total_above: int | None = None,
    template: InvoiceTemplate | None = None,
    actor=None,
) -> AutoIssueRule:
    require_perm(actor, "invoicing.change_autoissuerule")
    errors = {}
    if moment not in AutoIssueMoment.values:
        errors["moment"] = _("Issue at hand-over or at completion (never before hand-over).")
    if total_above is not None and total_above < 0:
        errors["total_above"] = _("The amount cannot be negative.")
    if enabled and not (company_buyers or buyers_asking or total_above is not None):
        errors["company_buyers"] = _("Choose which orders get an invoice.")
    if errors:
        raise ValidationFailed(_("Some fields are not valid."), fields=errors)
    rule = auto_rule_get()
    rule.enabled, rule.moment = enabled, moment
    rule.company_buyers, rule.buyers_asking = company_buyers, buyers_asking
    rule.total_above, rule.template = total_above, template
    rule.updated_by = actor_user(actor)
    rule.save()
    audit(actor=actor, action="invoice_rule.save", obj=rule, summary=moment)
    return rule
