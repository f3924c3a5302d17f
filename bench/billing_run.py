"""Billing run benchmark: a full run for every bench reseller compared with a single SQL
GROUP BY over the same rows (the floor no run can beat), then the same run again (idempotent).

    createdb -h 127.0.0.1 -U postgres bench_scale
    export DATABASE_URL=postgres://postgres@127.0.0.1:5432/bench_scale
    .venv/bin/python bench/reports.py --scale issue --runs 2   # builds issue 7's scale once
    .venv/bin/python bench/billing_run.py                      # --workers 2, --repeat, --keep

It deletes what it wrote (the June runs of the bench resellers, their ledger lines and draft
invoices) and vacuums those tables before it starts and again at the end (`--keep` leaves the
last run's rows).

Issue 7's scale (`--scale issue`): 1,000 resellers, 10,000 customers, 50,000 subscriptions,
1,005,000 usage lines of May 2026, June 2026 charges; it bills the June 2026 period (seat
charges dated in June, Azure plan usage of May). The runs are opened as operations or beat open
them and computed in the batches the Celery fan-out sends (`services.billing_run_batches`), each
exactly as the task computes it (`billing.services.billing_runs_compute`), in this process or
over `--workers` forked processes as Celery workers take them.
"""

import argparse
import multiprocessing
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


def _compute(batch: list[int]) -> None:
    connection.close()  # a forked worker opens its own connection, as a Celery worker does
    services.billing_runs_compute(run_ids=batch)


def run_all(resellers, ops, workers: int = 1) -> tuple[float, int]:
    started = time.perf_counter()
    # as operations or beat start them (billing.services.billing_run_start), without sending
    # the Celery tasks: this process computes their batches
    runs = [run.pk for run in services.billing_runs_open(user=ops, on_date=PERIOD[0],
                                                         resellers=resellers)]
    batches = services.billing_run_batches(runs)  # those of the Celery fan-out
    if workers == 1:
        for batch in batches:
            services.billing_runs_compute(run_ids=batch)
    else:  # the batches over a pool of worker processes, as Celery spreads them
        connection.close()
        with multiprocessing.get_context("fork").Pool(workers) as pool:
            pool.map(_compute, batches, chunksize=1)
    seconds = time.perf_counter() - started
    with scopes_disabled():
        lines = BillingLine.objects.filter(period_start=PERIOD[0]).count()
    return seconds, lines


def floor_seconds() -> tuple[float, int]:
    started = time.perf_counter()
    with connection.cursor() as cursor:
        cursor.execute(FLOOR_SQL, [*PERIOD, *USAGE_MONTH])
        groups = len(cursor.fetchall())
    return time.perf_counter() - started, groups


def main(keep: bool, workers: int, repeat: int) -> None:
    if connection.vendor != "postgresql":
        sys.exit("Set DATABASE_URL to the PostgreSQL database of bench/reports.py.")
    with scopes_disabled():
        resellers = list(Reseller.objects.filter(name__startswith="Bench reports")
                         .order_by("pk"))
    delete_runs(resellers)
    if not resellers:
        sys.exit("No bench data: run bench/reports.py first.")
    ops = User.objects.filter(is_staff=True).first()
    # best of `repeat` for each figure: this shared machine's noise only ever adds time
    floor, groups = min(floor_seconds() for _ in range(repeat))
    firsts, agains = [], []
    for attempt in range(repeat):
        if attempt:
            delete_runs(resellers)
        firsts.append(run_all(resellers, ops, workers))
        agains.append(run_all(resellers, ops, workers))
    (first, lines), (again, lines_again) = min(firsts), min(agains)
    if not keep:
        delete_runs(resellers)  # leave the report pages' data as bench/reports.py built it
    print(f"{len(resellers)} resellers, {groups:,} (reseller, subscription, kind) groups, "
          f"best of {repeat}, {workers} worker process{'es' if workers > 1 else ''}")
    print(f"single SQL GROUP BY (floor): {floor:8.2f} s")
    print(f"billing runs, first:         {first:8.2f} s  ({first / floor:.1f}× the floor), "
          f"{lines:,} ledger lines")
    print(f"billing runs, again:         {again:8.2f} s  ({again / floor:.1f}× the floor, "
          f"{lines_again:,} ledger lines, nothing changed)")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--keep", action="store_true", help="leave the last run's rows")
    parser.add_argument("--workers", type=int, default=1,
                        help="worker processes computing the per-reseller runs (default 1)")
    parser.add_argument("--repeat", type=int, default=3, help="take the best of N (default 3)")
    args = parser.parse_args()
    main(args.keep, args.workers, args.repeat)
