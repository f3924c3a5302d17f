"""Seat savings (subscriptions/insight/savings.py): unused and reclaimable seats and their money
per month and until renewal, at the customer's price and at cost."""

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from subscriptions.insight.savings import Holder, Prices, Seats, savings

NOW = datetime(2026, 6, 10, 12, tzinfo=UTC)
ACTIVE = Holder("Active", True, NOW - timedelta(days=2))


def holders(active=0, inactive=0, disabled=0, never=0):
    return (
        (ACTIVE,) * active
        + (Holder("Away", True, NOW - timedelta(days=30)),) * inactive
        + (Holder("Left", False, NOW - timedelta(days=1)),) * disabled
        + (Holder("New", True, None),) * never
    )


# Microsoft 365 Business Standard, P1Y billed monthly: 12.50 a seat a month to the customer,
# 10.20 at cost (prices per seat and cycle)
BUSINESS_STANDARD = Prices(
    unit_price=Decimal("12.50"),
    unit_cost=Decimal("10.20"),
    billing_frequency="monthly",
    term="P1Y",
    term_start=date(2026, 1, 15),
)


def test_twenty_seats_fourteen_consumed_three_inactive_one_disabled():
    result = savings(
        Seats(purchased=20, consumed=14, holders=holders(active=10, inactive=3, disabled=1)),
        BUSINESS_STANDARD,
        now=NOW,
    )
    assert (result.unused, result.reclaimable, result.seats) == (6, 4, 10)
    assert result.monthly_price == Decimal("125.00")
    assert result.monthly_cost == Decimal("102.00")
    # term 2026-01-15..2027-01-14 (365 days), 219 days left from 2026-06-10:
    # 10 seats × 12.50 × 12 × 219 / 365 = 900.00; at cost 10.20 → 734.40
    assert result.until_renewal_price == Decimal("900.00")
    assert result.until_renewal_cost == Decimal("734.40")
    assert result.renewal == date(2027, 1, 15)


@pytest.mark.parametrize(
    ("frequency", "term", "unit_price", "monthly"),
    [
        ("monthly", "P1M", "6.00", "6.00"),
        ("annual", "P1Y", "72.00", "6.00"),  # upfront year ÷ 12
        ("triennial", "P3Y", "216.00", "6.00"),  # upfront three years ÷ 36
        ("monthly", "P3Y", "5.55", "5.55"),
        ("annual", "P1Y", "100.00", "8.33"),  # 8.333… rounds half-up to the cent
    ],
)
def test_a_seat_month_from_the_cycle_price(frequency, term, unit_price, monthly):
    prices = Prices(
        unit_price=Decimal(unit_price),
        unit_cost=Decimal(0),
        billing_frequency=frequency,
        term=term,
        term_start=date(2026, 6, 1),
    )
    assert savings(Seats(2, 1), prices, now=NOW).monthly_price == Decimal(monthly)


@pytest.mark.parametrize(
    ("holder", "reclaimable"),
    [
        (Holder("a", True, NOW - timedelta(days=29, hours=23)), False),
        (Holder("b", True, NOW - timedelta(days=30)), True),  # 30 days: inactive
        (Holder("c", False, NOW), True),  # disabled, even if signed in today
        (Holder("d", True, None), True),  # never signed in
    ],
)
def test_who_is_reclaimable(holder, reclaimable):
    assert savings(Seats(1, 1, (holder,)), BUSINESS_STANDARD, now=NOW).reclaimable == int(
        reclaimable
    )


def test_more_consumed_than_purchased_is_not_negative():
    assert savings(Seats(5, 7), BUSINESS_STANDARD, now=NOW).unused == 0


def test_after_the_term_nothing_is_left_until_renewal():
    late = datetime(2027, 2, 1, tzinfo=UTC)
    assert savings(Seats(5, 1), BUSINESS_STANDARD, now=late).until_renewal_price == 0


@given(
    purchased=st.integers(0, 300),
    consumed=st.integers(0, 300),
    inactive=st.integers(0, 20),
    disabled=st.integers(0, 20),
)
def test_savings_grow_with_seats(purchased, consumed, inactive, disabled):
    result = savings(
        Seats(purchased, consumed, holders(inactive=inactive, disabled=disabled)),
        BUSINESS_STANDARD,
        now=NOW,
    )
    assert result.seats == max(purchased - consumed, 0) + inactive + disabled
    assert result.monthly_price == (result.seats * Decimal("12.50")).quantize(Decimal("0.01"))
    assert result.monthly_cost <= result.monthly_price
