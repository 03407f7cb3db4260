from django.urls import path

from donhang.shipping import views, views_public

app_name = "shipping"
urlpatterns = [
    # without a login: carriers' webhooks and the buyer's tracking page
    path("webhooks/<str:provider>/", views_public.webhook, name="webhook"),
    path("track/", views_public.public_tracking, name="public_tracking"),
    # staff pages
    path("", views.shipment_list, name="shipment_list"),
    path("orders/<str:code>/new/", views.shipment_create, name="shipment_create"),
    path("bulk/", views.bulk_create, name="bulk_create"),
    path("bulk/progress/", views.bulk_progress, name="bulk_progress"),
    path("bulk/retry/", views.bulk_retry, name="bulk_retry"),
    path("labels.pdf", views.labels_pdf, name="labels_pdf"),
    path("labels/<int:pk>/", views.label_batch, name="label_batch"),
    path("labels/<int:pk>/labels.pdf", views.label_batch_pdf, name="label_batch_pdf"),
    path("<int:pk>/", views.shipment_detail, name="shipment_detail"),
    path("<int:pk>/retry/", views.shipment_retry, name="shipment_retry"),
    path("<int:pk>/cancel/", views.shipment_cancel, name="shipment_cancel"),
    path("<int:pk>/redeliver/", views.shipment_redeliver, name="shipment_redeliver"),
    path("<int:pk>/return/", views.shipment_return, name="shipment_return"),
    path("<int:pk>/carrier-label/", views.shipment_carrier_label, name="shipment_carrier_label"),
    path("cod/", views.cod_overview, name="cod"),
    path("cod/payouts/new/", views.payout_create, name="payout_create"),
    path("cod/payouts/import/", views.payout_import, name="payout_import"),
    path(
        "cod/payouts/from-parcels/", views.payout_from_outstanding, name="payout_from_outstanding"
    ),
    path("cod/payouts/<int:pk>/", views.payout_detail, name="payout_detail"),
    path("carriers/", views.carrier_account_list, name="carrier_account_list"),
    path("carriers/new/", views.carrier_account_create, name="carrier_account_create"),
    path("carriers/<int:pk>/", views.carrier_account_edit, name="carrier_account_edit"),
]
