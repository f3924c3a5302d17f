from django.db import migrations

from subscriptions.catalog.defaults import ensure_product_types


def forwards(apps, schema_editor):
    ensure_product_types(apps)


class Migration(migrations.Migration):
    dependencies = [("subscriptions", "0001_initial")]
    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
