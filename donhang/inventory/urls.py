from django.urls import path

from donhang.inventory import views

app_name = "inventory"
urlpatterns = [
    path("warehouses/", views.warehouse_list, name="warehouse_list"),
    path("warehouses/new/", views.warehouse_create, name="warehouse_create"),
    path("warehouses/<int:pk>/", views.warehouse_detail, name="warehouse_detail"),
    path("warehouses/<int:pk>/edit/", views.warehouse_edit, name="warehouse_edit"),
    path("warehouses/<int:pk>/active/", views.warehouse_set_active, name="warehouse_set_active"),
    path("variants/<int:pk>/stock/", views.variant_stock, name="variant_stock"),
    path("low-stock/", views.low_stock, name="low_stock"),
    path("channel-rules/", views.channel_rules, name="channel_rules"),
]
