"""Billing report benchmark: p95 of each report page (and the dashboard) with Django's test client
against PostgreSQL, on 10,000 customers and 1,000,000 usage lines.

    createdb -h 127.0.0.1 -U postgres bench_reports        # once; the script migrates it
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/bench_reports .venv/bin/python bench/reports.py

Data (built once with bulk inserts and COPY, reused on later runs; --rebuild to start again):
20 US resellers × 500 customers; 6,700 customers have an Azure plan subscription with 30 days
× 5 meters of May 2026 usage (the sandbox generator's meters) = 1,005,000 lines, ~50,000 per
reseller; every customer has a New Commerce subscription with 3 assigned seats and 2 June
charges (cycle + seat increase), a default price book +12 % and every tenth customer its own
book. Each page is requested --runs times (after 3 warm-ups) as the owner of one reseller,
for the June 2026 period; operations pages with that reseller chosen.
"""

import argparse
import io
import os
import statistics
import sys
import time
import uuid
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")
os.environ.setdefault("DEBUG", "1")

import django  # noqa: E402

django.setup()

from django.apps import apps as django_apps  # noqa: E402
from django.conf import settings  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection, transaction  # noqa: E402
from django.test import Client  # noqa: E402
from django.urls import NoReverseMatch, reverse  # noqa: E402
from django_scopes import scopes_disabled  # noqa: E402

from billing.usage import summary as usage_summary  # noqa: E402
from billing.usage.models import UsageImport, UsageLine, UsageSummary  # noqa: E402
from customers.models import Customer  # noqa: E402
from partner_center.usage import METERS  # noqa: E402
from portal.models import Membership, Reseller, User  # noqa: E402
from portal.roles import Role  # noqa: E402
from subscriptions.catalog.defaults import ensure_product_types  # noqa: E402
from subscriptions.catalog.models import Offer, PriceBook, PriceRule, ProductType  # noqa: E402
from subscriptions.models import ChargeEvent, SeatAssignment, Subscription  # noqa: E402

PREFIX = "Bench reports reseller"
AZURE_SUBS, DAYS = 6_700, 30
# --scale: (resellers, customers each, New Commerce subscriptions in all). "issue": issue 7's
# billing-run scale, 1,000 resellers, 10,000 customers, 50,000 subscriptions with the Azure ones.
SCALES = {"reports": (20, 500, 10_000), "issue": (1_000, 10, 43_300)}
MAY = date(2026, 5, 1)
PERIOD = "2026-06-01"


def _offer(sku, name, code):
    return Offer.objects.get_or_create(
        sku=sku,
        defaults={
            "name": name,
            "terms": "P1M,P1Y",
            "billing_frequencies": "monthly",
            "product_type": ProductType.objects.get(code=code),
        },
    )[0]


