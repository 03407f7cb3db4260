from django.apps import AppConfig


class WebConfig(AppConfig):
    name = "donhang.web"
    label = "web"
