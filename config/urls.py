from django.conf import settings
from django.contrib import admin
from django.urls import include, path, re_path

from donhang.accounts.views import admin_login
from donhang.api.router import api
from donhang.web.media import serve_media

urlpatterns = [
    path("i18n/", include("django.conf.urls.i18n")),
    # Before the admin's own: the admin logs in through our log-in page and its throttle.
    path("admin/login/", admin_login, name="admin_login"),
    path("admin/", admin.site.urls),
    path("api/v1/", api.urls),
    path("accounts/", include("donhang.accounts.urls")),
    path("catalog/", include("donhang.catalog.urls")),
    path("customers/", include("donhang.customers.urls")),
    path("inventory/", include("donhang.inventory.urls")),
    path("orders/", include("donhang.orders.urls")),
    path("shipping/", include("donhang.shipping.urls")),
    path("invoicing/", include("donhang.invoicing.urls")),
    path("marketplaces/", include("donhang.marketplaces.urls")),
    path("returns/", include("donhang.returns.urls")),
    path("chatbot/", include("donhang.chatbot.urls")),
    path("purchasing/", include("donhang.purchasing.urls")),
    path("reports/", include("donhang.reports.urls")),
    path("", include("donhang.web.urls")),
]
# Uploaded images (re-encoded, named by us), served as images or downloads, never as HTML.
urlpatterns += [
    re_path(r"^" + settings.MEDIA_URL.lstrip("/") + r"(?P<path>.*)$", serve_media),
]
