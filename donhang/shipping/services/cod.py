"""COD reconciliation: carrier payouts matched to delivered shipments."""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from datetime import date

from django.db import transaction
from django.db.models import Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from donhang.core.audit import actor_user, audit
from donhang.core.errors import Conflict, ValidationFailed
from donhang.core.money import format_vnd
from donhang.core.permissions import require_perm
from donhang.core.spreadsheet import (
    SpreadsheetRefused,
    SpreadsheetUnreadable,
    check_size,
    check_xlsx,
    imported_text,
    limited_rows,
)
from donhang.core.text import invisible_characters
from donhang.orders.models import Order, PaymentRecordMethod
from donhang.orders.services import order_payment_record
from donhang.shipping.carriers.ports import (
    ShipmentStatus,
)
from donhang.shipping.models import (
    CarrierAccount,
    CodPayout,
    CodPayoutLine,
    Shipment,
)
from donhang.shipping.services.requests import order_cod_owed

# No parcel collects more than this (đồng).
MAX_LINE_AMOUNT = 10**12


@dataclass
class PayoutLineInput:
    tracking_code: str
    cod_amount: int
    fee: int = 0


def _expected_from(shipment: Shipment, order: Order) -> int:
    """What this parcel's payout must bring for the order to be paid in full: what the order
    still owes, less what its other live parcels not yet paid out will collect."""
    others = (
        Shipment.objects.filter(order=order, cod_paid_at__isnull=True)
        .live()
        .exclude(pk=shipment.pk)
        .aggregate(total=Sum("cod_amount"))["total"]
        or 0
    )
    return max(order_cod_owed(order) - others, 0)


@transaction.atomic
def cod_payout_record(
    *,
    account: CarrierAccount,
    paid_at: date,
    lines: list[PayoutLineInput],
    reference: str = "",
    source_file: str = "",
    actor=None,
) -> CodPayout:
    """Record a carrier payout and match it to delivered shipments by tracking number.

    Each line is compared with what the order still owes (not with the parcel's own COD, which
    a manager may have lowered): `cod_difference` is what the line brought less what the order
    needed from this parcel, and a payout that leaves the order short is flagged. Fee
    differences are flagged too. What the buyer paid is recorded on the order; a delivered COD
    order that is now paid in full becomes completed, one still short stays "delivered, waiting
    for the payment"."""
    require_perm(actor, "shipping.reconcile_cod")
    if not lines:
        raise ValidationFailed(
            _("The payout has no lines."), fields={"lines": _("Add at least one tracking number.")}
        )
    codes = [str(ln.tracking_code or "").strip() for ln in lines]
    errors = {}
    for n, (ln, code) in enumerate(zip(lines, codes, strict=True), start=1):
        if not code or len(code) > 40 or invisible_characters(code):
            errors[f"lines.{n}.tracking_code"] = _("A tracking number of 1 to 40 characters.")
        for name in ("cod_amount", "fee"):
            value = getattr(ln, name)
            if isinstance(value, bool) or not isinstance(value, int):
                errors[f"lines.{n}.{name}"] = _("Enter a whole amount in đồng.")
            elif not 0 <= value <= MAX_LINE_AMOUNT:
                errors[f"lines.{n}.{name}"] = _("Enter an amount from 0 to %(most)s.") % {
                    "most": format_vnd(MAX_LINE_AMOUNT)
                }
    if len(reference or "") > 60:
        errors["reference"] = _("At most 60 characters.")
    if errors:
        raise ValidationFailed(_("Some lines of the payout are not valid."), fields=errors)
    if reference and CodPayout.objects.filter(account=account, reference=reference).exists():
        raise Conflict(
            _("This statement was already recorded."),
            fields={"reference": _("Already recorded.")},
            code="duplicate_payout",
        )
    shipments = {
        s.tracking_code: s
        for s in Shipment.objects.select_for_update()
        .filter(account=account, tracking_code__in=codes)
        .order_by("pk")
    }
    payout = CodPayout.objects.create(
        account=account,
        paid_at=paid_at,
        reference=reference,
        source_file=source_file,
        created_by=actor_user(actor),
    )
    rows = []
    now = timezone.now()
    for ln, code in zip(lines, codes, strict=True):
        shipment = shipments.get(code)
        problem, cod_diff, fee_diff = "", 0, 0
        if shipment is None:
            problem = _("No shipment with this tracking number.")
        else:
            # Fresh: an earlier line of this statement may have paid towards the same order.
            order = Order.objects.select_for_update().get(pk=shipment.order_id)
            cod_diff = ln.cod_amount - _expected_from(shipment, order)
            expected_fee = (
                shipment.fee_charged if shipment.fee_charged is not None else shipment.fee
            )
            fee_diff = ln.fee - expected_fee if ln.fee else 0
            if shipment.cod_paid_at:
                problem, cod_diff = _("Already paid in an earlier statement."), 0
            elif shipment.status != ShipmentStatus.DELIVERED.value:
                problem = _("Paid, but the shipment is not delivered.")
            elif cod_diff < 0:
                problem = _("COD short: the order still owes %(missing)s after this payout.") % {
                    "missing": format_vnd(-cod_diff)
                }
            elif cod_diff > 0:
                problem = _("COD more than the order owes (by %(extra)s).") % {
                    "extra": format_vnd(cod_diff)
                }
            elif fee_diff:
                problem = _("Fee differs from the quote.")
            if not shipment.cod_paid_at:
                shipment.cod_paid_amount, shipment.cod_paid_at = ln.cod_amount, now
                if ln.fee:
                    shipment.fee_charged = ln.fee
                shipment.save(update_fields=["cod_paid_amount", "cod_paid_at", "fee_charged"])
                # What the buyer paid counts towards the order; the carrier's fee is a cost of
                # the order. A delivered order whose buyer has now paid what they owe completes.
                if ln.cod_amount > 0:
                    order_payment_record(
                        order=order,
                        method=PaymentRecordMethod.COD_PAYOUT,
                        amount=ln.cod_amount,
                        fee=ln.fee,
                        reference=f"{reference or payout.pk} · {shipment.tracking_code}"[:120],
                        paid_on=paid_at,
                        actor=actor,
                        check_permission=False,
                    )
        rows.append(
            CodPayoutLine(
                payout=payout,
                tracking_code=code,
                shipment=shipment,
                cod_amount=ln.cod_amount,
                fee=ln.fee,
                cod_difference=cod_diff,
                fee_difference=fee_diff,
                problem=problem,
            )
        )
    CodPayoutLine.objects.bulk_create(rows)
    audit(
        actor=actor,
        action="cod_payout.record",
        obj=payout,
        summary=f"{account} {paid_at} {len(rows)} lines",
    )
    return payout


