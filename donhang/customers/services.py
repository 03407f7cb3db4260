"""Customer writes: intake links orders to a customer by phone; duplicates merge on request."""

from __future__ import annotations

from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from donhang.core import hooks, rawsql
from donhang.core.audit import audit
from donhang.core.errors import Conflict, ValidationFailed
from donhang.core.phone import normalize_phone
from donhang.core.taxcode import tax_code_normalize
from donhang.core.text import fold
from donhang.customers.models import BuyerKind, Customer, CustomerAddress, Province, Ward
from donhang.customers.selectors import address_units_resolve


def _search_text(customer: Customer) -> str:
    national = "0" + customer.phone[3:] if customer.phone.startswith("+84") else customer.phone
    return " ".join(
        p for p in (fold(customer.name), national, (customer.email or "").lower()) if p
    )[:400]


def _clean_tags(tags) -> list[str]:
    if isinstance(tags, str):
        tags = tags.split(",")
    seen, out = set(), []
    for tag in tags or []:
        tag = str(tag).strip()[:40]
        if tag and tag.lower() not in seen:
            seen.add(tag.lower())
            out.append(tag)
    return out


def _remember_address(
    customer: Customer,
    *,
    line: str,
    province: Province | None,
    ward: Ward | None,
    name: str,
    phone: str,
) -> None:
    if not (line and province and ward):
        return
    exists = customer.addresses.filter(line__iexact=line, ward=ward).exists()
    if not exists:
        CustomerAddress.objects.create(
            customer=customer,
            recipient_name=name,
            phone=phone,
            line=line,
            province=province,
            ward=ward,
            is_default=not customer.addresses.exists(),
        )


def _customer_by_phone(phone: str) -> Customer | None:
    """customer_find_by_phone on the intake path: one statement on the phone's index, written
    once per process (core.rawsql), on the primary (the caller is writing)."""
    found = rawsql.select(
        Customer,
        "t0.phone = %s AND t0.merged_into_id IS NULL",
        [phone],
        tail="ORDER BY t0.id LIMIT 1",
    )
    return found[0] if found else None


# No savepoint of its own: its caller (order intake) is atomic and lets any error end the whole
# transaction; called alone, this is a transaction of its own.
@transaction.atomic(savepoint=False)
def customer_find_or_create(
    *,
    name: str,
    phone: str = "",
    email: str = "",
    address_line: str = "",
    province: Province | None = None,
    ward: Ward | None = None,
    actor=None,
) -> Customer:
    """Order intake: the customer with this phone (E.164), else a new one. Remembers a new
    delivery address and the time of contact."""
    customer = _customer_by_phone(phone) if phone else None
    now = timezone.now()
    if customer is None:
        customer = Customer(
            name=name.strip()[:150], phone=phone, email=email or "", last_contact_at=now
        )
        customer.search_text = _search_text(customer)
        rawsql.insert([customer])
        audit(actor=actor, action="customer.create", obj=customer, summary=customer.name)
        if address_line and province and ward:
            rawsql.insert(
                [
                    CustomerAddress(
                        customer=customer,
                        recipient_name=name,
                        phone=phone,
                        line=address_line,
                        province=province,
                        ward=ward,
                        is_default=True,
                    )
                ]
            )
        return customer
    else:
        updates = {"last_contact_at": now}
        if email and not customer.email:
            updates["email"] = email
        rawsql.update(Customer, customer.pk, **updates)
        for k, v in updates.items():
            setattr(customer, k, v)
    _remember_address(
        customer, line=address_line, province=province, ward=ward, name=name, phone=phone
    )
    return customer


@transaction.atomic
def customer_create(
    *, name: str, phone: str = "", email: str = "", tags=None, note: str = "", actor=None
) -> Customer:
    name = (name or "").strip()
    if not name:
        raise ValidationFailed(
            _("Enter the customer's name."), fields={"name": _("This field is required.")}
        )
    phone = normalize_phone(phone) if phone else ""
    customer = Customer.objects.create(
        name=name[:150], phone=phone, email=email or "", tags=_clean_tags(tags), note=note or ""
    )
    customer.search_text = _search_text(customer)
    customer.save(update_fields=["search_text"])
    audit(actor=actor, action="customer.create", obj=customer, summary=name)
    return customer


@transaction.atomic
def customer_update(
    *,
    customer: Customer,
    name: str,
    phone: str = "",
    email: str = "",
    tags=None,
    note: str = "",
    actor=None,
) -> Customer:
    name = (name or "").strip()
    if not name:
        raise ValidationFailed(
            _("Enter the customer's name."), fields={"name": _("This field is required.")}
        )
    customer.name = name[:150]
    customer.phone = normalize_phone(phone) if phone else ""
    customer.email = email or ""
    customer.tags = _clean_tags(tags)
    customer.note = note or ""
    customer.search_text = _search_text(customer)
    customer.save()
    audit(actor=actor, action="customer.update", obj=customer, summary=name)
    return customer


