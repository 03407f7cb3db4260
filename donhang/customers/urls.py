from django.urls import path

from donhang.customers import views

app_name = "customers"
urlpatterns = [
    path("wards/", views.ward_options, name="ward_options"),
]
