from django.apps import AppConfig


class CatalogConfig(AppConfig):
    name = "donhang.catalog"
    label = "catalog"
