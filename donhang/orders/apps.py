from django.apps import AppConfig


class OrdersConfig(AppConfig):
    name = "donhang.orders"
    label = "orders"