def build(scale: str = "reports"):
    resellers_n, customers_each, seat_subs_n = SCALES[scale]
    t = time.perf_counter()
    azure = _offer("DZH318Z0BPS6:0001", "Microsoft Azure plan", "azure-plan")
    nce = _offer("BENCH-NCE:0001", "Microsoft 365 Business Standard (bench)", "nce")
    resellers = Reseller.objects.bulk_create(
        [
            Reseller(
                name=f"{PREFIX} {i:02d}", country="US", currency="USD", partner_id=f"88{i:05d}"
            )
            for i in range(resellers_n)
        ]
    )
    for r in resellers:
        user = User.objects.create_user(email=f"owner{r.pk}@bench.test", password=None)
        Membership.objects.create(user=user, reseller=r, role=Role.OWNER)
    customers = Customer.objects.bulk_create(
        [
            Customer(
                reseller=r,
                company_name=f"Bench customer {r.pk}-{i}",
                country="US",
                currency="USD",
                address_line1="1 Main St",
                city="Seattle",
                postal_code="98101",
                contact_first_name="Pat",
                contact_last_name="Doe",
                contact_email=f"c{i}@bench.test",
                tenant_id=uuid.uuid4(),
                primary_domain=f"bench{r.pk}-{i}.onmicrosoft.com",
            )
            for r in resellers
            for i in range(customers_each)
        ],
        batch_size=5000,
    )
    bought = datetime(2025, 12, 1, tzinfo=UTC)

    def sub(c, offer, term, qty, cost, price):
        return Subscription(
            reseller_id=c.reseller_id,
            customer=c,
            offer=offer,
            partner_center_id=str(uuid.uuid4()),
            term=term,
            billing_frequency="monthly",
            quantity=qty,
            purchased_at=bought,
            term_start=bought.date(),
            term_end=bought.date() + timedelta(days=364),
            window_opened_at=bought,
            currency="USD",
            unit_cost=cost,
            unit_price=price,
        )

    step = len(customers) / AZURE_SUBS
    azure_customers = [customers[int(i * step)] for i in range(AZURE_SUBS)]
    azure_subs = Subscription.objects.bulk_create(
        [sub(c, azure, "P1M", 1, 0, 0) for c in azure_customers], batch_size=5000
    )
    seat_subs = Subscription.objects.bulk_create(
        [
            sub(customers[i % len(customers)], nce, "P1Y", 10, Decimal("10.5"), Decimal("12.5"))
            for i in range(seat_subs_n)
        ],
        batch_size=5000,
    )
    SeatAssignment.objects.bulk_create(
        [
            SeatAssignment(
                reseller_id=s.reseller_id,
                subscription=s,
                display_name=f"User {k}",
                user_principal_name=f"user{k}@{s.pk}.bench.test",
            )
            for s in seat_subs
            for k in range(3)
        ],
        batch_size=10000,
    )
    charges = []
    for s in seat_subs:
        for kind, on, qty, cost, price in (
            ("cycle", date(2026, 6, 1), 10, "105.00", "125.00"),
            ("seat_increase", date(2026, 6, 16), 2, "10.50", "12.50"),
        ):
            charges.append(
                ChargeEvent(
                    reseller_id=s.reseller_id,
                    customer_id=s.customer_id,
                    subscription=s,
                    kind=kind,
                    key=f"bench-{s.pk}-{kind}",
                    charge_date=on,
                    cycle_start=on,
                    cycle_end=date(2026, 6, 30),
                    quantity=qty,
                    billing_days=30,
                    cycle_days=30,
                    unit_cost=s.unit_cost,
                    unit_price=s.unit_price,
                    cost_amount=Decimal(cost),
                    price_amount=Decimal(price),
                    currency="USD",
                )
            )
    ChargeEvent.objects.bulk_create(charges, batch_size=10000)
    books = PriceBook.objects.bulk_create(
        [PriceBook(reseller=r, name="Default") for r in resellers]
        + [
            PriceBook(reseller_id=c.reseller_id, customer=c, name=f"Book {c.pk}")
            for c in customers[::10]
        ]
    )
    PriceRule.objects.bulk_create(
        [
            PriceRule(
                reseller_id=b.reseller_id,
                book=b,
                kind="markup" if b.customer_id is None else "discount",
                percent=Decimal("12") if b.customer_id is None else Decimal("3"),
                effective_from=date(2026, 1, 1),
            )
            for b in books
        ]
    )
    print(f"catalog, customers, subscriptions, charges: {time.perf_counter() - t:.1f} s")

    t = time.perf_counter()
    imports = {
        r.pk: UsageImport.objects.create(reseller=r, file_name="bench.csv", status="done")
        for r in resellers
    }
    columns = (
        "reseller_id",
        "customer_id",
        "subscription_id",
        "usage_import_id",
        "usage_date",
        "meter_category",
        "meter_sub_category",
        "meter_name",
        "meter_id",
        "meter_region",
        "resource_group",
        "resource_uri",
        "tags",
        "quantity",
        "unit_of_measure",
        "unit_price",
        "billing_pre_tax_total",
        "currency",
        "charge_type",
        "product_id",
        "sku_id",
        "availability_id",
        "is_marketplace",
    )
    n = 0
    with connection.cursor() as cursor:
        buf = io.StringIO()
        for s in azure_subs:
            for day in range(DAYS):
                d = (MAY + timedelta(days=day)).isoformat()
                for m_index, m in enumerate(METERS):
                    qty = m.daily * (1 + Decimal((s.pk * 7 + day * 3 + m_index) % 10) / 10)
                    cost = (qty * m.unit_price).quantize(Decimal("0.0000000001"))
                    buf.write(
                        f"{s.reseller_id}\t{s.customer_id}\t{s.pk}\t"
                        f"{imports[s.reseller_id].pk}\t{d}\t{m.category}\t"
                        f"{m.sub_category}\t{m.name}\t{m.meter_id}\teastus\trg-app\t"
                        f"/subscriptions/{s.partner_center_id}/{m.provider}\t{{}}\t{qty}\t"
                        f"{m.unit}\t{m.unit_price}\t{cost}\tUSD\tnew\t{m.product_id}\t"
                        f"{m.sku_id}\tDZH318Z0BQ3Q\tf\n"
                    )
                    n += 1
            if buf.tell() > 20_000_000:
                buf.seek(0)
                cursor.cursor.copy_from(buf, UsageLine._meta.db_table, columns=columns)
                buf = io.StringIO()
        buf.seek(0)
        cursor.cursor.copy_from(buf, UsageLine._meta.db_table, columns=columns)
    print(f"{n:,} usage lines by COPY: {time.perf_counter() - t:.1f} s")
    summarise()


