from django.apps import AppConfig


class InventoryConfig(AppConfig):
    name = "donhang.inventory"
    label = "inventory"

    def ready(self):
        # The catalog's view of stock, provided through hooks (the catalog may not import
        # inventory). Imported here: the hooks need the models, which load after this module.
        from donhang.inventory import catalog_hooks

        catalog_hooks.register()
