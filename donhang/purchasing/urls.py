from django.urls import path
from django.views.generic import RedirectView

from donhang.purchasing import views

app_name = "purchasing"
urlpatterns = [
    path("", RedirectView.as_view(pattern_name="purchasing:purchase_order_list"), name="index"),
    path("suppliers/", views.supplier_list, name="supplier_list"),
    path("suppliers/new/", views.supplier_create, name="supplier_create"),
    path("suppliers/<int:pk>/", views.supplier_detail, name="supplier_detail"),
    path("suppliers/<int:pk>/edit/", views.supplier_edit, name="supplier_edit"),
    path(
        "suppliers/<int:pk>/products/",
        views.supplier_variants_update,
        name="supplier_variants_update",
    ),
    path(
        "suppliers/<int:pk>/products/add/",
        views.supplier_variant_add,
        name="supplier_variant_add",
    ),
    path("orders/", views.purchase_order_list, name="purchase_order_list"),
    path("orders/new/", views.purchase_order_create, name="purchase_order_create"),
    path("orders/<int:pk>/", views.purchase_order_detail, name="purchase_order_detail"),
    path("orders/<int:pk>/edit/", views.purchase_order_edit, name="purchase_order_edit"),
    path("orders/<int:pk>/send/", views.purchase_order_send, name="purchase_order_send"),
    path("orders/<int:pk>/cancel/", views.purchase_order_cancel, name="purchase_order_cancel"),
    path("orders/<int:pk>/close/", views.purchase_order_close, name="purchase_order_close"),
    path("orders/<int:pk>/pdf/", views.purchase_order_pdf, name="purchase_order_pdf"),
    path("orders/<int:pk>/receive/", views.receipt_create, name="receipt_create"),
    path("suggestions/", views.suggestions, name="suggestions"),
    path("receipts/", views.receipt_list, name="receipt_list"),
    path("receipts/new/", views.receipt_create_standalone, name="receipt_create_standalone"),
    path("receipts/<int:pk>/", views.receipt_detail, name="receipt_detail"),
    path("receipts/<int:pk>/labels/", views.receipt_labels, name="receipt_labels"),
    path("variant-search/", views.variant_search, name="variant_search"),
    path("line-row/", views.line_row, name="line_row"),
]
