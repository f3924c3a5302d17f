"""Billing runs computed in batches (one task, one transaction, the same queries for many
resellers): the same ledgers and invoices as run by run, one bad run does not hold back the
others, and the fan-out packs the runs into batches by their resellers' subscriptions."""

import datetime as dt
from decimal import Decimal as D

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django_scopes import scopes_disabled

from billing import services
from billing.models import BillingLine, BillingRun, Invoice
from billing.selectors import document_lines
from billing.usage import summary
from portal.models import AuditEvent
from tests.factories import PriceBookFactory, PriceRuleFactory, ResellerFactory

pytestmark = pytest.mark.django_db


def written():
    """Every ledger line, invoice and draft invoice line, without ids or timestamps."""
    with scopes_disabled():
        lines = sorted(
            BillingLine.objects.values_list(
                "reseller_id",
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
            )
        )
        invoices = sorted(
            Invoice.objects.values_list(
                "reseller_id",
                "period_start",
                "currency",
                "status",
                "subtotal",
                "tax_rate",
                "tax_amount",
                "total",
            )
        )
        invoice_lines = sorted(
            (i.reseller_id, i.currency, x.position, x.customer_name, x.description, x.amount)
            for i in Invoice.objects.all()
            for x in document_lines(i)
        )
    return lines, invoices, invoice_lines


def open_runs(ops, resellers, on_date):
    return [
        run.pk for run in services.billing_runs_open(user=ops, on_date=on_date, resellers=resellers)
    ]


@pytest.fixture
def channel(ops, us_reseller, ca_reseller, charge_factory, usage_factory):
    """Two US resellers and a Canadian one with seat charges and Azure usage priced by their
    books; the US resellers' May runs were finalized at 10:00 and 11:00, with charges dated in
    May recorded at 10:30 and 11:30."""
    other_us = ResellerFactory(name="Beta Cloud", country="US", currency="USD")
    resellers = [us_reseller, ca_reseller, other_us]
    subs = {}
    for n, reseller in enumerate(resellers):
        first = charge_factory(
            reseller,
            on=dt.date(2026, 5, 21) if reseller.country == "CA" else dt.date(2026, 6, 1),
            cost=f"{100 + n}.00",
        )
        subs[reseller.pk] = first.subscription
        usage_factory(first.subscription, on=dt.date(2026, 5, 3), cost=f"10.12345{n}")
        PriceRuleFactory(
            book=PriceBookFactory(reseller=reseller, customer=None),
            percent=D(f"{10 + n}"),
            effective_from=dt.date(2026, 1, 1),
        )
    with time_machine.travel(dt.datetime(2026, 5, 2, tzinfo=dt.UTC), tick=False):
        may = open_runs(ops, [us_reseller, other_us], dt.date(2026, 5, 1))
        services.billing_runs_compute(run_ids=may)

    def at(hour, minute=0):
        return time_machine.travel(dt.datetime(2026, 5, 2, hour, minute, tzinfo=dt.UTC))

    def may_charge(reseller, on, cost):
        charge_factory(
            reseller,
            subscription=subs[reseller.pk],
            kind="seat_increase",
            on=on,
            cost=cost,
            price=cost,
            quantity=1,
        )

    with scopes_disabled(), at(10):
        services.billing_run_finalize(user=ops, run=BillingRun.objects.get(pk=may[0]))
    with at(10, 30):  # after the first US reseller's May was finalized, before the other's
        may_charge(us_reseller, dt.date(2026, 5, 25), "3.33")
        may_charge(other_us, dt.date(2026, 5, 20), "7.77")
    with scopes_disabled(), at(11):
        services.billing_run_finalize(user=ops, run=BillingRun.objects.get(pk=may[1]))
    with at(11, 30):
        may_charge(other_us, dt.date(2026, 5, 28), "2.22")
    return resellers


