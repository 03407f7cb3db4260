from django.apps import AppConfig


class MarketplacesConfig(AppConfig):
    name = "donhang.marketplaces"
    label = "marketplaces"

    def ready(self):
        # The marketplace card of the order page (orders sits below and never imports us).
        # Imported here, not at the top: the panel reads models, which load after this module.
        from donhang.marketplaces import order_panels

        order_panels.register()
