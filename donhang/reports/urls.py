from django.urls import path

from donhang.reports import views

app_name = "reports"
urlpatterns = [
    path("", views.index, name="index"),
    path("sales/", views.sales, name="sales"),
    path("inventory/", views.inventory, name="inventory"),
    path("purchases/", views.purchases, name="purchases"),
    path("returns/", views.returns, name="returns"),
    path("cod/", views.cod, name="cod"),
    path("shipping/", views.shipping, name="shipping"),
    path("settings/", views.report_settings, name="settings"),
]
