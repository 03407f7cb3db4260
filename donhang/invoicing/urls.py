from django.urls import path

from donhang.invoicing import views

app_name = "invoicing"
urlpatterns = [
    path("", views.invoice_list, name="invoice_list"),
    path("export.xlsx", views.invoice_export, name="invoice_export"),
    path("<int:pk>/", views.invoice_detail, name="invoice_detail"),
    path("<int:pk>/pdf/", views.invoice_pdf, name="invoice_pdf"),
    path("<int:pk>/retry/", views.invoice_retry, name="invoice_retry"),
    path("<int:pk>/issue/", views.invoice_submit_draft, name="invoice_submit_draft"),
    path("<int:pk>/discard/", views.invoice_discard, name="invoice_discard"),
    path("<int:pk>/email/", views.invoice_email, name="invoice_email"),
    path("<int:pk>/check/", views.invoice_check, name="invoice_check"),
    path("<int:pk>/replace/", views.invoice_replace, name="invoice_replace"),
    path("<int:pk>/adjust/", views.invoice_adjust, name="invoice_adjust"),
    path("orders/<str:code>/issue/", views.order_issue, name="order_issue"),
    path("orders/<str:code>/preview.pdf", views.order_preview_pdf, name="order_preview_pdf"),
    path("settings/", views.settings_overview, name="settings"),
    path("settings/accounts/new/", views.account_create, name="account_create"),
    path("settings/accounts/<int:pk>/", views.account_edit, name="account_edit"),
    path("settings/templates/new/", views.template_create, name="template_create"),
    path("settings/templates/<int:pk>/", views.template_edit, name="template_edit"),
    path("settings/rule/", views.rule_edit, name="rule_edit"),
]
