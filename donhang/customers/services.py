"""Customer writes: intake links orders to a customer by phone; duplicates merge on request."""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from donhang.core.audit import audit
from donhang.core.errors import Conflict, ValidationFailed
from donhang.core.phone import normalize_phone
from donhang.core.text import fold
from donhang.customers.models import Customer, CustomerAddress, Province, Ward
from donhang.customers.selectors import address_units_resolve, customer_find_by_phone


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


@transaction.atomic
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
    customer = customer_find_by_phone(phone=phone) if phone else None
    now = timezone.now()
    if customer is None:
        customer = Customer(
            name=name.strip()[:150], phone=phone, email=email or "", last_contact_at=now
        )
        customer.search_text = _search_text(customer)
        customer.save()
        audit(actor=actor, action="customer.create", obj=customer, summary=customer.name)
        if address_line and province and ward:
            CustomerAddress.objects.create(
                customer=customer,
                recipient_name=name,
                phone=phone,
                line=address_line,
                province=province,
                ward=ward,
                is_default=True,
            )
        return customer
    else:
        updates = {"last_contact_at": now}
        if email and not customer.email:
            updates["email"] = email
        Customer.objects.filter(pk=customer.pk).update(**updates)
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
    addresses, tags and notes move over; the duplicates stay as pointers to `keep`."""
    from donhang.orders.models import Order

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
    Order.objects.filter(customer_id__in=ids).update(customer=keep)
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