def test_a_batch_writes_what_the_runs_write_one_by_one(ops, channel):
    runs = open_runs(ops, channel, dt.date(2026, 6, 19))
    for run_id in runs:
        services.billing_run_compute(run_id=run_id)
    one_by_one = written()
    with scopes_disabled():
        Invoice.objects.filter(status="draft").delete()
        BillingLine.objects.filter(run_id__in=runs).delete()
    computed = services.billing_runs_compute(run_ids=runs)
    assert [run.state_label for run in computed] == ["Computed (draft)"] * 3
    assert written() == one_by_one

    # hand-checked: each reseller's own period (Canada 20 May–19 June bills the usage of
    # 20 April–19 May, which holds May 3) and its own late charges: the 7.77 of 10:30 was on
    # the second reseller's May invoice, finalized at 11:00; usage 10.12345n → 10.12, price
    # with the book's markup 10 % → 11.135795 → 11.14, 11 % → 11.23703061 → 11.24,
    # 12 % → 11.33826624 → 11.34
    lines, invoices, _ = one_by_one
    us, ca, other = channel
    assert {(x[0], x[1], x[5]): (x[9], x[10]) for x in lines} == {
        (us.pk, dt.date(2026, 6, 1), "cycle"): (D("100.00"), D("120.00")),
        (us.pk, dt.date(2026, 6, 1), "usage"): (D("10.12"), D("11.14")),
        (us.pk, dt.date(2026, 6, 1), "adjustment"): (D("3.33"), D("3.33")),
        (ca.pk, dt.date(2026, 5, 20), "cycle"): (D("101.00"), D("120.00")),
        (ca.pk, dt.date(2026, 5, 20), "usage"): (D("10.12"), D("11.24")),
        (other.pk, dt.date(2026, 5, 1), "seat_increase"): (D("7.77"), D("7.77")),
        (other.pk, dt.date(2026, 6, 1), "cycle"): (D("102.00"), D("120.00")),
        (other.pk, dt.date(2026, 6, 1), "usage"): (D("10.12"), D("11.34")),
        (other.pk, dt.date(2026, 6, 1), "adjustment"): (D("2.22"), D("2.22")),
    }
    assert [(x[0], x[1], x[2], x[3], x[7]) for x in invoices] == [
        (us.pk, dt.date(2026, 6, 1), "USD", "draft", D("113.45")),
        (ca.pk, dt.date(2026, 5, 20), "CAD", "draft", D("111.12")),
        (other.pk, dt.date(2026, 5, 1), "USD", "finalized", D("7.77")),
        (other.pk, dt.date(2026, 6, 1), "USD", "draft", D("114.34")),
    ]


def test_a_batch_costs_the_queries_of_one_run(ops, charge_factory, usage_factory):
    def compute(resellers):
        for reseller in resellers:
            first = charge_factory(reseller)
            charge_factory(
                reseller,
                subscription=first.subscription,
                kind="seat_increase",
                on=dt.date(2026, 6, 9),
                cost="5.00",
                price="6.00",
                quantity=1,
            )
            usage_factory(first.subscription, on=dt.date(2026, 5, 9), cost="1.25")
            PriceBookFactory(reseller=reseller, customer=None)
        runs = open_runs(ops, resellers, dt.date(2026, 6, 1))
        with CaptureQueriesContext(connection) as first_run:
            services.billing_runs_compute(run_ids=runs)
        with CaptureQueriesContext(connection) as again:
            services.billing_runs_compute(run_ids=runs)
        return len(first_run), len(again)

    two = compute([ResellerFactory() for _ in range(2)])
    seven = compute([ResellerFactory() for _ in range(7)])
    assert seven == two


def test_one_run_that_cannot_be_billed_does_not_hold_back_its_batch(
    ops, us_reseller, charge_factory, usage_factory
):
    from billing.usage.models import UsageLine

    good = ResellerFactory(name="Good Cloud")
    charge_factory(good, cost="40.00")
    sub = charge_factory(us_reseller).subscription
    usage_factory(sub, on=dt.date(2026, 5, 3), cost="1.00")
    line = usage_factory(sub, on=dt.date(2026, 5, 4), cost="2.00")
    with scopes_disabled():  # one subscription's usage under two customers: not billable
        UsageLine.objects.filter(pk=line.pk).update(
            customer=charge_factory(us_reseller).customer, meter_id="m-2"
        )
    summary.refresh({(us_reseller.pk, dt.date(2026, 5, 1))})
    bad_run, good_run = open_runs(ops, [us_reseller, good], dt.date(2026, 6, 1))

    services.billing_runs_compute(run_ids=[bad_run, good_run])
    with scopes_disabled():
        bad, fine = (BillingRun.objects.get(pk=bad_run), BillingRun.objects.get(pk=good_run))
        assert bad.state_label == "Failed" and "names several customers" in bad.error
        assert not BillingLine.objects.filter(run=bad).exists()
        assert fine.state_label == "Computed (draft)"
        assert Invoice.objects.get(run=fine).total == D("40.00")


