"""Usage import benchmark: validation and PostgreSQL COPY load of sandbox-generated usage.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/bench_usage \
        .venv/bin/python bench/usage_import.py
    ... bench/usage_import.py --subscriptions 6700 --days 30     # ≈1,000,000 lines

It migrates the database, creates one reseller with N Azure plan subscriptions (one customer
each), writes their usage for D days with the Partner Center sandbox's generator as a CSV
(5 meters a day), then times `usage_import_run` end to end: the first import, a second import
of the same file (must add 0 lines) and, with --periods, the following periods into the same
growing table. The bench rows are removed at the end (--keep to leave them).

With --rounds R (default 3) the floor is measured in the same run: a plain COPY of the same
CSV into an unindexed table of its columns (text, numbers, date), interleaved with the first
import and the re-import, round after round (the imported lines deleted between rounds); best
and median of each, and each import's rate as a share of the COPY's (targets: first import
≥ 0.5×, re-import ≥ 0.4×).
"""

import argparse
import csv
import io
import logging
import os
import statistics
import sys
import time
import uuid
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")
os.environ.setdefault("DEBUG", "1")

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.core.files.base import ContentFile  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402
from django_scopes import scopes_disabled  # noqa: E402

from billing.usage import services  # noqa: E402
from billing.usage.models import UsageImport, UsageLine, UsageSummary  # noqa: E402
from customers.models import Customer  # noqa: E402
from partner_center import usage  # noqa: E402
from partner_center.types import USAGE_CSV_HEADERS  # noqa: E402
from portal.models import AuditEvent, Reseller  # noqa: E402
from subscriptions.catalog.models import Offer, ProductType  # noqa: E402
from subscriptions.models import Subscription  # noqa: E402

BENCH = "Bench usage reseller"
START = date(2026, 1, 1)


def setup(n_subs: int, days: int):
    """The bench reseller with `n_subs` Azure plan subscriptions, one customer each."""
    cleanup()
    reseller = Reseller.objects.create(
        name=BENCH, country="US", currency="USD", partner_id="9999999"
    )
    offer, _ = Offer.objects.get_or_create(
        sku="DZH318Z0BPS6:0001",
        defaults={
            "name": "Microsoft Azure plan",
            "terms": "P1M",
            "billing_frequencies": "monthly",
            "max_quantity": 1,
            "product_type": ProductType.objects.get(code="azure-plan"),
        },
    )
    customers = Customer.objects.bulk_create(
        [
            Customer(
                reseller=reseller,
                company_name=f"Bench customer {i}",
                country="US",
                currency="USD",
                address_line1="1 Main St",
                city="Seattle",
                postal_code="98101",
                contact_first_name="Pat",
                contact_last_name="Doe",
                contact_email=f"c{i}@bench.test",
                tenant_id=uuid.uuid4(),
                primary_domain=f"bench{i}.onmicrosoft.com",
            )
            for i in range(n_subs)
        ],
        batch_size=2000,
    )
    bought = datetime(2025, 12, 1, tzinfo=UTC)
    subs = Subscription.objects.bulk_create(
        [
            Subscription(
                reseller=reseller,
                customer=c,
                offer=offer,
                partner_center_id=str(uuid.uuid4()),
                term="P1M",
                billing_frequency="monthly",
                quantity=1,
                purchased_at=bought,
                term_start=bought.date(),
                term_end=bought.date() + timedelta(days=30),
                window_opened_at=bought,
                currency="USD",
                unit_cost=0,
                unit_price=0,
            )
            for c in customers
        ],
        batch_size=2000,
    )
    return reseller, list(zip(customers, subs, strict=True))


def usage_file(subscriptions, first_day: date, days: int) -> tuple[bytes, int]:
    """The sandbox's usage of (customer, subscription) pairs as a Partner Center CSV."""
    spans = [
        usage.Span(
            tenant_id=str(c.tenant_id),
            customer_name=c.company_name,
            subscription_id=s.partner_center_id,
            currency="USD",
            first_day=first_day,
            days=days,
        )
        for c, s in subscriptions
    ]
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=USAGE_CSV_HEADERS)
    writer.writeheader()
    offset, more = 0, True
    while more:
        lines, more = usage.generate(spans, seed=1, offset=offset, limit=100_000)
        writer.writerows(line.as_csv_row() for line in lines)
        offset += len(lines)
    return out.getvalue().encode(), offset


