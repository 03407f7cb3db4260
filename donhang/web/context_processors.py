from django.urls import reverse
from django.utils.translation import gettext_lazy as _

# (url name, label, icon, permission needed or None). Areas not built yet point at a page that
# says so plainly.
NAVIGATION = [
    ("web:dashboard", _("Dashboard"), "speedometer2", None),
    ("web:area:orders", _("Orders"), "receipt", None),
    ("catalog:product_list", _("Products"), "box-seam", "catalog.view_product"),
    ("inventory:warehouse_list", _("Warehouses"), "building", "inventory.view_warehouse"),
    ("web:area:customers", _("Customers"), "people", None),
    ("web:area:purchasing", _("Purchasing"), "truck", None),
    ("web:area:shipping", _("Shipping"), "send", None),
    ("web:area:invoices", _("E-invoices"), "file-earmark-text", None),
    ("web:area:returns", _("Returns"), "arrow-counterclockwise", None),
    ("web:area:marketplaces", _("Marketplaces"), "shop", None),
    ("web:area:chatbot", _("Chatbot"), "chat-dots", None),
    ("web:area:reports", _("Reports"), "bar-chart", None),
]


def navigation(request):
    user = getattr(request, "user", None)
    if not user or not user.is_authenticated:
        return {}
    items = []
    path = request.path
    for name, label, icon, perm in NAVIGATION:
        if perm and not user.has_perm(perm):
            continue
        if name.startswith("web:area:"):
            url = reverse("web:area", args=[name.rsplit(":", 1)[1]])
        else:
            url = reverse(name)
        active = path == url if url == "/" else path.startswith(url)
        items.append({"url": url, "label": label, "icon": icon, "active": active})
    return {"nav_items": items}
