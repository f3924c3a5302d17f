from django.db import migrations

from programs.defaults import ensure_country_links, ensure_programs


def forwards(apps, schema_editor):
    ensure_programs(apps)
    ensure_country_links(apps)


class Migration(migrations.Migration):
    dependencies = [("programs", "0001_initial")]
    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
