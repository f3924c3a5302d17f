"""Usage lines partitioned by month on PostgreSQL, their natural key computed by the database,
and the reseller in the unique keys of the usage tables (issue 26).

Django's state (and SQLite's table, for `make run`) gets the model's new shape through the
usual operations. On PostgreSQL the usage line table is rebuilt by SQL instead: a table
partitioned by RANGE (usage_date) with

- the primary key (id, usage_date) — a partitioned table's unique keys must carry its
  partition key; id still comes from one sequence, so Django's `pk` stays unique on its own;
- the unique key (reseller_id, subscription_id, usage_date, natural_key), which the import's
  `INSERT … ON CONFLICT` names (billing/usage/pg.py);
- `natural_key` a stored generated column, md5 of the key columns (the model's expression);
- one partition per month that holds lines, and the months around today (the beat job
  `billing.tasks.create_usage_partitions` keeps three months ahead), plus a DEFAULT partition
  that takes a line of a month with no partition of its own yet (billing/usage/partitions.py).

The lines are copied over; two lines the new key finds identical (the same line imported once
from a CSV and once from Microsoft's export, whose dates the old key hashed as text) are kept
once, and the usage summaries of the months concerned are rebuilt.
"""
# SQL text is built from our own column names only.
# ruff: noqa: S608

from django.db import migrations, models

import billing.usage.models

KEY = " || E'\\x1f' || ".join(
    (
        "meter_id",
        "meter_region",
        "resource_uri",
        "charge_type",
        "product_id",
        "sku_id",
        "availability_id",
        "tags",
    )
)
COLUMNS = (
    "id, reseller_id, customer_id, subscription_id, usage_import_id, usage_date, "
    "meter_category, meter_sub_category, meter_name, meter_id, meter_region, resource_group, "
    "resource_uri, tags, quantity, unit_of_measure, unit_price, billing_pre_tax_total, "
    "currency, charge_type, product_id, sku_id, availability_id, is_marketplace"
)

PARTITIONED = f"""
ALTER TABLE billing_usageline DROP CONSTRAINT one_usage_line_per_key;
DROP INDEX billing_usa_reselle_40c098_idx;
DROP INDEX usage_marketplace_by_import;
ALTER TABLE billing_usageline RENAME CONSTRAINT billing_usageline_pkey
    TO billing_usageline_unpartitioned_pkey;
ALTER TABLE billing_usageline RENAME TO billing_usageline_unpartitioned;

CREATE SEQUENCE usage_line_id_seq;
CREATE TABLE billing_usageline (
    id bigint NOT NULL DEFAULT nextval('usage_line_id_seq'),
    reseller_id bigint NOT NULL,
    customer_id bigint NOT NULL,
    subscription_id bigint NOT NULL,
    usage_import_id bigint NOT NULL,
    usage_date date NOT NULL,
    meter_category varchar(200) NOT NULL,
    meter_sub_category varchar(200) NOT NULL,
    meter_name varchar(200) NOT NULL,
    meter_id varchar(64) NOT NULL,
    meter_region varchar(100) NOT NULL,
    resource_group varchar(200) NOT NULL,
    resource_uri text NOT NULL,
    tags text NOT NULL,
    quantity numeric(28, 10) NOT NULL,
    unit_of_measure varchar(100) NOT NULL,
    unit_price numeric(38, 22) NOT NULL,
    billing_pre_tax_total numeric(28, 10) NOT NULL,
    currency varchar(3) NOT NULL,
    charge_type varchar(50) NOT NULL,
    product_id varchar(64) NOT NULL,
    sku_id varchar(64) NOT NULL,
    availability_id varchar(64) NOT NULL,
    is_marketplace boolean NOT NULL,
    natural_key uuid GENERATED ALWAYS AS (md5({KEY})::uuid) STORED,
    CONSTRAINT billing_usageline_pkey PRIMARY KEY (id, usage_date),
    CONSTRAINT one_usage_line_per_key
        UNIQUE (reseller_id, subscription_id, usage_date, natural_key)
) PARTITION BY RANGE (usage_date);
ALTER SEQUENCE usage_line_id_seq OWNED BY billing_usageline.id;
CREATE INDEX usage_marketplace_by_import ON billing_usageline (usage_import_id)
    WHERE is_marketplace;
CREATE TABLE billing_usageline_default PARTITION OF billing_usageline DEFAULT;

DO $$
DECLARE month date;
BEGIN
    FOR month IN
        SELECT date_trunc('month', usage_date)::date FROM billing_usageline_unpartitioned
        UNION
        SELECT generate_series(
            date_trunc('month', current_date) - interval '1 month',
            date_trunc('month', current_date) + interval '3 months',
            interval '1 month'
        )::date
    LOOP
        EXECUTE format(
            'CREATE TABLE %I PARTITION OF billing_usageline FOR VALUES FROM (%L) TO (%L)',
            'billing_usageline_p' || to_char(month, 'YYYYMM'),
            month,
            (month + interval '1 month')::date
        );
    END LOOP;
END $$;

INSERT INTO billing_usageline ({COLUMNS})
    SELECT {COLUMNS} FROM billing_usageline_unpartitioned ORDER BY id
    ON CONFLICT (reseller_id, subscription_id, usage_date, natural_key) DO NOTHING;
SELECT setval(
    'usage_line_id_seq',
    (SELECT coalesce(max(id), 0) + 1 FROM billing_usageline_unpartitioned),
    false
);
CREATE TEMPORARY TABLE usage_months_dropped ON COMMIT DROP AS
    SELECT DISTINCT reseller_id, date_trunc('month', usage_date)::date AS month
    FROM billing_usageline_unpartitioned o
    WHERE NOT EXISTS (SELECT FROM billing_usageline n WHERE n.id = o.id);
DROP TABLE billing_usageline_unpartitioned;
"""

