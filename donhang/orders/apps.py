from django.apps import AppConfig


class OrdersConfig(AppConfig):
    name = "donhang.orders"
    label = "orders"

    def ready(self):
        # Inventory tells orders about stock through hooks (it may not import orders). Imported
        # here, not at the top: services need the models, which load after this module.
        from donhang.core import hooks
        from donhang.orders import customer_hooks
        from donhang.orders.services.stock import (
            allocation_strategy_choices,
            channel_rule_rows,
            channel_rule_set,
            reservations_fill_waiting,
            reservations_take_back,
        )

        hooks.register("stock.arrived", reservations_fill_waiting)
        hooks.register("stock.shortfall", reservations_take_back)
        # The channel rules page lives with the warehouses; the rules are the orders'.
        hooks.register("inventory.channel_rules", channel_rule_rows)
        hooks.register("inventory.allocation_strategies", allocation_strategy_choices)
        hooks.register("inventory.channel_rule_set", channel_rule_set)
        customer_hooks.register()
