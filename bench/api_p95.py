"""API p95 of the list endpoints at 10,000 customers, over real HTTP against gunicorn, with a fair
floor in the same run.

    createdb -h 127.0.0.1 -U postgres bench_api              # once; the script migrates it
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/bench_api .venv/bin/python bench/api_p95.py
    # options: --customers 10000 --requests 40 --rounds 3 --workers 2 --port 8124

Data (built once per --customers with bulk inserts, reused on later runs): one US reseller
with --customers customers, one New Commerce subscription each, per ten customers a
statement, a usage summary and a ticket, two years of invoices (one a period) with a credit
note every fourth, a default price book and a customer book per hundred customers with a rule
each.

Measure: gunicorn (production settings over plain http on 127.0.0.1, --workers sync workers,
no Redis: the rate-limit counts stay in each worker's memory and the limit is lifted for the
run) serves the portal; one client requests, one at a time on a new connection, each list
endpoint's first page (50 rows) with an owner's API key. The floor is `GET /api/v1/me/` on the
same server with the same key: the same authentication, scope, rate limit and JSON rendering,
and nothing else. Floor and endpoint requests are interleaved (floor, list, floor, next list,
…) so both see the same machine; each round gives a p95 per endpoint and for the floor, and the
script prints the best and median of the rounds and each endpoint's p95 as a multiple of the
floor's. Before that, each endpoint's queries per request are counted in-process for pages of 5
and 200 rows and for a later page: they must be equal (no query per row).
"""

import argparse
import os
import secrets
import statistics
import sys
import time
import uuid
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")
os.environ.setdefault("DEBUG", "1")

import django  # noqa: E402

django.setup()

from django.apps import apps as django_apps  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection, transaction  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402
from django_scopes import scopes_disabled  # noqa: E402
from http_timing import gunicorn, p95, timed_get, wait_until_up  # noqa: E402  (bench/, beside this file)

from api import services as api_services  # noqa: E402
from billing.models import BillingRun, CreditNote, Invoice, Statement  # noqa: E402
from billing.usage.models import UsageSummary  # noqa: E402
from customers.models import Customer  # noqa: E402
from portal.models import Membership, Reseller, User  # noqa: E402
from portal.roles import Role  # noqa: E402
from subscriptions.catalog.defaults import ensure_product_types  # noqa: E402
from subscriptions.catalog.models import Offer, PriceBook, PriceRule, ProductType  # noqa: E402
from subscriptions.models import Subscription  # noqa: E402
from support.models import Ticket  # noqa: E402

RESELLER = "Bench API reseller"
FLOOR = "/api/v1/me/"
LISTS = [
    "/api/v1/customers/",
    "/api/v1/subscriptions/",
    "/api/v1/catalog/offers/",
    "/api/v1/price-books/",
    "/api/v1/invoices/",
    "/api/v1/credit-notes/",
    "/api/v1/statements/",
    "/api/v1/usage-summaries/",
    "/api/v1/tickets/",
    "/api/v1/programs/",
]


