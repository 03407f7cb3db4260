from django.urls import path

from donhang.orders import views

app_name = "orders"
urlpatterns = [
    path("", views.order_list, name="order_list"),
    path("bulk/", views.order_bulk, name="order_bulk"),
    path("new/", views.order_create, name="order_create"),
    path("picking-list/", views.picking_list, name="picking_list"),
    path("variant-search/", views.variant_search, name="variant_search"),
    path("line-row/", views.line_row, name="line_row"),
    path("totals-preview/", views.totals_preview, name="totals_preview"),
    path("customer-lookup/", views.customer_lookup, name="customer_lookup"),
    path("find/", views.find, name="find"),
    path("<str:code>/", views.order_detail, name="order_detail"),
    path("<str:code>/confirm/", views.order_confirm, name="order_confirm"),
    path("<str:code>/mark-packed/", views.order_mark_packed, name="order_mark_packed"),
    path("<str:code>/hand-over/", views.order_hand_over, name="order_hand_over"),
    path(
        "<str:code>/delivery-failed/",
        views.order_mark_delivery_failed,
        name="order_mark_delivery_failed",
    ),
    path("<str:code>/complete/", views.order_complete, name="order_complete"),
    path("<str:code>/return/", views.order_return, name="order_return"),
    path("<str:code>/cancel/", views.order_cancel, name="order_cancel"),
    path("<str:code>/notes/", views.order_add_note, name="order_add_note"),
    path("<str:code>/lines/", views.order_edit_lines, name="order_edit_lines"),
    path("<str:code>/edit/", views.order_edit, name="order_edit"),
    path("<str:code>/payments/", views.order_payment_add, name="order_payment_add"),
]
