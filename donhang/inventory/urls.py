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
    path("transfers/", views.transfer_list, name="transfer_list"),
    path("transfers/new/", views.transfer_create, name="transfer_create"),
    path(
        "transfers/variant-search/",
        views.transfer_variant_search,
        name="transfer_variant_search",
    ),
    path("transfers/line-row/", views.transfer_line_row, name="transfer_line_row"),
    path("transfers/<str:code>/", views.transfer_detail, name="transfer_detail"),
    path("transfers/<str:code>/send/", views.transfer_send, name="transfer_send"),
    path("transfers/<str:code>/receive/", views.transfer_receive, name="transfer_receive"),
    path("transfers/<str:code>/cancel/", views.transfer_cancel, name="transfer_cancel"),
    path("stocktakes/", views.stocktake_list, name="stocktake_list"),
    path("stocktakes/new/", views.stocktake_create, name="stocktake_create"),
    path("stocktakes/<str:code>/", views.stocktake_sheet, name="stocktake_sheet"),
    path(
        "stocktakes/<str:code>/lines/<int:line_id>/",
        views.stocktake_count_line,
        name="stocktake_count_line",
    ),
    path("stocktakes/<str:code>/import/", views.stocktake_import, name="stocktake_import"),
    path("stocktakes/<str:code>/scan/", views.stocktake_scan, name="stocktake_scan"),
    path("stocktakes/<str:code>/review/", views.stocktake_review, name="stocktake_review"),
    path("stocktakes/<str:code>/post/", views.stocktake_post, name="stocktake_post"),
    path("stocktakes/<str:code>/cancel/", views.stocktake_cancel, name="stocktake_cancel"),
    path("stocktakes/<str:code>/print/", views.stocktake_print, name="stocktake_print"),
    path("value/", views.inventory_value, name="inventory_value"),
    path("value/export/", views.inventory_value_export, name="inventory_value_export"),
]
