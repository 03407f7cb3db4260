from django.urls import path

from donhang.customers import views

app_name = "customers"
urlpatterns = [
    path("", views.customer_list, name="customer_list"),
    path("new/", views.customer_create, name="customer_create"),
    path("<int:pk>/", views.customer_detail, name="customer_detail"),
    path("<int:pk>/edit/", views.customer_edit, name="customer_edit"),
    path("<int:pk>/addresses/new/", views.customer_address_add, name="customer_address_add"),
    path("<int:pk>/merge/", views.customer_merge, name="customer_merge"),
    path("wards/", views.ward_options, name="ward_options"),
]
