"""Triggers that note every change to the data cached report figures are computed from
(billing.ReportDataChange, billing/reports/cache.py). PostgreSQL only: SQLite (make run) caches
no report figure."""

from django.db import migrations, models

# table → its reseller column ("" when a row belongs to no reseller: a change counts for all)
TRACKED = {
    "billing_usagesummary": "reseller_id",
    "subscriptions_chargeevent": "reseller_id",
    "subscriptions_subscription": "reseller_id",
    "subscriptions_seatassignment": "reseller_id",
    "subscriptions_pricerule": "reseller_id",
    "subscriptions_pricebook": "reseller_id",
    "customers_customer": "reseller_id",
    "portal_reseller": "id",
    "subscriptions_offer": "",
    "subscriptions_producttype": "",
    "billing_billingcalendar": "",
}

FUNCTION = """
CREATE OR REPLACE FUNCTION billing_note_report_change() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    reseller_column text := TG_ARGV[0];
BEGIN
    IF reseller_column = '' OR TG_OP = 'TRUNCATE' THEN
        INSERT INTO billing_reportdatachange (reseller_id, weight) VALUES (NULL, 1);
    ELSIF TG_OP = 'INSERT' THEN
        EXECUTE format('INSERT INTO billing_reportdatachange (reseller_id, weight) '
                       'SELECT DISTINCT %I, 1 FROM changed_new', reseller_column);
    ELSIF TG_OP = 'DELETE' THEN
        EXECUTE format('INSERT INTO billing_reportdatachange (reseller_id, weight) '
                       'SELECT DISTINCT %I, 1 FROM changed_old', reseller_column);
    ELSE
        EXECUTE format('INSERT INTO billing_reportdatachange (reseller_id, weight) '
                       'SELECT %1$I, 1 FROM changed_old UNION SELECT %1$I, 1 FROM changed_new',
                       reseller_column);
    END IF;
    RETURN NULL;
END $$;
"""

# a trigger with transition tables takes one event: four per table
EVENTS = {
    "insert": "INSERT ON {table} REFERENCING NEW TABLE AS changed_new",
    "update": "UPDATE ON {table} REFERENCING OLD TABLE AS changed_old NEW TABLE AS changed_new",
    "delete": "DELETE ON {table} REFERENCING OLD TABLE AS changed_old",
    "truncate": "TRUNCATE ON {table}",
}


def _triggers(table: str, column: str) -> list[str]:
    return [
        f"CREATE TRIGGER report_change_{name} AFTER {event.format(table=table)} "
        f"FOR EACH STATEMENT EXECUTE FUNCTION billing_note_report_change('{column}')"
        for name, event in EVENTS.items()
    ]


def create(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(FUNCTION, params=None)  # its % are format()'s
    for table, column in TRACKED.items():
        for statement in _triggers(table, column):
            schema_editor.execute(statement, params=None)


def drop(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for table in TRACKED:
        for name in EVENTS:
            schema_editor.execute(f"DROP TRIGGER IF EXISTS report_change_{name} ON {table}")
    schema_editor.execute("DROP FUNCTION IF EXISTS billing_note_report_change()")


class Migration(migrations.Migration):
    dependencies = [
        ("billing", "0014_invoice_detail_pdf"),
        ("customers", "0005_report_indexes"),
        ("subscriptions", "0010_list_index"),
        ("portal", "0005_partner_id_verification"),
    ]

    operations = [
        migrations.CreateModel(
            name="ReportDataChange",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("reseller_id", models.BigIntegerField(db_index=True, null=True)),
                ("weight", models.BigIntegerField(default=1)),
            ],
        ),
        migrations.RunPython(create, drop),
    ]
