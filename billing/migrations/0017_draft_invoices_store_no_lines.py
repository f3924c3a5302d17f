"""Draft invoices no longer store lines: they show the lines of the run's ledger until
finalizing stores them. The lines earlier runs copied onto drafts go (finalized invoices keep
theirs; credit notes only ever reference those)."""

from django.db import migrations


def drop_draft_lines(apps, schema_editor):
    InvoiceLine = apps.get_model("billing", "InvoiceLine")
    InvoiceLine.objects.filter(invoice__status="draft").delete()


class Migration(migrations.Migration):
    dependencies = [("billing", "0016_ledger_and_invoice_lines_without_database_checks")]

    operations = [migrations.RunPython(drop_draft_lines, migrations.RunPython.noop)]
