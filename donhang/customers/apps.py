from django.apps import AppConfig


class CustomersConfig(AppConfig):
    name = "donhang.customers"
    label = "customers"