def cod_payout_rows_from_file(*, filename: str, content: bytes) -> list[PayoutLineInput]:
    """A carrier statement (.xlsx or .csv): a tracking-number column and a COD column, and
    optionally a fee column; headers in Vietnamese or English. All rows checked first."""
    import csv
    import io

    from donhang.core.text import fold

    unreadable = _("This file cannot be read; export it again as .xlsx or as .csv (UTF-8).")
    try:
        if filename.lower().endswith(".xlsx"):
            check_xlsx(content)  # a zip bomb is refused before openpyxl unpacks it
            from openpyxl import load_workbook

            try:
                # data_only=False: a formula is read as its text, never its cached result
                # (DESIGN.md 3.10); such a cell is then not a number and its row is reported.
                workbook = load_workbook(io.BytesIO(content), read_only=True, data_only=False)
                table = [
                    ["" if c is None else imported_text(str(c)) for c in row]
                    for row in limited_rows(workbook.active.iter_rows(values_only=True))
                ]
                workbook.close()
            except SpreadsheetRefused:
                raise
            except Exception as exc:  # openpyxl raises many types for a broken file
                raise ValidationFailed(unreadable, fields={"file": unreadable}) from exc
        else:
            check_size(content)
            text = content.decode("utf-8-sig", errors="replace")
            try:
                table = [
                    [imported_text(c) for c in row]
                    for row in limited_rows(csv.reader(io.StringIO(text)))
                ]
            except csv.Error as exc:
                raise ValidationFailed(unreadable, fields={"file": unreadable}) from exc
    except SpreadsheetUnreadable as exc:
        raise ValidationFailed(unreadable, fields={"file": unreadable}) from exc
    except SpreadsheetRefused as exc:
        raise ValidationFailed(exc.message, fields={"file": exc.message}) from exc
    if not table:
        raise ValidationFailed(_("The file is empty."), fields={"file": _("No rows.")})
    header = [fold(h) for h in table[0]]

    def column(*names):
        return next((i for i, h in enumerate(header) if h in names), None)

    code_col = column(
        "ma van don",
        "tracking",
        "tracking code",
        "tracking number",
        "order_code",
        "ma don hang",
        "van don",
    )
    cod_col = column("tien thu ho", "cod", "cod amount", "thu ho", "tien cod")
    fee_col = column("phi", "fee", "phi van chuyen", "cuoc phi", "tong phi")
    if code_col is None or cod_col is None:
        raise ValidationFailed(
            _("The statement needs a tracking-number column and a COD column."),
            fields={"file": _("Columns not found.")},
        )

    def number(row, col):
        """A whole VND amount as statements write it: 360000, 360.000, 360,000 or 360000.0."""
        if col is None or col >= len(row):
            return 0
        text = str(row[col]).strip().replace(" ", "").replace("₫", "").replace("đ", "")
        if not text:
            return 0
        if re.fullmatch(r"-?\d{1,3}([.,]\d{3})+", text):
            return int(re.sub(r"[.,]", "", text))
        value = float(text)  # ValueError for anything else
        if not math.isfinite(value) or not value.is_integer():
            raise ValueError(text)
        return int(value)

    rows, errors = [], {}
    for n, row in enumerate(table[1:], start=2):
        if not any(str(c).strip() for c in row):
            continue
        try:
            rows.append(
                PayoutLineInput(
                    tracking_code=str(row[code_col]).strip(),
                    cod_amount=number(row, cod_col),
                    fee=number(row, fee_col),
                )
            )
        except (ValueError, IndexError):
            errors[f"row {n}"] = _("COD or fee is not a number.")
    if errors:
        raise ValidationFailed(
            _("Some rows of the statement are not valid; nothing was recorded."), fields=errors
        )
    return rows
