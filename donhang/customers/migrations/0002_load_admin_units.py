from django.db import migrations


def load(apps, schema_editor):
    from donhang.customers.admin_units import load_units

    load_units(apps.get_model("customers", "Province"), apps.get_model("customers", "Ward"))


class Migration(migrations.Migration):
    dependencies = [("customers", "0001_initial")]
    operations = [migrations.RunPython(load, migrations.RunPython.noop)]
