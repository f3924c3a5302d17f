"""Billing run benchmark: a full run for every bench reseller against its fair floor, measured
in the same run, interleaved with it, best and median of --repeat rounds (at least 3); then
the same run again (idempotent, nothing to write).

The floor does the least work the run must do: the same reads (the period's charge events and
the usage month's summaries, joined to their subscription, offer and product type for the
line's texts, summed per ledger key) and the same writes (one row per ledger line into a copy
of the ledger table with its indexes, `bench_floor_ledger`, committed) — in one SQL statement.

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
import statistics
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

from django.db import connection, transaction  # noqa: E402
from django_scopes import scopes_disabled  # noqa: E402

from billing import services  # noqa: E402
from billing.models import (  # noqa: E402
    BillingLine,
    BillingRun,
    Invoice,
    InvoiceLine,
)
from billing.usage.models import UsageSummary  # noqa: E402
from portal.models import Reseller, User  # noqa: E402
from subscriptions.catalog.models import Offer, ProductType  # noqa: E402
from subscriptions.models import ChargeEvent, Subscription  # noqa: E402

PERIOD = (date(2026, 6, 1), date(2026, 6, 30))
USAGE_MONTH = (date(2026, 5, 1), date(2026, 5, 31))
FLOOR_TABLE = "bench_floor_ledger"
LEDGER_COLUMNS = (
    "reseller_id",
    "run_id",
    "period_start",
    "period_end",
    "customer_id",
    "subscription_id",
    "kind",
    "product_type",
    "description",
    "quantity",
    "cost_amount",
    "price_amount",
    "currency",
    "updated_at",
)


def floor_sql() -> str:
    """The run's reads, summed per ledger key, written as ledger rows: one statement."""
    charge, usage = ChargeEvent._meta.db_table, UsageSummary._meta.db_table
    sub, offer = Subscription._meta.db_table, Offer._meta.db_table
    ptype = ProductType._meta.db_table
    # table and column names from the models; the values travel as parameters
    return f"""
INSERT INTO {FLOOR_TABLE} ({", ".join(LEDGER_COLUMNS)})
SELECT reseller_id, 0, %(start)s, %(end)s, customer_id, subscription_id, kind, product_type,
       description, quantity, cost, price, currency, now() FROM (
    SELECT c.reseller_id, MIN(c.customer_id) AS customer_id, c.subscription_id, c.kind,
           MIN(t.name) AS product_type, MIN(o.name || ' (' || s.term || ') — ' || c.kind)
           AS description, SUM(c.quantity) AS quantity, SUM(c.cost_amount) AS cost,
           SUM(c.price_amount) AS price, c.currency
      FROM {charge} c JOIN {sub} s ON s.id = c.subscription_id
      JOIN {offer} o ON o.id = s.offer_id JOIN {ptype} t ON t.id = o.product_type_id
     WHERE c.charge_date BETWEEN %(start)s AND %(end)s
     GROUP BY c.reseller_id, c.subscription_id, c.kind, c.currency
    UNION ALL
    SELECT u.reseller_id, MIN(u.customer_id), u.subscription_id, 'usage', MIN(t.name),
           MIN(o.name || ' usage May 2026'), SUM(u.quantity), ROUND(SUM(u.pre_tax_total), 2),
           ROUND(SUM(u.pre_tax_total) * 1.12, 2), u.currency
      FROM {usage} u JOIN {sub} s ON s.id = u.subscription_id
      JOIN {offer} o ON o.id = s.offer_id JOIN {ptype} t ON t.id = o.product_type_id
     WHERE u.month = %(month)s
     GROUP BY u.reseller_id, u.subscription_id, u.currency
) lines
"""  # noqa: S608


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
    runs = [
        run.pk
        for run in services.billing_runs_open(user=ops, on_date=PERIOD[0], resellers=resellers)
    ]
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


def floor_table(create: bool) -> None:
    """A copy of the ledger table with its indexes (no foreign keys: the ledger has none)."""
    with connection.cursor() as cursor:
        cursor.execute(f"DROP TABLE IF EXISTS {FLOOR_TABLE}")
        if create:
            cursor.execute(
                f"CREATE TABLE {FLOOR_TABLE} (LIKE {BillingLine._meta.db_table} INCLUDING ALL)"
            )


def floor_seconds() -> tuple[float, int]:
    with connection.cursor() as cursor:
        cursor.execute(f"TRUNCATE {FLOOR_TABLE}")
    started = time.perf_counter()
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(floor_sql(), {"start": PERIOD[0], "end": PERIOD[1], "month": USAGE_MONTH[0]})
        rows = cursor.rowcount
    return time.perf_counter() - started, rows


def main(keep: bool, workers: int, repeat: int) -> None:
    if connection.vendor != "postgresql":
        sys.exit("Set DATABASE_URL to the PostgreSQL database of bench/reports.py.")
    with scopes_disabled():
        resellers = list(Reseller.objects.filter(name__startswith="Bench reports").order_by("pk"))
    delete_runs(resellers)
    if not resellers:
        sys.exit("No bench data: run bench/reports.py first.")
    ops = User.objects.filter(is_staff=True).first()
    floor_table(create=True)
    print(
        f"{len(resellers)} resellers, {workers} worker process"
        f"{'es' if workers > 1 else ''}, {repeat} rounds, floor and run interleaved"
    )
    floors, firsts, agains = [], [], []
    try:
        for n in range(repeat):
            if n:
                delete_runs(resellers)
            # the order alternates, so that neither always finds the other's pages cached
            if n % 2 == 0:
                floor, rows = floor_seconds()
                first, lines = run_all(resellers, ops, workers)
            else:
                first, lines = run_all(resellers, ops, workers)
                floor, rows = floor_seconds()
            again, lines_again = run_all(resellers, ops, workers)
            floors.append(floor)
            firsts.append(first)
            agains.append(again)
            print(
                f"round {n + 1}: floor {floor:6.2f} s ({rows:,} rows) | run {first:6.2f} s "
                f"({first / floor:.2f}×, {lines:,} ledger lines) | again {again:6.2f} s "
                f"({again / floor:.2f}×, {lines_again:,} lines, nothing changed)"
            )
    finally:
        floor_table(create=False)
        if not keep:
            delete_runs(resellers)  # leave the report pages' data as bench/reports.py built it
    best, median = min, statistics.median
    print(
        f"floor (same reads + same ledger writes): best {best(floors):6.2f} s, "
        f"median {median(floors):6.2f} s"
    )
    print(
        f"billing runs, first:  best {best(firsts):6.2f} s ({best(firsts) / best(floors):.2f}× "
        f"the floor), median {median(firsts):6.2f} s "
        f"({median(firsts) / median(floors):.2f}×)"
    )
    print(
        f"billing runs, again:  best {best(agains):6.2f} s ({best(agains) / best(floors):.2f}× "
        f"the floor), median {median(agains):6.2f} s "
        f"({median(agains) / median(floors):.2f}×)"
    )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--keep", action="store_true", help="leave the last run's rows")
    parser.add_argument(
        "--workers",
        type=int,
        default=1,
        help="worker processes computing the per-reseller runs (default 1)",
    )
    parser.add_argument(
        "--repeat", type=int, default=3, help="rounds of floor and run, at least 3 (default 3)"
    )
    args = parser.parse_args()
    if args.repeat < 3:
        parser.error("--repeat: at least 3 rounds (best and median)")
    main(args.keep, args.workers, args.repeat)
