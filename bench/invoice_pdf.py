"""Invoice PDFs at 3, 100 and 1,000 lines against a floor, in one process, interleaved.

    createdb -h 127.0.0.1 -U postgres bench_invoice_pdf          # once; the script migrates it
    export DATABASE_URL=postgres://postgres@127.0.0.1:5432/bench_invoice_pdf
    .venv/bin/python bench/invoice_pdf.py
    # options: --rounds 3 (at least 3), --renders 5 (PDFs per size and round)

Builds once one reseller per size (3, 100, 1,000 ledger lines: subscriptions with ten charge
kinds each, customers of ten lines, two product types), runs and finalizes their June 2026
billing runs, then renders, round after round and size after size:

- **summary**: the invoice PDF exactly as the Celery task renders it
  (`billing.services.document_render_pdf`: load the invoice and its lines, totals per product
  type and customer, chart, CSV and XLSX attachments, WeasyPrint, store the file);
- **detail**: the PDF of every line, as the on-request task renders it
  (`billing.services.invoice_render_detail_pdf`, its stored file deleted before each render);
- **floor**: WeasyPrint rendering a minimal HTML page of the same number of table rows as the
  summary PDF has (one per product type and per customer, or one per line up to
  `billing.pdf.SUMMARY_LINES`), with no query, chart, attachment or storage: what any PDF of
  that size costs at the least.

Prints per size best and median seconds a PDF and PDFs/s per core of each, and the summary's
ratio to the floor. Targets (issue 26): ≥ 2 summary PDFs/s per core at 100 lines, ≤ 2 s at
1,000 lines.
"""

import argparse
import datetime as dt
import os
import statistics
import sys
import time
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")
os.environ.setdefault("DEBUG", "1")
os.environ.pop("REDIS_URL", None)

import django  # noqa: E402

django.setup()

import logging  # noqa: E402

from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402
from django_scopes import scopes_disabled  # noqa: E402
from weasyprint import HTML  # noqa: E402

from billing import services  # noqa: E402
from billing.models import BillingRun, Invoice  # noqa: E402
from billing.pdf import SUMMARY_LINES, customer_totals  # noqa: E402
from billing.selectors import document_lines  # noqa: E402
from customers.models import Customer  # noqa: E402
from portal.models import Reseller, User  # noqa: E402
from subscriptions.catalog.defaults import ensure_product_types  # noqa: E402
from subscriptions.catalog.models import Offer, ProductType  # noqa: E402
from subscriptions.models import ChargeEvent, Subscription  # noqa: E402

SIZES = (3, 100, 1000)
PREFIX = "Bench invoice PDF"
KINDS = [kind for kind, _ in ChargeEvent.Kind.choices][:10]  # ten ledger lines a subscription
JUNE = dt.date(2026, 6, 1)


