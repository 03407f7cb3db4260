from django.apps import AppConfig


class ShippingConfig(AppConfig):
    name = "donhang.shipping"
    label = "shipping"
