"""The reports app's own tables: daily (and monthly) figures computed from the other apps' rows,
which reports only ever reads. `donhang.reports.refresh` keeps them up to date incrementally;
`manage.py reports_rebuild` recomputes them from scratch.

Definitions (the same on every page that shows them):
- revenue: goods after seller-funded discounts, VAT included (order lines' `gross`), of orders
  not cancelled, on the order's date, less returned goods (their share of the line) on the
  return's date;
- net revenue: the same without VAT (`net`);
- margin: net revenue − (cost of the goods sold − returned goods at their cost), the cost of the
  goods sold being the sale movements' unit cost and returned goods coming back at the cost they
  left with (units found damaged or missing on inspection are not "back": their cost stays
  spent).

Dimensions are plain references without database constraints (db_constraint=False): these are
copies of figures, never the owner of a product or a customer, and a rebuild rewrites them.
"""

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


def _ref(model: str, **kwargs):
    return models.ForeignKey(
        model, on_delete=models.DO_NOTHING, db_constraint=False, related_name="+", **kwargs
    )


class SalesFigures(models.Model):
    """What was sold and what came back, in whole đồng."""

    orders = models.IntegerField(default=0)
    units = models.IntegerField(default=0)
    gross = models.BigIntegerField(default=0)  # goods after seller discounts, VAT included
    net = models.BigIntegerField(default=0)  # the same without VAT
    cost = models.BigIntegerField(default=0)  # sale movements' cost of those orders
    returned_units = models.IntegerField(default=0)
    returned_gross = models.BigIntegerField(default=0)
    returned_net = models.BigIntegerField(default=0)
    returned_cost = models.BigIntegerField(default=0)  # back in stock at the cost they left with

    MEASURES = (
        "orders",
        "units",
        "gross",
        "net",
        "cost",
        "returned_units",
        "returned_gross",
        "returned_net",
        "returned_cost",
    )

    class Meta:
        abstract = True


class OrdersDay(SalesFigures):
    """Per day (the shop's time zone), channel and warehouse: orders and their money. Orders
    counts orders not cancelled created that day; `cancelled` the cancelled ones."""

    day = models.DateField()
    channel = models.CharField(max_length=20)
    warehouse = _ref("inventory.Warehouse", null=True)
    cancelled = models.IntegerField(default=0)

    class Meta:
        indexes = [models.Index(fields=["day", "channel"], name="reports_ordersday_day")]


class SalesDay(SalesFigures):
    """Per day, channel, warehouse and variant (with its product). `orders`: orders holding the
    variant."""

    day = models.DateField()
    channel = models.CharField(max_length=20)
    warehouse = _ref("inventory.Warehouse", null=True)
    variant = _ref("catalog.Variant")
    product = _ref("catalog.Product")

    class Meta:
        indexes = [models.Index(fields=["day", "variant"], name="reports_salesday_day")]


class SalesMonth(SalesFigures):
    """SalesDay summed per month (`month`: its first day): year-long reports read these."""

    month = models.DateField()
    channel = models.CharField(max_length=20)
    warehouse = _ref("inventory.Warehouse", null=True)
    variant = _ref("catalog.Variant")
    product = _ref("catalog.Product")

    class Meta:
        indexes = [models.Index(fields=["month", "variant"], name="reports_salesmonth_month")]


class CustomerDay(SalesFigures):
    """Per day, channel, warehouse and customer. No monthly sums: a customer rarely buys twice a
    month, so they would be as many rows (a year's report reads the days)."""

    day = models.DateField()
    channel = models.CharField(max_length=20)
    warehouse = _ref("inventory.Warehouse", null=True)
    customer = _ref("customers.Customer")

    class Meta:
        indexes = [models.Index(fields=["day", "customer"], name="reports_customerday_day")]


class MovementFigures(models.Model):
    """Stock movements summed: units in and out, and their value at the unit cost they moved
    with (movements without a known cost count in units only, and in `units_without_cost`)."""

    movements = models.IntegerField(default=0)
    units_in = models.IntegerField(default=0)
    units_out = models.IntegerField(default=0)
    value_in = models.BigIntegerField(default=0)
    value_out = models.BigIntegerField(default=0)
    units_without_cost = models.IntegerField(default=0)

    MEASURES = ("movements", "units_in", "units_out", "value_in", "value_out", "units_without_cost")

    class Meta:
        abstract = True


class MovementDay(MovementFigures):
    day = models.DateField()
    warehouse = _ref("inventory.Warehouse")
    variant = _ref("catalog.Variant")
    kind = models.CharField(max_length=20)
    bucket = models.CharField(max_length=10)

    class Meta:
        indexes = [models.Index(fields=["day", "warehouse"], name="reports_movementday_day")]


