from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "donhang.core"
    label = "core"
