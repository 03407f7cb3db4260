from django.urls import path

from donhang.orders import views

app_name = "orders"
urlpatterns = [
    path("", views.order_list, name="order_list"),
]