def build(lines: int, ops) -> int:
    """A reseller whose June invoice has `lines` lines; its finalized invoice's id."""
    from django.apps import apps

    ensure_product_types(apps)
    name = f"{PREFIX} {lines}"
    with scopes_disabled():
        found = Invoice.objects.filter(reseller__name=name, status="finalized").first()
        if found:
            return found.pk
        reseller = Reseller.objects.create(name=name, country="US", currency="USD")
        offers = [
            Offer.objects.get_or_create(
                sku=f"BENCH-PDF-{code}",
                defaults={
                    "name": title,
                    "terms": "P1M",
                    "billing_frequencies": "monthly",
                    "product_type": ProductType.objects.get(code=code),
                },
            )[0]
            for code, title in (
                ("nce", "Microsoft 365 Business Standard"),
                ("software-subscription", "Dynamics 365 Sales"),
            )
        ]
        per_sub = min(lines, len(KINDS))
        subs_n = max(1, lines // per_sub)
        customers = Customer.objects.bulk_create(
            [
                Customer(
                    reseller=reseller,
                    company_name=f"Customer {n:04d} of {name}",
                    country="US",
                    currency="USD",
                    address_line1="1 Main St",
                    city="Seattle",
                    postal_code="98101",
                    primary_domain=f"c{n}bench{lines}.onmicrosoft.com",
                )
                for n in range(max(1, subs_n // 2))
            ]
        )
        now = dt.datetime(2026, 6, 1, 9, tzinfo=dt.UTC)
        subs = Subscription.objects.bulk_create(
            [
                Subscription(
                    reseller=reseller,
                    customer=customers[n % len(customers)],
                    offer=offers[n % 2],
                    partner_center_id=f"pdf-{lines}-{n}",
                    term="P1M",
                    billing_frequency="monthly",
                    quantity=10,
                    purchased_at=now,
                    term_start=JUNE,
                    term_end=dt.date(2026, 6, 30),
                    window_opened_at=now,
                    currency="USD",
                    unit_cost=Decimal(10),
                    unit_price=Decimal(12),
                )
                for n in range(subs_n)
            ]
        )
        ChargeEvent.objects.bulk_create(
            [
                ChargeEvent(
                    reseller=reseller,
                    customer_id=sub.customer_id,
                    subscription=sub,
                    kind=kind,
                    key=f"pdf-{sub.pk}-{kind}",
                    charge_date=JUNE + dt.timedelta(days=k),
                    cycle_start=JUNE,
                    cycle_end=dt.date(2026, 6, 30),
                    quantity=k + 1,
                    billing_days=30,
                    cycle_days=30,
                    unit_cost=Decimal(10),
                    unit_price=Decimal(12),
                    cost_amount=Decimal(f"{n + 1}.{(n * 7 + k * 13) % 100:02d}"),
                    price_amount=Decimal(f"{n + 2}.{(n * 3 + k) % 100:02d}"),
                    currency="USD",
                )
                for n, sub in enumerate(subs)
                for k, kind in enumerate(KINDS[:per_sub])
            ]
        )
    [run] = services.billing_run_start(user=ops, on_date=JUNE, reseller=reseller)
    services.billing_run_compute(run_id=run.pk)
    with scopes_disabled():
        run = BillingRun.objects.select_related("reseller").get(pk=run.pk)
    [invoice] = services.billing_run_finalize(user=ops, run=run)
    return invoice.pk


def floor_html(rows: int) -> str:
    """A page of `rows` table rows of four cells, the summary's fonts: no chart, no data."""
    body = "".join(
        f"<tr><td>Customer {n:04d}</td><td>{n}.00</td><td>{n}.50</td><td>{2 * n}.50</td></tr>"
        for n in range(rows)
    )
    return (
        "<!doctype html><html><head><meta charset='utf-8'><style>@page{size:A4;margin:18mm 15mm}"
        "body{font-family:sans-serif;font-size:9.5pt}table{width:100%;border-collapse:collapse}"
        "td{padding:0.6mm 1.5mm;border-bottom:0.3mm solid #ddd}</style></head><body>"
        f"<h1>Invoice</h1><table>{body}</table></body></html>"
    )


def summary_rows(invoice_id: int) -> int:
    with scopes_disabled():
        invoice = Invoice.objects.get(pk=invoice_id)
        lines = document_lines(invoice)
    types, customers = customer_totals(lines, lambda x: x.amount)
    return len(types) + (len(lines) if len(lines) <= SUMMARY_LINES else len(customers))


def render_detail(invoice_id: int) -> None:
    with scopes_disabled():
        invoice = Invoice.objects.get(pk=invoice_id)
        if invoice.detail_pdf:
            invoice.detail_pdf.delete(save=False)
        Invoice.objects.filter(pk=invoice_id).update(
            detail_pdf="", detail_requested_at=dt.datetime.now(dt.UTC)
        )
    services.invoice_render_detail_pdf(invoice_id=invoice_id)


def main(rounds: int, renders: int) -> None:
    if connection.vendor != "postgresql":
        sys.exit("Set DATABASE_URL to a PostgreSQL database (see the docstring).")
    logging.getLogger("weasyprint").setLevel(logging.ERROR)
    call_command("migrate", verbosity=0)
    ops = User.objects.filter(is_staff=True).first() or User.objects.create(
        email="bench-ops@distributor.test", is_staff=True
    )
    invoices = {size: build(size, ops) for size in SIZES}
    floors = {size: floor_html(summary_rows(invoices[size])) for size in SIZES}
    kinds = {
        "floor": lambda size: HTML(string=floors[size]).write_pdf(),
        "summary": lambda size: services.document_render_pdf(
            kind="invoice", document_id=invoices[size]
        ),
        "detail": lambda size: render_detail(invoices[size]),
    }
    kinds["summary"](SIZES[0])  # fonts and templates loaded once, as in a worker
    times: dict[tuple[str, int], list[float]] = {(k, s): [] for k in kinds for s in SIZES}
    for n in range(rounds):
        order = list(kinds) if n % 2 == 0 else list(reversed(kinds))
        for size in SIZES:
            for kind in order:
                # the 1,000-line detail PDF (tens of pages): once a round is enough
                count = 1 if kind == "detail" and size == SIZES[-1] else renders
                started = time.process_time()
                for _ in range(count):
                    kinds[kind](size)
                times[(kind, size)].append((time.process_time() - started) / count)
        print(
            f"round {n + 1}: "
            + " | ".join(
                f"{size} lines: summary {times[('summary', size)][-1]:.3f} s, floor "
                f"{times[('floor', size)][-1]:.3f} s, detail {times[('detail', size)][-1]:.3f} s"
                for size in SIZES
            )
        )
    print("seconds of CPU a PDF (best / median), PDFs/s per core at the median")
    for size in SIZES:
        row = []
        for kind in kinds:
            values = times[(kind, size)]
            best, median = min(values), statistics.median(values)
            row.append(f"{kind} {best:.3f} / {median:.3f} s ({1 / median:.1f}/s)")
        s_best, s_median = (
            min(times[("summary", size)]),
            statistics.median(times[("summary", size)]),
        )
        f_best, f_median = min(times[("floor", size)]), statistics.median(times[("floor", size)])
        print(
            f"{size:>5} lines: " + "; ".join(row) + f"; summary ÷ floor: best "
            f"{s_best / f_best:.2f}×, median {s_median / f_median:.2f}×"
        )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--renders", type=int, default=5)
    args = parser.parse_args()
    if args.rounds < 3:
        parser.error("--rounds: at least 3 (best and median)")
    main(args.rounds, args.renders)
