from django.apps import AppConfig


class ReturnsConfig(AppConfig):
    name = "donhang.returns"
    label = "returns"

    def ready(self):
        # Orders tell returns about returned parcels, and the order page, the timeline and the
        # ledger check get returns' pieces, through hooks (orders sits below returns and never
        # imports it). Imported here, not at the top: they need the models, which load after
        # this module.
        from donhang.returns import order_hooks

        order_hooks.register()
