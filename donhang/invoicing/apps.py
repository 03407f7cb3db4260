from django.apps import AppConfig


class InvoicingConfig(AppConfig):
    name = "donhang.invoicing"
    label = "invoicing"

    def ready(self):
        # Invoicing's lines on the order timeline, its card on the order page and automatic
        # issuing at hand-over or completion. Imported here, not at the top: they need the
        # models, which load after this module.
        from donhang.invoicing import order_panels
        from donhang.invoicing.timeline import register_renderers

        register_renderers()
        order_panels.register()