def summarise():
    """What an import does after its load: the monthly summaries the reports read."""
    t = time.perf_counter()
    pairs = {
        (r, MAY)
        for r in Reseller.objects.filter(name__startswith=PREFIX).values_list("pk", flat=True)
    }
    rows = usage_summary.refresh(pairs)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    print(f"{rows:,} monthly usage summaries: {time.perf_counter() - t:.1f} s")


def p95(samples):
    return statistics.quantiles(samples, n=20, method="inclusive")[18] * 1000


def measure(client, label, url, params, runs):
    for _ in range(3):
        response = client.get(url, params)
        assert response.status_code == 200, (label, response.status_code)
    samples = []
    for _ in range(runs):
        t = time.perf_counter()
        client.get(url, params)
        samples.append(time.perf_counter() - t)
    print(
        f"{label:<48} p95 {p95(samples):7.1f} ms   median "
        f"{statistics.median(samples) * 1000:7.1f} ms"
    )
    return p95(samples)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=40)
    parser.add_argument("--rebuild", action="store_true")
    parser.add_argument(
        "--scale",
        choices=SCALES,
        default="reports",
        help="Data to build: 20 resellers × 500 customers (default), or the "
        "billing-run scale of issue 7 (use another database).",
    )
    args = parser.parse_args()
    if connection.vendor != "postgresql":
        sys.exit("Set DATABASE_URL to a PostgreSQL database.")
    settings.ALLOWED_HOSTS = ["testserver"]
    settings.STAFF_MFA_REQUIRED = False
    call_command("migrate", verbosity=0)
    with scopes_disabled():
        if args.rebuild:
            call_command("flush", interactive=False, verbosity=0)
            ensure_product_types(django_apps)  # flush empties the data migrations' rows
        if not Reseller.objects.filter(name__startswith=PREFIX).exists():
            with transaction.atomic():
                build(args.scale)
        if not UsageSummary.objects.exists():
            summarise()
        reseller = Reseller.objects.filter(name__startswith=PREFIX).order_by("pk").first()
        owner = Membership.objects.get(reseller=reseller, role=Role.OWNER).user
        lines = UsageLine.objects.count()
        customers = Customer.objects.count()
        one = (
            UsageLine.objects.filter(reseller=reseller)
            .values("subscription_id", "meter_id")
            .first()
        )
        ops = User.objects.filter(email="ops@bench.test").first() or User.objects.create_user(
            email="ops@bench.test", password=None, is_staff=True
        )
    print(
        f"{customers:,} customers, {lines:,} usage lines; pages as the owner of "
        f"{reseller.name} (period {PERIOD})"
    )

    client = Client()
    client.force_login(owner)
    session = client.session
    session["active_reseller_id"] = reseller.pk
    session.save()
    period = {"period": PERIOD}
    pages = [
        ("Reports index", "billing:reports", {}),
        ("Azure (legacy)", "billing:report_azure_legacy", period),
        ("Azure plan & NCE", "billing:report_azure_plan", period),
        (
            "Azure plan & NCE, page 5 sorted by margin",
            "billing:report_azure_plan",
            {**period, "u-sort": "-margin", "u-page": 5},
        ),
        (
            "Azure plan & NCE, meter category filter",
            "billing:report_azure_plan",
            {**period, "meter_category": "Storage"},
        ),
        (
            "Azure plan daily drill-down",
            "billing:report_daily",
            {**period, "subscription": one["subscription_id"], "meter": one["meter_id"]},
        ),
        ("Modern Workplace SaaS", "billing:report_seats", period),
        (
            "Azure plan & NCE CSV export (usage)",
            "billing:report_azure_plan",
            {**period, "export": "csv", "table": "usage"},
        ),
    ]
    try:
        reverse("dashboard")
        pages.insert(0, ("Dashboard", "dashboard", {}))
    except NoReverseMatch:
        pass
    results = [
        measure(client, label, reverse(name), params, args.runs) for label, name, params in pages
    ]
    staff = Client()
    staff.force_login(ops)
    chosen = {**period, "reseller": reseller.pk}
    for label, name, params in (
        ("Ops Azure plan & NCE, one reseller", "billing_ops:report_azure_plan", chosen),
        ("Ops Modern Workplace SaaS, one reseller", "billing_ops:report_seats", chosen),
    ):
        results.append(measure(staff, label, reverse(name), params, args.runs))
    print(f"worst p95: {max(results):.1f} ms (target < 150 ms)")


if __name__ == "__main__":
    main()
