from django.apps import AppConfig
from django.apps import apps as global_apps
from django.db.models.signals import post_migrate


def _ensure_admin_units(sender, using="default", apps=global_apps, **kwargs):
    # Migration 0002 loads the units once; a database flush (which transactional tests do after
    # each test) empties the tables and then sends post_migrate, so they are loaded again here.
    try:
        province_model = apps.get_model("customers", "Province")
        ward_model = apps.get_model("customers", "Ward")
    except LookupError:  # customers migrated back to zero
        return
    if ward_model.objects.using(using).exists():
        return
    from donhang.customers.admin_units import load_units

    load_units(province_model, ward_model)


class CustomersConfig(AppConfig):
    name = "donhang.customers"
    label = "customers"

    def ready(self):
        post_migrate.connect(_ensure_admin_units, sender=self, dispatch_uid="customers_admin_units")
