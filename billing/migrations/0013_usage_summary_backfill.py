from django.db import migrations
from django.db.models.functions import TruncMonth


def backfill(apps, schema_editor):
    """Summaries for the usage imported before 0007 created them: billing runs read the
    summaries now, so every (reseller, month) with lines must have its sums."""
    from billing.usage import summary

    lines = apps.get_model("billing", "UsageLine")
    summaries = apps.get_model("billing", "UsageSummary")
    with_lines = set(lines.objects.annotate(m=TruncMonth("usage_date")).order_by()
                     .values_list("reseller_id", "m").distinct())
    summed = set(summaries.objects.order_by().values_list("reseller_id", "month").distinct())
    summary.refresh(with_lines - summed, lines=lines, summaries=summaries)


class Migration(migrations.Migration):

    dependencies = [
        ("billing", "0012_ledger_lean_indexes"),
    ]

    operations = [
        migrations.RunPython(backfill, migrations.RunPython.noop),
    ]
