"""Write the sandbox's daily rated usage for a period as a Partner Center style CSV."""

import csv
import sys
from datetime import date

from django.core.management.base import BaseCommand, CommandError

from partner_center.errors import GatewayError
from partner_center.gateway import iter_usage
from partner_center.sandbox import SandboxGateway
from partner_center.types import USAGE_CSV_HEADERS


def _date(value: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise CommandError(f"{value!r} is not a date (YYYY-MM-DD).") from None


class Command(BaseCommand):
    help = "Write sandbox daily rated usage (Azure plan) as a Partner Center style CSV."

    def add_arguments(self, parser):
        parser.add_argument("--start", required=True, type=_date, help="First day, YYYY-MM-DD")
        parser.add_argument("--end", required=True, type=_date, help="Last day (inclusive)")
        parser.add_argument("--out", required=True, help="CSV file to write, or - for stdout")
        parser.add_argument("--tenant", help="Only this customer tenant ID")
        parser.add_argument("--seed", type=int, help="Default: PARTNER_CENTER_SANDBOX_SEED")

    def handle(self, *args, start, end, out, tenant=None, seed=None, **options):
        gateway = SandboxGateway(seed=seed)
        stream = sys.stdout if out == "-" else open(out, "w", newline="", encoding="utf-8")  # noqa: SIM115
        count = 0
        try:
            writer = csv.DictWriter(stream, fieldnames=USAGE_CSV_HEADERS)
            writer.writeheader()
            for line in iter_usage(gateway, start=start, end=end, tenant_id=tenant):
                writer.writerow(line.as_csv_row())
                count += 1
        except GatewayError as e:
            raise CommandError(e.message) from None
        finally:
            if stream is not sys.stdout:
                stream.close()
        if out != "-":
            self.stdout.write(f"Wrote {count} usage lines to {out}.")
