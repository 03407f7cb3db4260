from django.urls import path

from donhang.inventory import views

app_name = "inventory"
urlpatterns = [
    path("warehouses/", views.warehouse_list, name="warehouse_list"),
]
