from django.apps import AppConfig


class PurchasingConfig(AppConfig):
    name = "donhang.purchasing"
    label = "purchasing"
