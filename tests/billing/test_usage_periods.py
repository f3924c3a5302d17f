"""Azure plan usage is billed in arrears by the previous period of the reseller's own country
(DESIGN.md "Billing periods"): Canada the previous 20th–19th period, US the previous calendar
month; every usage day lands on exactly one invoice."""

import datetime as dt
from decimal import Decimal as D

import pytest
from django_scopes import scopes_disabled

from billing import services
from billing.models import BillingLine, Invoice
from tests.factories import CustomerFactory, SubscriptionFactory

pytestmark = pytest.mark.django_db

# usage days around the period ends, each with its own power of two, so a sum names its days
CA_DAYS = {
    dt.date(2026, 9, 19): "1.00",
    dt.date(2026, 9, 20): "2.00",
    dt.date(2026, 10, 19): "4.00",
    dt.date(2026, 10, 20): "8.00",
    dt.date(2026, 11, 19): "16.00",
    dt.date(2026, 11, 20): "32.00",
}
US_DAYS = {
    dt.date(2026, 9, 30): "1.00",
    dt.date(2026, 10, 1): "2.00",
    dt.date(2026, 10, 31): "4.00",
    dt.date(2026, 11, 1): "8.00",
    dt.date(2026, 11, 30): "16.00",
    dt.date(2026, 12, 1): "32.00",
}


def _usage_by_run(ops, reseller, days, usage_factory, run_dates):
    customer = CustomerFactory(
        reseller=reseller, currency=reseller.currency, country=reseller.country
    )
    sub = SubscriptionFactory(reseller=reseller, customer=customer)
    for day, cost in days.items():
        usage_factory(sub, on=day, cost=cost)
    result = {}
    for on in run_dates:
        [run] = services.billing_run_start(user=ops, on_date=on, reseller=reseller)
        run = services.billing_run_compute(run_id=run.pk)
        with scopes_disabled():
            line = BillingLine.objects.filter(run=run, kind="usage").first()
            invoice = Invoice.objects.filter(run=run).first()
        result[(run.period_start, run.period_end)] = (
            line and (line.cost_amount, line.description.rsplit(" usage ", 1)[1]),
            invoice and invoice.total,
        )
    return result


def test_canadian_usage_is_billed_in_the_next_20th_to_19th_period(ops, ca_reseller, usage_factory):
    billed = _usage_by_run(
        ops,
        ca_reseller,
        CA_DAYS,
        usage_factory,
        [dt.date(2026, 10, 1), dt.date(2026, 11, 1), dt.date(2026, 12, 1), dt.date(2027, 1, 1)],
    )
    # hand-checked: Sep 20 – Oct 19 bills Aug 20 – Sep 19 (1.00); Oct 20 – Nov 19 bills
    # Sep 20 – Oct 19 (2 + 4); Nov 20 – Dec 19 bills Oct 20 – Nov 19 (8 + 16); Dec 20 – Jan 19
    # bills Nov 20 – Dec 19 (32): 1 + 6 + 24 + 32 = 63 = every day once
    assert billed == {
        (dt.date(2026, 9, 20), dt.date(2026, 10, 19)): (
            (D("1.00"), "2026-08-20 – 2026-09-19"),
            D("1.00"),
        ),
        (dt.date(2026, 10, 20), dt.date(2026, 11, 19)): (
            (D("6.00"), "2026-09-20 – 2026-10-19"),
            D("6.00"),
        ),
        (dt.date(2026, 11, 20), dt.date(2026, 12, 19)): (
            (D("24.00"), "2026-10-20 – 2026-11-19"),
            D("24.00"),
        ),
        (dt.date(2026, 12, 20), dt.date(2027, 1, 19)): (
            (D("32.00"), "2026-11-20 – 2026-12-19"),
            D("32.00"),
        ),
    }


def test_us_usage_is_billed_in_the_next_calendar_month(ops, us_reseller, usage_factory):
    billed = _usage_by_run(
        ops,
        us_reseller,
        US_DAYS,
        usage_factory,
        [dt.date(2026, 10, 1), dt.date(2026, 11, 1), dt.date(2026, 12, 1), dt.date(2027, 1, 1)],
    )
    # hand-checked: October bills September (1), November October (2 + 4), December
    # November (8 + 16), January December (32): 63, every day once
    assert billed == {
        (dt.date(2026, 10, 1), dt.date(2026, 10, 31)): ((D("1.00"), "2026-09"), D("1.00")),
        (dt.date(2026, 11, 1), dt.date(2026, 11, 30)): ((D("6.00"), "2026-10"), D("6.00")),
        (dt.date(2026, 12, 1), dt.date(2026, 12, 31)): ((D("24.00"), "2026-11"), D("24.00")),
        (dt.date(2027, 1, 1), dt.date(2027, 1, 31)): ((D("32.00"), "2026-12"), D("32.00")),
    }