def test_the_fan_out_packs_resellers_by_subscriptions_and_every_run_is_computed(
    ops, charge_factory, settings
):
    settings.BILLING_SUBSCRIPTIONS_PER_TASK = 3
    resellers = [ResellerFactory() for _ in range(6)]
    for n, reseller in enumerate(resellers):  # 1, 1, 4, 1, 1, 1 subscriptions
        for _ in range(4 if n == 2 else 1):
            charge_factory(reseller, cost="10.00")
    runs = open_runs(ops, resellers, dt.date(2026, 6, 1))
    # the 4-subscription reseller is a batch of its own; the others go up to 3 a batch
    assert services.billing_run_batches(runs) == [runs[:2], runs[2:3], runs[3:]]
    assert services.billing_runs_fan_out_task.apply(args=[runs]).get() == 3
    with scopes_disabled():
        assert (
            BillingRun.objects.filter(pk__in=runs, finished_at__isnull=False, error="").count() == 6
        )
        assert sorted(Invoice.objects.values_list("total", flat=True)) == [D("10.00")] * 5 + [
            D("40.00")
        ]


def test_opening_runs_is_idempotent_audited_and_leaves_finalized_runs_alone(
    ops, us_reseller, ca_reseller, charge_factory
):
    charge_factory(us_reseller)
    with CaptureQueriesContext(connection) as opening:
        first = services.billing_runs_open(
            user=ops, on_date=dt.date(2026, 6, 25), resellers=[us_reseller, ca_reseller]
        )
    assert [(r.reseller, r.period_start) for r in first] == [
        (us_reseller, dt.date(2026, 6, 1)),
        (ca_reseller, dt.date(2026, 6, 20)),
    ]
    services.billing_runs_compute(run_ids=[r.pk for r in first])
    with scopes_disabled():
        services.billing_run_finalize(user=ops, run=BillingRun.objects.get(pk=first[0].pk))
    again = services.billing_runs_open(
        user=ops, on_date=dt.date(2026, 6, 25), resellers=[us_reseller, ca_reseller]
    )
    assert [r.pk for r in again] == [first[1].pk]  # the finalized US run is left alone
    assert again[0].finished_at is None  # to be computed again
    with scopes_disabled():
        assert BillingRun.objects.count() == 2
        assert AuditEvent.objects.filter(action="billing.run.started").count() == 3
        assert (
            list(
                AuditEvent.objects.filter(action="billing.run.started", object_id=first[1].pk)
                .order_by("pk")
                .values_list("actor", "reseller", "object_type", "object_repr", "data")
            )
            == [
                (
                    ops.pk,
                    ca_reseller.pk,
                    "billing.billingrun",
                    str(first[1]),
                    {"period": first[1].period.label},
                )
            ]
            * 2
        )
    five = [ResellerFactory() for _ in range(5)]
    with CaptureQueriesContext(connection) as opening_five:
        services.billing_runs_open(user=ops, on_date=dt.date(2026, 6, 25), resellers=five)
    assert len(opening_five) == len(opening)  # however many resellers


def test_the_admin_shows_a_drafts_lines_on_its_run_and_a_finalized_invoices_below(
    ops, us_reseller, charge_factory, client, settings
):
    from django.urls import reverse

    from tests.factories import UserFactory

    charge_factory(us_reseller, cost="42.00", offer_name="Teams Premium")
    [run_id] = open_runs(ops, [us_reseller], dt.date(2026, 6, 1))
    services.billing_runs_compute(run_ids=[run_id])
    with scopes_disabled():
        invoice = Invoice.objects.get(run_id=run_id)
    settings.STAFF_MFA_REQUIRED = False
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    url = reverse("admin:billing_invoice_change", args=[invoice.pk])
    page = client.get(url).content.decode()
    assert "its lines are the run's ledger" in page
    assert reverse("billing_runs_ops:run", kwargs={"run_id": run_id}) in page
    with scopes_disabled():
        services.billing_run_finalize(user=ops, run=BillingRun.objects.get(pk=run_id))
    page = client.get(url).content.decode()
    assert "ledger until" not in page and "Teams Premium" in page and "42.00" in page
