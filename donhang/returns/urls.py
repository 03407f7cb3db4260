from django.urls import path

from donhang.returns import views

app_name = "returns"
urlpatterns = [
    path("", views.return_list, name="return_list"),
    path("reports/", views.return_reports, name="return_reports"),
    path("new/<str:code>/", views.return_create, name="return_create"),
    path("<int:pk>/", views.return_detail, name="return_detail"),
    path("<int:pk>/receive/", views.return_receive, name="return_receive"),
    path("<int:pk>/inspect/", views.return_inspect, name="return_inspect"),
    path("<int:pk>/refund/", views.return_refund, name="return_refund"),
    path("<int:pk>/refunds/<int:refund_pk>/paid/", views.refund_mark_paid, name="refund_mark_paid"),
    path("<int:pk>/refunds/<int:refund_pk>/cancel/", views.refund_cancel, name="refund_cancel"),
    path("<int:pk>/refunds/<int:refund_pk>/qr/", views.refund_qr, name="refund_qr"),
    path("<int:pk>/exchange/", views.return_exchange, name="return_exchange"),
    path("<int:pk>/invoice/", views.return_invoice, name="return_invoice"),
    path("<int:pk>/close/", views.return_close, name="return_close"),
    path("<int:pk>/cancel/", views.return_cancel, name="return_cancel"),
    path("photos/<int:line_pk>/", views.line_photo, name="line_photo"),
]
