"""The billing run's set-based path (`services._recompute_in_sql`: charge lines summed, rounded,
described and diffed in one PostgreSQL statement) writes exactly what the pure ledger's path
writes (`_recompute_in_python`: `ledger.compute_lines` + `ledger.diff`), through every change a
draft goes through, and refuses what the pure ledger refuses with its own message."""

import datetime as dt
from decimal import Decimal as D

import pytest
from django.db import connection
from django_scopes import scopes_disabled

from billing import services
from billing.ledger import LedgerError
from billing.models import BillingLine, BillingRun, Invoice
from subscriptions.models import ChargeEvent
from tests.factories import CustomerFactory, PriceBookFactory, PriceRuleFactory, ResellerFactory

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(
        connection.vendor != "postgresql", reason="the set-based path is PostgreSQL's"
    ),
]

JUNE = dt.date(2026, 6, 1)


def written():
    """Every ledger line (with its time stamp) and invoice, without database ids."""
    with scopes_disabled():
        lines = sorted(
            BillingLine.objects.values_list(
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
            )
        )
        invoices = sorted(
            Invoice.objects.values_list(
                "reseller_id", "period_start", "currency", "subtotal", "tax_amount", "total"
            )
        )
    return lines, invoices


def stamps():
    with scopes_disabled():
        return dict(BillingLine.objects.values_list("pk", "updated_at"))


def compute_both(monkeypatch, run_ids):
    """Compute the runs by the pure path, keep what it wrote, delete it, compute them by the
    SQL path: (python's rows, sql's rows). Then both agree on the next change as well."""
    monkeypatch.setattr(services, "FAST_INSERT", False)
    services.billing_runs_compute(run_ids=run_ids)
    by_python = written()
    with scopes_disabled():
        Invoice.objects.filter(run_id__in=run_ids).delete()
        BillingLine.objects.filter(run_id__in=run_ids).delete()
    monkeypatch.setattr(services, "FAST_INSERT", True)
    services.billing_runs_compute(run_ids=run_ids)
    return by_python, written()


def open_runs(ops, resellers):
    with scopes_disabled():
        return [
            run.pk
            for run in services.billing_runs_open(user=ops, on_date=JUNE, resellers=resellers)
        ]