def build(n: int) -> Reseller:
    t = time.perf_counter()
    ensure_product_types(django_apps)
    nce = Offer.objects.get_or_create(
        sku="BENCH-API-NCE:0001",
        defaults={
            "name": "Microsoft 365 Business Standard (bench)",
            "terms": "P1M,P1Y",
            "billing_frequencies": "monthly",
            "product_type": ProductType.objects.get(code="nce"),
        },
    )[0]
    reseller = Reseller.objects.create(
        name=f"{RESELLER} {n}", country="US", currency="USD", partner_id=f"88{n % 100000:05d}"
    )
    user = User.objects.create_user(email=f"owner{reseller.pk}@bench-api.test", password=None)
    Membership.objects.create(user=user, reseller=reseller, role=Role.OWNER)
    customers = Customer.objects.bulk_create(
        [
            Customer(
                reseller=reseller,
                company_name=f"Bench API customer {i:05d}",
                country="US",
                currency="USD",
                address_line1="1 Main St",
                city="Seattle",
                postal_code="98101",
                contact_first_name="Pat",
                contact_last_name="Doe",
                contact_email=f"c{i}@bench-api.test",
                tenant_id=uuid.uuid4(),
                primary_domain=f"benchapi{i}.onmicrosoft.com",
            )
            for i in range(n)
        ],
        batch_size=5000,
    )
    bought = datetime(2026, 6, 1, tzinfo=UTC)
    subs = Subscription.objects.bulk_create(
        [
            Subscription(
                reseller=reseller,
                customer=c,
                offer=nce,
                partner_center_id=str(uuid.uuid4()),
                term="P1Y",
                billing_frequency="monthly",
                quantity=10,
                purchased_at=bought,
                term_start=bought.date(),
                term_end=bought.date() + timedelta(days=364),
                window_opened_at=bought,
                currency="USD",
                unit_cost=Decimal("10.5"),
                unit_price=Decimal("12.5"),
            )
            for c in customers
        ],
        batch_size=5000,
    )
    tenth = customers[::10]
    # a reseller's invoices are one per billing period: two years of them
    runs = BillingRun.objects.bulk_create(
        [
            BillingRun(
                reseller=reseller,
                period_start=date(2024 + m // 12, m % 12 + 1, 1),
                period_end=date(2024 + (m + 1) // 12, (m + 1) % 12 + 1, 1) - timedelta(days=1),
            )
            for m in range(24)
        ]
    )
    invoices = Invoice.objects.bulk_create(
        [
            Invoice(
                run=r,
                reseller=reseller,
                period_start=r.period_start,
                period_end=r.period_end,
                currency="USD",
                subtotal=Decimal("100"),
                total=Decimal("100"),
            )
            for r in runs
        ]
    )
    CreditNote.objects.bulk_create(
        [
            CreditNote(
                invoice=i,
                reseller=reseller,
                period_start=i.period_start,
                period_end=i.period_end,
                currency="USD",
                reason="Bench",
            )
            for i in invoices[::4]
        ]
    )
    run = runs[-1]
    doc = {"reseller": reseller, "period_start": run.period_start, "period_end": run.period_end}
    Statement.objects.bulk_create([Statement(run=run, customer=c, **doc) for c in tenth])
    UsageSummary.objects.bulk_create(
        [
            UsageSummary(
                reseller=reseller,
                customer_id=s.customer_id,
                subscription=s,
                product_type=nce.product_type,
                month=date(2026, 5, 1),
                meter_id=f"meter-{s.pk}",
                currency="USD",
                quantity=Decimal("1.5"),
                pre_tax_total=Decimal("12.5"),
                lines=3,
            )
            for s in subs[::10]
        ],
        batch_size=5000,
    )
    now = datetime.now(UTC)
    Ticket.objects.bulk_create(
        [
            Ticket(
                reseller=reseller,
                customer=c,
                subject=f"Question {i}",
                category="billing",
                priority="normal",
                first_response_due_at=now,
            )
            for i, c in enumerate(tenth)
        ],
        batch_size=5000,
    )
    books = PriceBook.objects.bulk_create(
        [PriceBook(reseller=reseller, name="Default")]
        + [PriceBook(reseller=reseller, customer=c, name=f"{c}") for c in customers[::100]]
    )
    PriceRule.objects.bulk_create(
        [
            PriceRule(
                reseller=reseller,
                book=b,
                kind="markup",
                percent=Decimal("12"),
                effective_from=date(2026, 1, 1),
            )
            for b in books
        ]
    )
    print(f"built {n:,} customers and their subscriptions in {time.perf_counter() - t:.1f} s")
    return reseller


def check_queries(key: str) -> dict[str, int]:
    """Queries per request of each endpoint, in-process: the same for 5 and 200 rows and for
    the page after; returns them."""
    client = Client(headers={"Authorization": f"Bearer {key}"}, SERVER_NAME="127.0.0.1")
    counts = {}
    client.get(FLOOR)  # the key's first use writes its last_used_at (once a minute)
    for path in [FLOOR, *LISTS]:
        seen = []
        for query in ("?page_size=5", "?page_size=200"):
            with CaptureQueriesContext(connection) as captured:
                response = client.get(path + query)
            assert response.status_code == 200, (path, response.status_code, response.content)
            seen.append(len(captured))
        body = response.json()
        if isinstance(body, dict) and body.get("next"):
            with CaptureQueriesContext(connection) as captured:
                assert client.get(body["next"]).status_code == 200
            seen.append(len(captured))
        assert len(set(seen)) == 1, f"{path}: queries per request vary with the rows: {seen}"
        counts[path] = seen[0]
    return counts


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--customers", type=int, default=10_000)
    parser.add_argument("--requests", type=int, default=40, help="per endpoint and round")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--port", type=int, default=8124)
    args = parser.parse_args()
    if not os.environ.get("DATABASE_URL", "").startswith("postgres"):
        raise SystemExit("Set DATABASE_URL to a PostgreSQL database (see the docstring).")
    args.rounds = max(args.rounds, 3)
    call_command("migrate", verbosity=0)
    with scopes_disabled():
        reseller = Reseller.objects.filter(name=f"{RESELLER} {args.customers}").first()
        if reseller is None:
            with transaction.atomic():
                reseller = build(args.customers)
        with connection.cursor() as cursor:  # this server runs without autovacuum
            cursor.execute("ANALYZE")
        owner = Membership.objects.get(reseller=reseller, role=Role.OWNER)
        _, key = api_services.api_key_create(member=owner, name="bench", role=Role.OWNER)
    auth = {"Authorization": f"Bearer {key}"}
    counts = check_queries(key)
    with gunicorn(
        "api",
        args.port,
        args.workers,
        SECRET_KEY=secrets.token_hex(32),
        API_RATE_LIMIT="1000000/minute",
    ):
        wait_until_up(args.port, FLOOR, auth)
        for path in [FLOOR, *LISTS]:  # warm-up: imports, connections, caches
            for _ in range(3):
                timed_get(args.port, path, auth)
        per_round: list[dict[str, float]] = []
        for r in range(1, args.rounds + 1):
            samples: dict[str, list[float]] = {p: [] for p in [FLOOR, *LISTS]}
            for _ in range(args.requests):
                for path in LISTS:
                    samples[FLOOR].append(timed_get(args.port, FLOOR, auth))
                    samples[path].append(timed_get(args.port, path, auth))
            figures = {p: p95(s) for p, s in samples.items()}
            per_round.append(figures)
            print(
                f"round {r}: floor p95 {figures[FLOOR]:.1f} ms; "
                + ", ".join(f"{p.removeprefix('/api/v1/')} {figures[p]:.1f}" for p in LISTS),
                flush=True,
            )
    best = {p: min(f[p] for f in per_round) for p in per_round[0]}
    median = {p: statistics.median(f[p] for f in per_round) for p in per_round[0]}
    print(
        f"\n{args.customers:,} customers, {args.workers} gunicorn workers, {args.rounds} rounds × "
        f"{args.requests} requests per endpoint, each after a floor request"
    )
    print(
        f"{'endpoint (first page, 50 rows)':<34} {'queries':>7} {'p95 best':>9} "
        f"{'median':>8} {'× floor best':>12} {'median':>7}"
    )
    for path in [FLOOR, *LISTS]:
        name = "floor: GET /api/v1/me/" if path == FLOOR else path
        print(
            f"{name:<34} {counts[path]:>7} {best[path]:>7.1f}ms {median[path]:>6.1f}ms "
            f"{best[path] / best[FLOOR]:>12.2f} {median[path] / median[FLOOR]:>7.2f}"
        )
    worst = max(LISTS, key=lambda p: median[p] / median[FLOOR])
    print(
        f"slowest list against the floor: {worst} at {median[worst] / median[FLOOR]:.2f}× "
        f"(median of rounds); queries per request constant for 5 and 200 rows and the next page"
    )


if __name__ == "__main__":
    sys.exit(main())