class MovementMonth(MovementFigures):
    month = models.DateField()
    warehouse = _ref("inventory.Warehouse")
    variant = _ref("catalog.Variant")
    kind = models.CharField(max_length=20)
    bucket = models.CharField(max_length=10)

    class Meta:
        indexes = [models.Index(fields=["month", "warehouse"], name="reports_movementmonth_month")]


class ShipmentFact(models.Model):
    """One parcel as the shipping reports count it, refreshed whenever the parcel, its events,
    its payout or its order changed. `day`: the day the parcel was created."""

    shipment = models.OneToOneField(
        "shipping.Shipment",
        primary_key=True,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        related_name="+",
    )
    day = models.DateField()
    account = _ref("shipping.CarrierAccount")
    warehouse = _ref("inventory.Warehouse", null=True)
    channel = models.CharField(max_length=20)
    status = models.CharField(max_length=20)
    cod_amount = models.BigIntegerField(default=0)
    cod_delivered = models.BigIntegerField(default=0)  # COD of delivered parcels: collected
    cod_paid = models.BigIntegerField(default=0)  # what the carrier's payouts paid for it
    cod_paid_at = models.DateField(null=True)
    cod_outstanding = models.BigIntegerField(default=0)  # delivered, not paid out yet
    fee = models.BigIntegerField(default=0)  # the carrier's quote
    fee_charged = models.BigIntegerField(null=True)  # what the carrier finally charged
    fee_payer = models.CharField(max_length=10)

    class Meta:
        indexes = [
            models.Index(fields=["day"], name="reports_shipmentfact_day"),
            models.Index(
                fields=["account"],
                name="reports_shipmentfact_owed",
                condition=Q(cod_outstanding__gt=0),
            ),
        ]


class ShippingDay(models.Model):
    """Parcels per day created, carrier account, warehouse and channel."""

    day = models.DateField()
    account = _ref("shipping.CarrierAccount")
    warehouse = _ref("inventory.Warehouse", null=True)
    channel = models.CharField(max_length=20)
    parcels = models.IntegerField(default=0)
    cancelled = models.IntegerField(default=0)
    delivered = models.IntegerField(default=0)
    returned = models.IntegerField(default=0)
    fee = models.BigIntegerField(default=0)  # quoted, parcels not cancelled
    fee_charged = models.BigIntegerField(default=0)  # charged where known, else quoted
    fee_by_seller = models.BigIntegerField(default=0)  # the part the shop pays itself
    cod_parcels = models.IntegerField(default=0)
    cod_amount = models.BigIntegerField(default=0)
    cod_delivered = models.BigIntegerField(default=0)
    cod_paid = models.BigIntegerField(default=0)
    cod_outstanding = models.BigIntegerField(default=0)

    MEASURES = (
        "parcels",
        "cancelled",
        "delivered",
        "returned",
        "fee",
        "fee_charged",
        "fee_by_seller",
        "cod_parcels",
        "cod_amount",
        "cod_delivered",
        "cod_paid",
        "cod_outstanding",
    )

    class Meta:
        indexes = [models.Index(fields=["day"], name="reports_shippingday_day")]


class DirtyDay(models.Model):
    """A day whose figures must be computed again at the next refresh (marked by hooks, e.g.
    when customers are merged and their orders move)."""

    day = models.DateField(unique=True)
    marked_at = models.DateTimeField(auto_now_add=True)


class RefreshState(models.Model):
    """The one row that says how far the figures go: what the last refresh read (highest ids
    of the rows it follows, and ids not yet committed then), and to when the figures are
    complete."""

    watermarks = models.JSONField(default=dict)
    # {source: [[id, first seen (ISO time)], …]}: ids below a watermark that were not there
    # when it was read (a transaction still open); looked at again until they appear or age out.
    gaps = models.JSONField(default=dict)
    complete_to = models.DateTimeField(null=True)
    last_run_at = models.DateTimeField(null=True)
    last_run_ms = models.IntegerField(default=0)
    last_days = models.IntegerField(default=0)
    rebuilt_at = models.DateTimeField(null=True)
    # When a page last asked a worker for the first computation (figures never computed yet).
    asked_at = models.DateTimeField(null=True)


class ReportSettings(models.Model):
    """The shop's report settings (one row): the owners' daily summary email."""

    daily_email = models.BooleanField(
        _("send the owners a daily summary by email"),
        default=False,
        help_text=_(
            "Yesterday's sales and what needs attention, to every active owner with an email."
        ),
    )
    daily_email_hour = models.PositiveSmallIntegerField(
        _("hour to send it"),
        default=7,
        help_text=_("Local time, 0–23."),
    )
    last_sent_for = models.DateField(null=True, blank=True, editable=False)

    class Meta:
        verbose_name = _("report settings")
        verbose_name_plural = _("report settings")
        constraints = [
            models.CheckConstraint(
                condition=Q(daily_email_hour__lte=23), name="reportsettings_hour_lte_23"
            )
        ]