def test_sql_path_writes_what_the_pure_ledger_writes(
    monkeypatch, ops, us_reseller, ca_reseller, charge_factory, usage_factory
):
    # seat charges summed per (subscription, kind): credits, several events of one key
    first = charge_factory(us_reseller, cost="100.00", price="120.00")
    sub = first.subscription
    for on, kind, cost, price, qty in (
        (dt.date(2026, 6, 9), "seat_increase", "5.55", "6.66", 1),
        (dt.date(2026, 6, 19), "seat_increase", "1.01", "1.21", 2),
        (dt.date(2026, 6, 25), "seat_decrease", "-3.33", "-3.99", -1),
    ):
        charge_factory(
            us_reseller, subscription=sub, kind=kind, on=on, cost=cost, price=price, quantity=qty
        )
    # a key whose events name two customers: the line takes its first event's (here the one
    # with the higher id)
    transferred = charge_factory(us_reseller, kind="seat_increase", on=dt.date(2026, 6, 3))
    charge_factory(
        us_reseller,
        subscription=transferred.subscription,
        kind="seat_increase",
        on=dt.date(2026, 6, 4),
        cost="7.00",
        price="8.00",
    )
    new_customer = CustomerFactory(reseller=us_reseller)
    with scopes_disabled():
        ChargeEvent.objects.filter(pk=transferred.pk).update(customer=new_customer)
    # Azure plan usage, 10 decimals, priced by the default book (+12 %) and a customer's own
    # book (−3 %): 10.1250000005 → cost 10.13, price 10.1250000005 × 1.12 → 11.34
    azure = charge_factory(us_reseller, cost="0.00", price="0.00").subscription
    usage_factory(azure, on=dt.date(2026, 5, 3), cost="10.1234567890")
    usage_factory(azure, on=dt.date(2026, 5, 4), cost="0.0015432115")
    book = PriceBookFactory(reseller=us_reseller, customer=None)
    PriceRuleFactory(book=book, kind="markup", percent=D("12"), effective_from=dt.date(2026, 1, 1))
    own = charge_factory(us_reseller, cost="0.00", price="0.00").subscription
    usage_factory(own, on=dt.date(2026, 5, 5), cost="3.3333333333")
    own_book = PriceBookFactory(reseller=us_reseller, customer=own.customer)
    PriceRuleFactory(
        book=own_book, kind="discount", percent=D("3"), effective_from=dt.date(2026, 1, 1)
    )
    # a Canadian reseller in the same batch: another period (May 20 – June 19), CAD
    charge_factory(ca_reseller, on=dt.date(2026, 6, 2), cost="44.44", price="55.55")
    other = ResellerFactory(name="Gamma Cloud")
    charge_factory(other, cost="-12.34", price="-15.00", kind="cancel")

    runs = open_runs(ops, [us_reseller, ca_reseller, other])
    by_python, by_sql = compute_both(monkeypatch, runs)
    assert by_sql == by_python
    lines, _ = by_sql
    us_lines = {(x[5], x[6]): x for x in lines if x[0] == us_reseller.pk}
    assert us_lines[(sub.pk, "seat_increase")][9:12] == (D(3), D("6.56"), D("7.87"))
    assert us_lines[(transferred.subscription_id, "seat_increase")][4] == new_customer.pk
    assert us_lines[(azure.pk, "usage")][10:12] == (D("10.13"), D("11.34"))
    # 3.3333333333 × 0.97 = 3.233333333301 → 3.23
    assert us_lines[(own.pk, "usage")][10:12] == (D("3.33"), D("3.23"))

    # the draft changes: one charge more, one gone, one changed; by SQL only those lines are
    # written, and the pure ledger's diff then finds nothing left to change
    before = stamps()
    charge_factory(us_reseller, cost="9.99", price="11.11", kind="one_time")
    with scopes_disabled():
        ChargeEvent.objects.filter(subscription=sub, kind="seat_decrease").delete()
        ChargeEvent.objects.filter(pk=first.pk).update(price_amount=D("125.00"))
        cycle_line = BillingLine.objects.get(subscription=sub, kind="cycle").pk
    services.billing_runs_compute(run_ids=runs)
    by_sql, after = written(), stamps()
    assert {pk for pk in after if pk in before and after[pk] != before[pk]} == {cycle_line}
    assert len(set(after) - set(before)) == 1  # the one-time charge's line
    assert len(set(before) - set(after)) == 1  # the seat decrease's line
    monkeypatch.setattr(services, "FAST_INSERT", False)
    services.billing_runs_compute(run_ids=runs)
    assert (written(), stamps()) == (by_sql, after)


def test_sql_path_refuses_a_key_in_two_currencies_with_the_pure_ledgers_message(
    monkeypatch, ops, us_reseller, charge_factory
):
    first = charge_factory(us_reseller)
    odd = charge_factory(us_reseller, subscription=first.subscription, on=dt.date(2026, 6, 2))
    with scopes_disabled():
        ChargeEvent.objects.filter(pk=odd.pk).update(currency="CAD")
    [run_id] = open_runs(ops, [us_reseller])
    messages = []
    for fast in (False, True):
        monkeypatch.setattr(services, "FAST_INSERT", fast)
        with pytest.raises(LedgerError) as error, scopes_disabled():
            run = BillingRun.objects.select_related("reseller").get(pk=run_id)
            services._recompute([run])
        messages.append(str(error.value))
    assert messages[0] == messages[1]
    assert messages[0] == (
        f"Subscription {first.subscription_id} has cycle charges in CAD, USD; one line has one "
        "currency."
    )
