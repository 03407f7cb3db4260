"""COD reconciliation and shipping fees per carrier account, from the parcels' daily figures
(the day a parcel was created), and the carriers' payouts of the range."""

from __future__ import annotations

from django.db.models import Count, Sum

from donhang.core.replica import reads_from_replica
from donhang.reports.access import Access
from donhang.reports.models import ShipmentFact, ShippingDay
from donhang.reports.selectors.common import ReportFilters, daily_summed, ratio
from donhang.shipping.models import CarrierAccount, CodPayout, CodPayoutLine

SHIPPING_MEASURES = ShippingDay.MEASURES


def _accounts(ids) -> dict[int, CarrierAccount]:
    return CarrierAccount.objects.in_bulk([pk for pk in ids if pk])


def _by_account(filters: ReportFilters) -> list[tuple[CarrierAccount | None, dict]]:
    sums = daily_summed(ShippingDay, filters, ("account_id",), SHIPPING_MEASURES)
    accounts = _accounts(key[0] for key in sums)
    rows = [(accounts.get(key[0]), values) for key, values in sums.items()]
    rows.sort(key=lambda r: (-r[1]["parcels"], str(r[0] or "")))
    return rows


@reads_from_replica
def shipping_fees_report(*, filters: ReportFilters, access: Access) -> list[dict]:
    """Per carrier account: parcels created in the range, delivered, returned, cancelled, the
    fees quoted and charged (the charged amount where the carrier told it, else the quote) and
    the part the shop pays itself."""
    out = []
    for account, v in _by_account(filters):
        live = v["parcels"] - v["cancelled"]
        out.append(
            {
                "account": account,
                "parcels": v["parcels"],
                "delivered": v["delivered"],
                "returned": v["returned"],
                "cancelled": v["cancelled"],
                "fee": v["fee"],
                "fee_charged": v["fee_charged"],
                "fee_by_seller": v["fee_by_seller"],
                "fee_by_buyer": v["fee_charged"] - v["fee_by_seller"],
                "average_fee": ratio(v["fee_charged"], live),
            }
        )
    return out


@reads_from_replica
def cod_report(*, filters: ReportFilters, access: Access) -> dict:
    """Per carrier account, for COD parcels created in the range: what they were to collect,
    what was delivered (so collected by the carrier), what the carrier paid out, and what it
    still owes; and the payouts received in the range with their lines' sums."""
    accounts = []
    for account, v in _by_account(filters):
        if not v["cod_parcels"] and not v["cod_paid"]:
            continue
        accounts.append(
            {
                "account": account,
                "cod_parcels": v["cod_parcels"],
                "cod_amount": v["cod_amount"],
                "cod_delivered": v["cod_delivered"],
                "cod_paid": v["cod_paid"],
                "cod_outstanding": v["cod_outstanding"],
                "difference": v["cod_delivered"] - v["cod_paid"] - v["cod_outstanding"],
            }
        )
    payouts = CodPayout.objects.filter(
        paid_at__gte=filters.date_from, paid_at__lte=filters.date_to
    ).select_related("account")
    sums = {
        row["payout_id"]: row
        for row in CodPayoutLine.objects.filter(payout__in=payouts)
        .values("payout_id")
        .annotate(
            lines=Count("id"),
            cod=Sum("cod_amount"),
            fee=Sum("fee"),
            cod_difference=Sum("cod_difference"),
            fee_difference=Sum("fee_difference"),
        )
        .order_by()
    }
    listed = []
    for payout in payouts.order_by("-paid_at", "-id")[:200]:
        row = sums.get(payout.pk, {})
        listed.append(
            {
                "payout": payout,
                "lines": row.get("lines", 0),
                "cod": row.get("cod") or 0,
                "fee": row.get("fee") or 0,
                "cod_difference": row.get("cod_difference") or 0,
                "fee_difference": row.get("fee_difference") or 0,
            }
        )
    return {"accounts": accounts, "payouts": listed}


def cod_outstanding_by_account() -> list[dict]:
    """What each carrier still owes now: delivered COD parcels not paid out (any day). One
    query on a partial index of the few parcels owed."""
    rows = list(
        ShipmentFact.objects.filter(cod_outstanding__gt=0)
        .values("account_id")
        .annotate(parcels=Count("shipment_id"), amount=Sum("cod_outstanding"))
        .order_by("-amount")
    )
    accounts = _accounts(r["account_id"] for r in rows)
    return [
        {"account": accounts.get(r["account_id"]), "parcels": r["parcels"], "amount": r["amount"]}
        for r in rows
    ]
