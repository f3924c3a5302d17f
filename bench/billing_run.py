"""Billing run benchmark: a full run for every bench reseller compared with a single SQL
GROUP BY over the same rows (the floor no run can beat), then the same run again (idempotent).

    export DATABASE_URL=postgres://postgres@127.0.0.1:5432/bench_reports
    .venv/bin/python bench/reports.py        # builds the data once
    .venv/bin/python bench/billing_run.py

It deletes what it wrote (the June runs of the bench resellers, their ledger lines and draft
invoices) and vacuums those tables before it starts and again at the end (`--keep` leaves the
last run's rows).

It uses the data bench/reports.py builds (20 resellers, 10,000 customers, 16,700 subscriptions,
1,005,000 usage lines of May 2026, June 2026 charges) and bills the June 2026 period: seat
charges dated in June, Azure plan usage of May. Each reseller's run is computed in this process
exactly as the Celery task does it (`billing.services.billing_run_compute`); the issue's scale
(1,000 resellers, 50,000 subscriptions) splits the same work across more, smaller runs.
"""

import os
import sys
import time
from datetime import date
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")
os.environ.setdefault("DEBUG", "1")
os.environ.pop("REDIS_URL", None)

import django  # noqa: E402

django.setup()

from django.db import connection  # noqa: E402
from django_scopes import scopes_disabled  # noqa: E402

from billing import services  # noqa: E402
from billing.models import BillingLine, BillingRun, Invoice, InvoiceLine  # noqa: E402
from portal.models import Reseller, User  # noqa: E402

PERIOD = (date(2026, 6, 1), date(2026, 6, 30))
USAGE_MONTH = (date(2026, 5, 1), date(2026, 5, 31))
FLOOR_SQL = """
SELECT reseller_id, subscription_id, kind, currency, SUM(cost), SUM(price) FROM (
    SELECT reseller_id, subscription_id, kind, currency, cost_amount AS cost,
           price_amount AS price
      FROM subscriptions_chargeevent WHERE charge_date BETWEEN %s AND %s
    UNION ALL
    SELECT reseller_id, subscription_id, 'usage', currency, billing_pre_tax_total, 0
      FROM billing_usageline WHERE usage_date BETWEEN %s AND %s AND NOT is_marketplace
) rows GROUP BY reseller_id, subscription_id, kind, currency
"""


def delete_runs(resellers) -> None:
    """What this script wrote: the June runs of the bench resellers, their ledgers and draft
    invoices (protected foreign keys: children first)."""
    with scopes_disabled():
        runs = BillingRun.objects.filter(reseller__in=resellers, period_start=PERIOD[0])
        InvoiceLine.objects.filter(invoice__run__in=runs).delete()
        Invoice.objects.filter(run__in=runs).delete()
        BillingLine.objects.filter(run__in=runs).delete()
        runs.delete()
    # the deleted rows' dead versions would otherwise slow the next run's inserts (unique
    # checks visit them) until a vacuum, and this server may run without autovacuum
    tables = ", ".join(m._meta.db_table for m in (InvoiceLine, Invoice, BillingLine, BillingRun))
    with connection.cursor() as cursor:
        cursor.execute(f"VACUUM (ANALYZE) {tables}")


def run_all(resellers, ops) -> tuple[float, int]:
    started = time.perf_counter()
    for reseller in resellers:
        with scopes_disabled():
            run, _ = BillingRun.objects.get_or_create(
                reseller=reseller, period_start=PERIOD[0],
                defaults={"period_end": PERIOD[1], "started_by": ops})
        services.billing_run_compute(run_id=run.pk)
    seconds = time.perf_counter() - started
    with scopes_disabled():
        lines = BillingLine.objects.filter(period_start=PERIOD[0]).count()
    return seconds, lines


def main(keep: bool) -> None:
    if connection.vendor != "postgresql":
        sys.exit("Set DATABASE_URL to the PostgreSQL database of bench/reports.py.")
    with scopes_disabled():
        resellers = list(Reseller.objects.filter(name__startswith="Bench reports")
                         .order_by("pk"))
    delete_runs(resellers)
    if not resellers:
        sys.exit("No bench data: run bench/reports.py first.")
    ops = User.objects.filter(is_staff=True).first()
    started = time.perf_counter()
    with connection.cursor() as cursor:
        cursor.execute(FLOOR_SQL, [*PERIOD, *USAGE_MONTH])
        groups = len(cursor.fetchall())
    floor = time.perf_counter() - started
    first, lines = run_all(resellers, ops)
    again, lines_again = run_all(resellers, ops)
    if not keep:
        delete_runs(resellers)  # leave the report pages' data as bench/reports.py built it
    print(f"{len(resellers)} resellers, {groups:,} (reseller, subscription, kind) groups")
    print(f"single SQL GROUP BY (floor): {floor:8.2f} s")
    print(f"billing runs, first:         {first:8.2f} s  ({first / floor:.1f}× the floor), "
          f"{lines:,} ledger lines")
    print(f"billing runs, again:         {again:8.2f} s  ({lines_again:,} ledger lines, "
          "nothing changed)")


if __name__ == "__main__":
    main(keep="--keep" in sys.argv[1:])
