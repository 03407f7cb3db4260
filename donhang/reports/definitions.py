"""The definitions every page, export and email that shows them repeats (ISSUE: "definitions
shown on every page that uses them")."""

from django.utils.translation import gettext_lazy as _

DEFINITIONS = {
    "revenue": _(
        "goods after seller-funded discounts, VAT included, of orders not cancelled, on the "
        "order's date, less returned goods on the return's date (platform vouchers and "
        "shipping fees are not revenue)"
    ),
    "net_revenue": _("revenue without VAT"),
    "margin": _(
        "net revenue − (cost of the goods sold, from the sale movements, − returned goods at "
        "the cost they left with); goods found damaged or missing on inspection stay a cost"
    ),
    "average_order_value": _("sales (before returns) divided by the orders not cancelled"),
}