def cleanup():
    reseller = Reseller.objects.filter(name=BENCH).first()
    if reseller is None:
        return
    UsageLine.objects.filter(reseller=reseller).delete()
    UsageImport.objects.filter(reseller=reseller).delete()
    Subscription.objects.filter(reseller=reseller).delete()
    Customer.objects.filter(reseller=reseller).delete()
    AuditEvent.objects.filter(reseller=reseller)._raw_delete(AuditEvent.objects.db)
    reseller.delete()
    with connection.cursor() as cursor:  # as before the first run, not a table of dead lines
        cursor.execute(f"VACUUM ANALYZE {UsageLine._meta.db_table}, {UsageSummary._meta.db_table}")


def timed_import(reseller, data: bytes) -> tuple[UsageImport, float]:
    """An upload of `data` run end to end, and its seconds (the upload itself not counted)."""
    imp = UsageImport(reseller=reseller, file_name="bench.csv")
    imp.file.save("bench.csv", ContentFile(data), save=True)
    started = time.perf_counter()
    imp = services.usage_import_run(usage_import_id=imp.pk)
    return imp, time.perf_counter() - started


FLOOR_TABLE = "bench_usage_copy_floor"


def create_floor_table():
    numbers = {"Quantity", "UnitPrice", "BillingPreTaxTotal"}
    types = {
        h: "numeric" if h in numbers else "date" if h == "UsageDate" else "text"
        for h in USAGE_CSV_HEADERS
    }
    columns = ", ".join(f'"{h}" {t}' for h, t in types.items())
    with connection.cursor() as cursor:
        cursor.execute(f"DROP TABLE IF EXISTS {FLOOR_TABLE}")
        cursor.execute(f"CREATE TABLE {FLOOR_TABLE} ({columns})")


def copy_floor(data: bytes) -> float:
    """The floor: the same file by one plain COPY into an unindexed table, committed."""
    with connection.cursor() as cursor:
        cursor.execute(f"TRUNCATE {FLOOR_TABLE}")
    started = time.perf_counter()
    with connection.cursor() as cursor:
        cursor.cursor.copy_expert(
            f"COPY {FLOOR_TABLE} FROM STDIN WITH (FORMAT csv, HEADER)", io.BytesIO(data)
        )
    return time.perf_counter() - started


def forget_lines(reseller):
    """The bench reseller's usage deleted (the next round's first import adds every line)."""
    UsageLine.objects.filter(reseller=reseller).delete()
    UsageSummary.objects.filter(reseller=reseller).delete()
    UsageImport.objects.filter(reseller=reseller).delete()
    with connection.cursor() as cursor:
        cursor.execute(f"VACUUM ANALYZE {UsageLine._meta.db_table}, {UsageSummary._meta.db_table}")
        cursor.execute("CHECKPOINT")


def rounds(reseller, data: bytes, n: int, count: int):
    """Floor, first import and re-import, interleaved, `count` rounds; prints best, median
    and the ratios to the floor."""
    create_floor_table()
    times = {"COPY floor": [], "first import": [], "re-import": []}
    try:
        for r in range(count):
            if r:
                forget_lines(reseller)
            times["COPY floor"].append(copy_floor(data))
            for label, expected in (("first import", n), ("re-import", 0)):
                imp, seconds = timed_import(reseller, data)
                assert imp.status == "done", imp.errors[:3]
                assert (imp.imported_lines, imp.skipped_duplicates) == (expected, n - expected)
                times[label].append(seconds)
            print(f"round {r + 1}: " + ", ".join(f"{k} {v[-1]:.2f} s" for k, v in times.items()))
    finally:
        with connection.cursor() as cursor:
            cursor.execute(f"DROP TABLE IF EXISTS {FLOOR_TABLE}")
    floor = {"best": min(times["COPY floor"]), "median": statistics.median(times["COPY floor"])}
    for label, values in times.items():
        best, median = min(values), statistics.median(values)
        line = f"{label + ':':15} best {rate(n, best)}, median {rate(n, median)}"
        if label != "COPY floor":
            target = 0.5 if label == "first import" else 0.4
            line += (
                f"; × COPY: best {floor['best'] / best:.2f}, median "
                f"{floor['median'] / median:.2f} (target ≥ {target})"
            )
        print(line)


