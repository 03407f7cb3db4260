from django.apps import AppConfig


class ShippingConfig(AppConfig):
    name = "donhang.shipping"
    label = "shipping"

    def ready(self):
        # Shipping's lines on the order timeline. Imported here, not at the top: the renderers
        # need the models, which load after this module.
        from donhang.shipping import order_panels
        from donhang.shipping.timeline import register_renderers

        register_renderers()
        order_panels.register()
