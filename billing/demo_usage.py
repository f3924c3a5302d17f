"""Demo Azure plan usage for `manage.py seed_demo`: the sandbox Partner Center's daily rated
usage of the demo Azure plan subscriptions, imported through the same import run operations use
(previous calendar month and this month so far). Safe to run again: lines are deduplicated by
their natural key and an import of the same days is not repeated."""

from datetime import timedelta

from django.utils import timezone
from django_scopes import scopes_disabled

from billing.models import UsageImport
from billing.services import usage_import_run


def seed_usage(*, user=None) -> int:
    """Import the demo usage; returns the number of lines added."""
    today = timezone.now().date()
    start = (today.replace(day=1) - timedelta(days=1)).replace(day=1)
    end = today - timedelta(days=1)
    if end < start:
        return 0
    with scopes_disabled():
        if UsageImport.objects.filter(source=UsageImport.Source.GATEWAY, period_start=start,
                                      period_end=end).exists():
            return 0
        usage_import = UsageImport.objects.create(
            source=UsageImport.Source.GATEWAY, uploaded_by=user, period_start=start,
            period_end=end, file_name=f"Partner Center usage {start} – {end} (demo)")
    return usage_import_run(usage_import_id=usage_import.pk).imported_lines
