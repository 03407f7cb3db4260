from django.urls import reverse
from django.utils.translation import gettext_lazy as _

# (url name, label, permission needed or None, in the main bar or under "More").
NAVIGATION = [
    ("web:dashboard", _("Dashboard"), None, True),
    ("orders:order_list", _("Orders"), "orders.view_order", True),
    ("catalog:product_list", _("Products"), "catalog.view_product", True),
    ("inventory:warehouse_list", _("Warehouses"), "inventory.view_warehouse", True),
    ("customers:customer_list", _("Customers"), "customers.view_customer", True),
    ("purchasing:purchase_order_list", _("Purchasing"), "purchasing.view_purchaseorder", True),
    ("shipping:shipment_list", _("Shipping"), "shipping.view_shipment", True),
    ("invoicing:invoice_list", _("E-invoices"), "invoicing.view_invoice", False),
    ("returns:return_list", _("Returns"), "returns.view_return", False),
    ("marketplaces:connection_list", _("Marketplaces"), "marketplaces.view_shopconnection", False),
    ("chatbot:inbox", _("Chatbot"), "chatbot.view_conversation", False),
    ("reports:index", _("Reports"), None, False),
]


def navigation(request):
    user = getattr(request, "user", None)
    if not user or not user.is_authenticated:
        return {}
    items, more = [], []
    path = request.path
    for name, label, perm, main in NAVIGATION:
        if perm and not user.has_perm(perm):
            continue
        url = reverse(name)
        active = path == url if url == "/" else path.startswith(url)
        (items if main else more).append({"url": url, "label": label, "active": active})
    return {"nav_items": items, "nav_more": more}
