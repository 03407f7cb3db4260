from django.apps import AppConfig


class ApiConfig(AppConfig):
    name = "donhang.api"
    label = "api"
