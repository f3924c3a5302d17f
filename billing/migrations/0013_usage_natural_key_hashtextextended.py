"""The usage lines' natural key becomes a 64-bit hash computed in C: PostgreSQL's md5() costs
≈5 µs a call (an OpenSSL context each time), most of what storing a line costs beyond a plain
COPY; hashtextextended() (the hash of hash partitioning) costs a tenth of that. Unique with
the reseller, subscription and day, 64 bits are plenty. PostgreSQL: the generated column and
the unique key are made again (SQL, PostgreSQL only); SQLite: Django's operations, its hash
being `billing.usage.models.key_hash`."""
# SQL text is built from our own column names only.
# ruff: noqa: S608

import importlib

from django.db import migrations, models

import billing.usage.models

partitioned = importlib.import_module("billing.migrations.0010_usage_partitioned_by_month")

TEXT = " || E'\\x1f' || ".join(billing.usage.models.KEY_COLUMNS)
UNIQUE = "UNIQUE (reseller_id, subscription_id, usage_date, natural_key)"

FORWARD = f"""
ALTER TABLE billing_usageline DROP CONSTRAINT one_usage_line_per_key;
ALTER TABLE billing_usageline DROP COLUMN natural_key;
ALTER TABLE billing_usageline ADD COLUMN natural_key bigint
    GENERATED ALWAYS AS (hashtextextended({TEXT}, 0)) STORED;
ALTER TABLE billing_usageline ADD CONSTRAINT one_usage_line_per_key {UNIQUE};
"""
BACKWARD = f"""
ALTER TABLE billing_usageline DROP CONSTRAINT one_usage_line_per_key;
ALTER TABLE billing_usageline DROP COLUMN natural_key;
ALTER TABLE billing_usageline ADD COLUMN natural_key uuid
    GENERATED ALWAYS AS (md5({TEXT})::uuid) STORED;
ALTER TABLE billing_usageline ADD CONSTRAINT one_usage_line_per_key {UNIQUE};
"""


class Migration(migrations.Migration):
    dependencies = [
        ("billing", "0012_upgrades"),
    ]

    operations = [
        partitioned.NotOnPostgreSQL(
            [
                migrations.RemoveConstraint(model_name="usageline", name="one_usage_line_per_key"),
                migrations.RemoveField(model_name="usageline", name="natural_key"),
                migrations.AddField(
                    model_name="usageline",
                    name="natural_key",
                    field=models.GeneratedField(
                        db_persist=True,
                        expression=billing.usage.models.KeyHash(
                            billing.usage.models.key_text_expression()
                        ),
                        output_field=models.BigIntegerField(),
                    ),
                ),
                migrations.AddConstraint(
                    model_name="usageline",
                    constraint=models.UniqueConstraint(
                        fields=("reseller", "subscription", "usage_date", "natural_key"),
                        name="one_usage_line_per_key",
                    ),
                ),
            ]
        ),
        partitioned.OnPostgreSQL(FORWARD, BACKWARD),
    ]
