from django.apps import AppConfig


class ReportsConfig(AppConfig):
    name = "donhang.reports"
    label = "reports"
    verbose_name = "Reports"

    def ready(self):
        # The dashboard page (web asks through a hook: nothing imports reports) and the days to
        # compute again when customers merge. Imported here, not at the top: they need the
        # models, which load after this module.
        from donhang.reports import app_hooks

        app_hooks.register()