@transaction.atomic
def customer_address_add(
    *,
    customer: Customer,
    line: str,
    province,
    ward,
    recipient_name: str = "",
    phone: str = "",
    is_default: bool = False,
    actor=None,
) -> CustomerAddress:
    line = (line or "").strip()
    if not line:
        raise ValidationFailed(
            _("Enter the street address."), fields={"line": _("This field is required.")}
        )
    province_row, ward_row = address_units_resolve(province=province, ward=ward)
    if ward_row is None:
        raise ValidationFailed(_("Choose the ward."), fields={"ward": _("This field is required.")})
    if is_default:
        customer.addresses.update(is_default=False)
    address = CustomerAddress.objects.create(
        customer=customer,
        line=line,
        province=province_row,
        ward=ward_row,
        recipient_name=recipient_name or customer.name,
        phone=normalize_phone(phone) if phone else customer.phone,
        is_default=is_default or not customer.addresses.exists(),
    )
    audit(actor=actor, action="customer.address_add", obj=customer, summary=str(address))
    return address


@transaction.atomic
def customer_merge(*, keep: Customer, duplicates: list[Customer], actor=None) -> Customer:
    """Fold duplicate customers (same person, e.g. the same phone) into `keep`: their orders,
    addresses, tags and notes move over (orders through the hook ``customer.merged``, which
    donhang.orders handles); the duplicates stay as pointers to `keep`."""
    duplicates = [d for d in duplicates if d.pk != keep.pk]
    if not duplicates:
        raise ValidationFailed(
            _("Choose at least one other customer to merge."),
            fields={"duplicates": _("Nothing to merge.")},
        )
    if any(d.merged_into_id for d in duplicates):
        raise Conflict(
            _("One of these customers was already merged."),
            fields={"duplicates": _("Already merged.")},
        )
    ids = [d.pk for d in duplicates]
    hooks.emit("customer.merged", keep=keep, duplicate_ids=ids, actor=actor)
    CustomerAddress.objects.filter(customer_id__in=ids).update(customer=keep, is_default=False)
    keep.tags = _clean_tags(list(keep.tags) + [t for d in duplicates for t in d.tags])
    notes = [keep.note] + [d.note for d in duplicates if d.note]
    keep.note = "\n".join(n for n in notes if n)
    if not keep.email:
        keep.email = next((d.email for d in duplicates if d.email), "")
    if not keep.phone:
        keep.phone = next((d.phone for d in duplicates if d.phone), "")
    contacts = [c for c in [keep.last_contact_at, *(d.last_contact_at for d in duplicates)] if c]
    keep.last_contact_at = max(contacts) if contacts else None
    keep.search_text = _search_text(keep)
    keep.save()
    Customer.objects.filter(pk__in=ids).update(merged_into=keep)
    audit(actor=actor, action="customer.merge", obj=keep, summary=", ".join(str(i) for i in ids))
    return keep


def buyer_identity_clean(
    *,
    kind: str = BuyerKind.INDIVIDUAL,
    company_name: str = "",
    tax_code: str = "",
    address: str = "",
    email: str = "",
    wants_invoice: bool = False,
    prefix: str = "buyer",
) -> dict:
    """Checked buyer identity for invoices, as model fields (buyer_kind, buyer_tax_code, …).

    A company needs its name and a valid tax code (10 digits, or 10-3 for a branch); an
    individual may give a tax code (their 12-digit personal ID counts since 1 July 2025)."""
    errors: dict[str, str] = {}
    kind = kind or BuyerKind.INDIVIDUAL
    if kind not in BuyerKind.values:
        errors[f"{prefix}.kind"] = _("Choose individual or company.")
    company_name = (company_name or "").strip()
    address = (address or "").strip()
    email = (email or "").strip()
    try:
        tax_code = tax_code_normalize(tax_code, field=f"{prefix}.tax_code")
    except ValidationFailed as exc:
        errors.update(exc.fields)
        tax_code = ""
    if kind == BuyerKind.COMPANY:
        if not company_name:
            errors[f"{prefix}.company_name"] = _("Enter the company's name.")
        if not tax_code and f"{prefix}.tax_code" not in errors:
            errors[f"{prefix}.tax_code"] = _("A company needs its tax code on the invoice.")
        elif len(tax_code) == 12:
            errors[f"{prefix}.tax_code"] = _(
                "A company's tax code has 10 digits (or 10-3 for a branch)."
            )
    if len(company_name) > 255:
        errors[f"{prefix}.company_name"] = _("At most 255 characters.")
    if len(address) > 400:
        errors[f"{prefix}.address"] = _("At most 400 characters.")
    if email:
        try:
            validate_email(email)
        except DjangoValidationError:
            errors[f"{prefix}.email"] = _("Enter a valid email address.")
    if errors:
        raise ValidationFailed(_("The buyer's invoice details are not valid."), fields=errors)
    return {
        "buyer_kind": kind,
        "buyer_company_name": company_name if kind == BuyerKind.COMPANY else "",
        "buyer_tax_code": tax_code,
        "buyer_address": address,
        "buyer_email": email,
        "wants_invoice": bool(wants_invoice),
    }


@transaction.atomic
def customer_set_buyer_identity(*, customer: Customer, identity: dict, actor=None) -> Customer:
    """Remember the buyer identity (from buyer_identity_clean) as the customer's default."""
    changed = [f for f, v in identity.items() if getattr(customer, f) != v]
    if changed:
        for f in changed:
            setattr(customer, f, identity[f])
        customer.save(update_fields=changed)
        audit(
            actor=actor,
            action="customer.buyer_identity",
            obj=customer,
            summary=identity.get("buyer_tax_code") or identity.get("buyer_kind", ""),
        )
    return customer
