from django.apps import AppConfig


class InventoryConfig(AppConfig):
    name = "donhang.inventory"
    label = "inventory"
