"""List the monthly partitions of the usage lines, create the months ahead, or detach an old
month (billing/usage/partitions.py says what a detached month keeps and loses)."""

from datetime import date

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from billing.usage import partitions


def _month(text: str) -> date:
    try:
        year, month = text.split("-")
        return date(int(year), int(month), 1)
    except ValueError:
        raise CommandError(f"Give the month as YYYY-MM, not {text!r}.") from None


class Command(BaseCommand):
    help = "Usage line partitions (PostgreSQL): list, create ahead, detach a month."

    def add_arguments(self, parser):
        parser.add_argument("--ahead", action="store_true", help="Create the months ahead.")
        parser.add_argument("--detach", metavar="YYYY-MM", help="Detach this month's partition.")

    def handle(self, *args, ahead=False, detach=None, **options):
        if not partitions.partitioned():
            raise CommandError("Usage lines are partitioned on PostgreSQL only.")
        if ahead:
            created = partitions.create_ahead(timezone.now().date())
            self.stdout.write(f"Created {len(created)} partition(s).")
        if detach:
            try:
                table = partitions.detach(_month(detach))
            except ValueError as e:
                raise CommandError(str(e)) from None
            self.stdout.write(f"Detached {table}: archive it (pg_dump -t {table}), then drop it.")
        for month in partitions.months():
            self.stdout.write(f"{month:%Y-%m}  {partitions.name(month)}")
