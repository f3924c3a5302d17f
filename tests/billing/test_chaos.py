"""Billing chaos (issue 11): a real Celery worker on Redis computes a billing run for many
resellers against PostgreSQL, is killed (SIGKILL) mid-run and restarted. The result must equal
an uninterrupted computation: same ledger, same invoices, no duplicate, gapless numbers."""

import datetime as dt
import os
import signal
import subprocess
import sys
import time
from decimal import Decimal as D

import pytest
from django.conf import settings
from django.db import connection
from django_scopes import scopes_disabled

from billing import services
from billing.models import BillingLine, BillingRun, Invoice, InvoiceLine
from billing.selectors import document_lines
from portal.celery import app
from tests.factories import ResellerFactory

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(
        not settings.REDIS_URL or connection.vendor != "postgresql",
        reason="needs REDIS_URL and DATABASE_URL on PostgreSQL (as in .ci/run)",
    ),
]

RESELLERS = 30
ON = dt.date(2026, 6, 25)


def start_worker():
    db = connection.settings_dict
    env = {
        **os.environ,
        "DATABASE_URL": f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}",
        "DJANGO_SETTINGS_MODULE": "portal.settings_test",
        "CELERY_TASK_ALWAYS_EAGER": "0",
        # several batches of runs (4 subscriptions a reseller here), so that the kill
        # falls between and inside them
        "BILLING_SUBSCRIPTIONS_PER_TASK": "16",
        # a killed worker's unacknowledged task comes back after 2 s, not an hour
        "CELERY_VISIBILITY_TIMEOUT": "2",
    }
    return subprocess.Popen(  # noqa: S603 - our own fixed command line
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "portal",
            "worker",
            "--pool=solo",
            "--loglevel=WARNING",
            "--without-heartbeat",
            "--without-gossip",
            "--without-mingle",
            "-Q",
            ",".join(q.name for q in settings.CELERY_TASK_QUEUES),
            "-n",
            f"chaos-{time.monotonic_ns()}@%h",
        ],
        cwd=settings.BASE_DIR,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def snapshot():
    """Everything a run produces, without database ids or timestamps."""
    with scopes_disabled():
        lines = sorted(
            BillingLine.objects.values_list(
                "reseller_id",
                "period_start",
                "period_end",
                "customer_id",
                "subscription_id",
                "kind",
                "description",
                "quantity",
                "cost_amount",
                "price_amount",
                "currency",
            )
        )
        invoices = sorted(
            Invoice.objects.values_list(
                "reseller_id",
                "period_start",
                "period_end",
                "currency",
                "status",
                "subtotal",
                "tax_amount",
                "total",
            )
        )
        invoice_lines = sorted(
            (
                invoice.reseller_id,
                invoice.currency,
                x.position,
                x.customer_name,
                x.description,
                x.quantity,
                x.amount,
            )
            for invoice in Invoice.objects.all()
            for x in document_lines(invoice)
        )
    return lines, invoices, invoice_lines


def wait_for(condition, timeout, what):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.02)
    raise AssertionError(f"timed out waiting for {what}")


def forget_earlier_messages():
    """Start from an empty broker: queued messages and the ones an earlier killed worker left
    unacknowledged (kombu keeps those in Redis and would redeliver them here)."""
    app.control.purge()
    with app.connection_for_write() as conn:
        conn.default_channel.client.delete("unacked", "unacked_index", "unacked_mutex")


def counts():
    with scopes_disabled():
        return (
            BillingRun.objects.filter(finished_at__isnull=False).count(),
            Invoice.objects.exclude(pdf="").count(),
            Invoice.objects.count(),
        )


@pytest.fixture
def channel(transactional_db, charge_factory, usage_factory):
    """30 US and Canadian resellers with seat charges, credits and Azure plan usage."""
    resellers = []
    for n in range(RESELLERS):
        country, currency = ("US", "USD") if n % 2 else ("CA", "CAD")
        reseller = ResellerFactory(country=country, currency=currency)
        for k in range(3):
            first = charge_factory(
                reseller, on=dt.date(2026, 6, 21 + k), cost=f"{10 + n}.{k}5", price=f"{12 + n}.{k}9"
            )
            charge_factory(
                reseller,
                subscription=first.subscription,
                kind="seat_increase",
                on=dt.date(2026, 6, 24),
                cost="3.33",
                price="4.01",
                quantity=1,
            )
        charge_factory(
            reseller, kind="cancel", on=dt.date(2026, 6, 25), cost="-7.77", price="-9.10"
        )
        # May 25: in the usage both countries bill in the period of June 25 (US May, Canada
        # May 20 – June 19)
        usage_factory(first.subscription, on=dt.date(2026, 5, 25), cost=f"0.{n:02d}49999999")
        resellers.append(reseller)
    return resellers


def test_killed_worker_leaves_the_same_ledger_and_invoices_as_an_uninterrupted_run(channel, ops):
    # the uninterrupted reference, computed in this process
    with scopes_disabled():
        for reseller in channel:
            period = services.selectors.reseller_period(reseller, ON)
            run = BillingRun.objects.create(
                reseller=reseller, period_start=period.start, period_end=period.end
            )
            services.billing_run_compute(run_id=run.pk)
    reference = snapshot()
    assert len(reference[0]) == RESELLERS * 8 and len(reference[1]) == RESELLERS
    with scopes_disabled():
        InvoiceLine.objects.all().delete()
        Invoice.objects.all().delete()
        BillingLine.objects.all().delete()
        BillingRun.objects.all().delete()

    forget_earlier_messages()
    eager = app.conf.task_always_eager
    app.conf.task_always_eager = False
    worker = start_worker()
    try:
        runs = services.billing_run_start(user=ops, on_date=ON)  # fan-out sent on commit
        assert len(runs) == RESELLERS
        # kill the worker in the middle: some runs computed, not every PDF rendered
        wait_for(lambda: counts()[0] >= 3, 60, "the first runs to be computed")
        worker.send_signal(signal.SIGKILL)
        worker.wait(timeout=10)
        computed, pdfs, _ = counts()
        assert pdfs < RESELLERS, "the worker finished before it could be killed"

        worker = start_worker()
        # generous: on a loaded two-core machine 30 runs and PDFs can take a while
        wait_for(
            lambda: counts() == (RESELLERS, RESELLERS, RESELLERS),
            240,
            "the restarted worker to finish every run and PDF",
        )
    finally:
        app.conf.task_always_eager = eager
        worker.kill()
        worker.wait(timeout=10)

    assert snapshot() == reference  # identical ledger and invoices, hence 0 duplicates
    with scopes_disabled():
        assert BillingRun.objects.filter(error="").count() == RESELLERS
        for invoice in Invoice.objects.all():
            assert invoice.pdf.read(5) == b"%PDF-"

        # finalize every run: numbers without gaps or repeats
        for run in BillingRun.objects.order_by("pk"):
            services.billing_run_finalize(user=ops, run=run)
        numbers = sorted(Invoice.objects.values_list("number", flat=True))
        year = numbers[0][4:8]
        assert numbers == [f"INV-{year}-{n:06d}" for n in range(1, RESELLERS + 1)]
        assert sum(Invoice.objects.values_list("total", flat=True)) == sum(
            (row[-1] for row in reference[1]), D(0)
        )
    print(
        f"chaos: killed after {computed} of {RESELLERS} runs and {pdfs} PDFs; "
        f"restarted worker finished; {len(reference[0])} ledger lines identical"
    )