def rate(n, seconds):
    return f"{n / seconds:,.0f} rows/s ({seconds:.2f} s)"


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--subscriptions", type=int, default=200)
    parser.add_argument("--days", type=int, default=30)
    parser.add_argument("--keep", action="store_true", help="Leave the bench rows in place.")
    parser.add_argument(
        "--steps", action="store_true", help="Also print the time of each step of the import."
    )
    parser.add_argument(
        "--periods",
        type=int,
        default=1,
        help="Then import the next N-1 periods of --days days into the same "
        "table (the table grows as in production).",
    )
    parser.add_argument(
        "--rounds",
        type=int,
        default=3,
        help="Rounds of COPY floor, first import and re-import, interleaved "
        "(0: one first import and re-import, no floor).",
    )
    parser.add_argument(
        "--line-by-line",
        action="store_true",
        help="Time the line-by-line (Python) path instead, for comparison.",
    )
    args = parser.parse_args()
    if connection.vendor != "postgresql":
        sys.exit("Set DATABASE_URL to a PostgreSQL database (the COPY path is PostgreSQL's).")
    call_command("migrate", verbosity=0)
    if args.steps:
        logging.basicConfig(format="    %(message)s")
        for name in ("billing.usage.pg", "billing.usage.columnar"):
            logging.getLogger(name).setLevel(logging.DEBUG)

    with scopes_disabled():
        t = time.perf_counter()
        reseller, subscriptions = setup(args.subscriptions, args.days)
        data, n = usage_file(subscriptions, START, args.days)
        print(
            f"generated {n:,} lines ({len(data) / 1e6:.1f} MB CSV) for "
            f"{args.subscriptions} subscriptions × {args.days} days in "
            f"{time.perf_counter() - t:.2f} s"
        )
        with connection.cursor() as cursor:  # each import starts as after a quiet while: the
            cursor.execute("CHECKPOINT")  # WAL of setting up is written out, not during it
        try:
            if len(data) > settings.USAGE_IMPORT_MAX_BYTES:
                settings.USAGE_IMPORT_MAX_BYTES = len(data)  # the bench measures speed
            services.COLUMNAR = not args.line_by_line
            path = "line by line (Python)" if args.line_by_line else "Arrow + binary COPY"
            print(f"path: {path}")
            if args.rounds:
                rounds(reseller, data, n, args.rounds)
            for label, expected in (
                () if args.rounds else (("first import", n), ("re-import (same file)", 0))
            ):
                imp, seconds = timed_import(reseller, data)
                print(
                    f"{label + ':':23}{rate(n, seconds)}, added {imp.imported_lines:,}, "
                    f"duplicates {imp.skipped_duplicates:,}"
                )
                assert imp.status == "done", imp.errors[:3]
                assert (imp.imported_lines, imp.skipped_duplicates) == (expected, n - expected)
            for period in range(1, args.periods):
                stored = UsageLine.objects.filter(reseller=reseller).count()
                data, n = usage_file(
                    subscriptions, START + timedelta(days=period * args.days), args.days
                )
                # each period's file has its own size (issue 26: the second one was refused
                # for being larger than the first, the limit the bench had raised to)
                settings.USAGE_IMPORT_MAX_BYTES = max(settings.USAGE_IMPORT_MAX_BYTES, len(data))
                with connection.cursor() as cursor:
                    cursor.execute("CHECKPOINT")
                imp, seconds = timed_import(reseller, data)
                print(
                    f"period {period + 1} (onto {stored:,} lines): {rate(n, seconds)}, "
                    f"added {imp.imported_lines:,}"
                )
                assert (imp.status, imp.imported_lines) == ("done", n), imp.errors[:3]
        finally:
            if not args.keep:
                cleanup()


if __name__ == "__main__":
    main()
