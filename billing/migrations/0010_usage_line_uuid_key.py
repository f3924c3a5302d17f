from django.db import migrations, models


class Migration(migrations.Migration):
    """natural_key: the hex sha256 (64 characters) becomes its first 128 bits as a uuid — the
    value usage_csv.natural_key computes now, so re-importing old files still adds nothing."""

    dependencies = [
        ("billing", "0009_usage_line_bulk_load"),
    ]

    operations = [
        migrations.RunSQL(
            "UPDATE billing_usageline SET natural_key = substr(natural_key, 1, 32)",
            migrations.RunSQL.noop),
        migrations.AlterField(
            model_name="usageline",
            name="natural_key",
            field=models.UUIDField(unique=True),
        ),
    ]