# Back to one plain table (its partitions' lines copied into it), keys as they are.
UNPARTITIONED = f"""
ALTER TABLE billing_usageline RENAME TO billing_usageline_partitioned;
ALTER TABLE billing_usageline_partitioned DROP CONSTRAINT billing_usageline_pkey;
ALTER TABLE billing_usageline_partitioned DROP CONSTRAINT one_usage_line_per_key;
DROP INDEX usage_marketplace_by_import;
CREATE TABLE billing_usageline (
    id bigint GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
    reseller_id bigint NOT NULL,
    customer_id bigint NOT NULL,
    subscription_id bigint NOT NULL,
    usage_import_id bigint NOT NULL,
    usage_date date NOT NULL,
    meter_category varchar(200) NOT NULL,
    meter_sub_category varchar(200) NOT NULL,
    meter_name varchar(200) NOT NULL,
    meter_id varchar(64) NOT NULL,
    meter_region varchar(100) NOT NULL,
    resource_group varchar(200) NOT NULL,
    resource_uri text NOT NULL,
    tags text NOT NULL,
    quantity numeric(28, 10) NOT NULL,
    unit_of_measure varchar(100) NOT NULL,
    unit_price numeric(38, 22) NOT NULL,
    billing_pre_tax_total numeric(28, 10) NOT NULL,
    currency varchar(3) NOT NULL,
    charge_type varchar(50) NOT NULL,
    product_id varchar(64) NOT NULL,
    sku_id varchar(64) NOT NULL,
    availability_id varchar(64) NOT NULL,
    is_marketplace boolean NOT NULL,
    natural_key uuid NOT NULL,
    CONSTRAINT one_usage_line_per_key UNIQUE (subscription_id, usage_date, natural_key)
);
INSERT INTO billing_usageline ({COLUMNS}, natural_key) OVERRIDING SYSTEM VALUE
    SELECT {COLUMNS}, natural_key FROM billing_usageline_partitioned;
SELECT setval(
    pg_get_serial_sequence('billing_usageline', 'id'),
    (SELECT coalesce(max(id), 0) + 1 FROM billing_usageline),
    false
);
CREATE INDEX usage_marketplace_by_import ON billing_usageline (usage_import_id)
    WHERE is_marketplace;
CREATE INDEX billing_usa_reselle_40c098_idx ON billing_usageline (reseller_id, usage_date);
DROP TABLE billing_usageline_partitioned CASCADE;
"""


class NotOnPostgreSQL(migrations.SeparateDatabaseAndState):
    """Django's state always; the database only elsewhere than on PostgreSQL."""

    def __init__(self, operations):
        super().__init__(database_operations=operations, state_operations=operations)

    def database_forwards(self, app_label, schema_editor, from_state, to_state):
        if schema_editor.connection.vendor != "postgresql":
            super().database_forwards(app_label, schema_editor, from_state, to_state)

    def database_backwards(self, app_label, schema_editor, from_state, to_state):
        if schema_editor.connection.vendor != "postgresql":
            super().database_backwards(app_label, schema_editor, from_state, to_state)


class OnPostgreSQL(migrations.RunSQL):
    """SQL run on PostgreSQL only."""

    def database_forwards(self, app_label, schema_editor, from_state, to_state):
        if schema_editor.connection.vendor == "postgresql":
            super().database_forwards(app_label, schema_editor, from_state, to_state)

    def database_backwards(self, app_label, schema_editor, from_state, to_state):
        if schema_editor.connection.vendor == "postgresql":
            super().database_backwards(app_label, schema_editor, from_state, to_state)


def refresh_summaries(apps, schema_editor):
    """Rebuild the summaries of the months whose lines the new key found twice."""
    if schema_editor.connection.vendor != "postgresql":
        return
    from billing.usage import summary

    with schema_editor.connection.cursor() as cursor:
        cursor.execute("SELECT reseller_id, month FROM usage_months_dropped")
        months = set(cursor.fetchall())
    if months:
        summary.refresh(
            months,
            lines=apps.get_model("billing", "UsageLine"),
            summaries=apps.get_model("billing", "UsageSummary"),
        )


class Migration(migrations.Migration):
    atomic = True

    dependencies = [
        ("billing", "0009_private_file_names"),
    ]

    operations = [
        NotOnPostgreSQL(
            [
                migrations.RemoveConstraint(model_name="usageline", name="one_usage_line_per_key"),
                migrations.RemoveIndex(
                    model_name="usageline", name="billing_usa_reselle_40c098_idx"
                ),
                migrations.RemoveField(model_name="usageline", name="natural_key"),
                migrations.AddField(
                    model_name="usageline",
                    name="natural_key",
                    field=models.GeneratedField(
                        db_persist=True,
                        expression=billing.usage.models.natural_key_expression(),
                        output_field=models.UUIDField(),
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
        OnPostgreSQL(PARTITIONED, UNPARTITIONED),
        migrations.RunPython(refresh_summaries, migrations.RunPython.noop),
        migrations.RemoveConstraint(
            model_name="usagesummary",
            name="one_usage_summary_per_meter_month",
        ),
        migrations.AddConstraint(
            model_name="usagesummary",
            constraint=models.UniqueConstraint(
                fields=("reseller", "subscription", "month", "meter_id", "currency"),
                name="one_usage_summary_per_meter_month",
            ),
        ),
    ]
