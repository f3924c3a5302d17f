from datetime import date, timedelta
from decimal import Decimal as D

import pytest
from hypothesis import given
from hypothesis import strategies as st

from subscriptions.proration import MINOR_UNITS, billing_days, prorate, round_money
from subscriptions.rules import cycle_days, cycles


@pytest.mark.parametrize(
    ("amount", "currency", "expected"),
    [
        (D("2.345"), "USD", D("2.35")),
        (D("2.344999"), "USD", D("2.34")),
        (D("-2.345"), "CAD", D("-2.35")),  # halves away from zero
        (D("0.005"), "EUR", D("0.01")),
        (D("0.0049999999"), "GBP", D("0.00")),
        (D("322.5"), "JPY", D("323")),
        (D("10"), "USD", D("10.00")),
    ],
)
def test_round_money(amount, currency, expected):
    got = round_money(amount, currency)
    assert got == expected
    assert str(got) == str(expected)  # the minor unit's exponent, not just the value


def test_round_money_refuses_unknown_currency_and_floats():
    with pytest.raises(ValueError, match="Unknown currency 'XYZ'"):
        round_money(D("1"), "XYZ")
    with pytest.raises(TypeError, match="Decimal"):
        round_money(1.5, "USD")


def test_minor_units_cover_the_portal_currencies():
    for code in ("USD", "CAD", "EUR", "GBP", "AUD"):
        assert MINOR_UNITS[code] == 2


@pytest.mark.parametrize(
    ("event", "end", "days"),
    [
        (date(2026, 6, 10), date(2026, 6, 30), 21),
        (date(2026, 6, 30), date(2026, 6, 30), 1),
        (date(2027, 12, 31), date(2028, 1, 30), 31),
    ],
)
def test_billing_days(event, end, days):
    assert billing_days(event, end) == days


JUN = (date(2026, 6, 1), date(2026, 6, 30))  # 30 days
NCE_JUN = (date(2026, 6, 18), date(2026, 7, 17))  # 30 days
FEB_CYCLE = (date(2026, 1, 31), date(2026, 2, 27))  # 28 days (bought Jan 31)
YEAR_2026 = (date(2026, 1, 1), date(2026, 12, 31))  # 365 days
YEAR_2028 = (date(2028, 1, 1), date(2028, 12, 31))  # 366 days


@pytest.mark.parametrize(
    ("price", "qty", "event", "cycle", "currency", "expected"),
    [
        # 12.50 × 3 seats bought on day 10 of a 30-day cycle: 21 days → 12.50 × 3 × 21/30
        (D("12.50"), 3, date(2026, 6, 10), JUN, "USD", D("26.25")),
        (D("12.50"), 3, date(2026, 6, 1), JUN, "USD", D("37.50")),  # whole cycle
        (D("12.50"), 3, date(2026, 6, 30), JUN, "USD", D("1.25")),  # last day is charged
        (D("22.00"), 1, date(2026, 7, 17), NCE_JUN, "USD", D("0.73")),  # 22/30 = 0.7333
        (D("22.00"), 5, date(2026, 2, 14), FEB_CYCLE, "CAD", D("55.00")),  # 110 × 14/28
        (D("264.00"), 2, date(2026, 7, 1), YEAR_2026, "USD", D("266.17")),  # 528 × 184/365
        (D("264.00"), 1, date(2028, 12, 31), YEAR_2028, "USD", D("0.72")),  # 264/366 = 0.7213
        (D("0.09"), 1, date(2026, 6, 16), JUN, "USD", D("0.05")),  # 0.045 → half up
        (D("0.09"), -1, date(2026, 6, 16), JUN, "USD", D("-0.05")),  # credit mirrors it
        (D("20.833333"), 4, date(2026, 6, 25), NCE_JUN, "EUR", D("63.89")),  # 83.333332×23/30
        (D("1000"), 1, date(2026, 6, 21), (date(2026, 5, 31), date(2026, 6, 29)), "JPY", D("300")),
    ],
)
def test_prorate_table(price, qty, event, cycle, currency, expected):
    got = prorate(
        cycle_price=price,
        quantity=qty,
        event_date=event,
        cycle_start=cycle[0],
        cycle_end=cycle[1],
        currency=currency,
    )
    assert got == expected and str(got) == str(expected)


@pytest.mark.parametrize("event", [date(2026, 5, 31), date(2026, 7, 1)])
def test_prorate_refuses_events_outside_the_cycle(event):
    with pytest.raises(ValueError, match=f"The event date {event} is outside the cycle"):
        prorate(
            cycle_price=D("10"),
            quantity=1,
            event_date=event,
            cycle_start=JUN[0],
            cycle_end=JUN[1],
            currency="USD",
        )


@pytest.mark.parametrize(("price", "qty"), [(10.0, 1), (D("10"), 1.0), (D("10"), True)])
def test_prorate_refuses_floats(price, qty):
    with pytest.raises(TypeError):
        prorate(
            cycle_price=price,
            quantity=qty,
            event_date=JUN[0],
            cycle_start=JUN[0],
            cycle_end=JUN[1],
            currency="USD",
        )


def test_prorate_refuses_unknown_currency():
    with pytest.raises(ValueError, match="Unknown currency"):
        prorate(
            cycle_price=D("10"),
            quantity=1,
            event_date=JUN[0],
            cycle_start=JUN[0],
            cycle_end=JUN[1],
            currency="ZZZ",
        )


prices = st.decimals(
    min_value=D("0"), max_value=D("100000"), places=6, allow_nan=False, allow_infinity=False
)
starts = st.dates(min_value=date(2020, 1, 1), max_value=date(2035, 12, 31))
currencies = st.sampled_from(["USD", "CAD", "EUR", "JPY"])


def a_cycle(start, freq):
    return cycles(start, "P1Y" if freq == "annual" else "P1M", freq)[0]


@given(
    price=prices,
    qty=st.integers(min_value=-500, max_value=500),
    start=starts,
    freq=st.sampled_from(["monthly", "annual"]),
    currency=currencies,
)
def test_full_cycle_is_price_times_quantity(price, qty, start, freq, currency):
    s, e = a_cycle(start, freq)
    got = prorate(
        cycle_price=price, quantity=qty, event_date=s, cycle_start=s, cycle_end=e, currency=currency
    )
    assert got == round_money(price * qty, currency)


@given(
    price=prices,
    qty=st.integers(min_value=1, max_value=500),
    start=starts,
    freq=st.sampled_from(["monthly", "annual"]),
    currency=currencies,
    data=st.data(),
)
def test_proration_is_monotone_and_credit_mirrors_charge(price, qty, start, freq, currency, data):
    s, e = a_cycle(start, freq)
    day = s + timedelta(days=data.draw(st.integers(0, cycle_days(s, e) - 1)))
    kw = {"cycle_price": price, "cycle_start": s, "cycle_end": e, "currency": currency}
    charge = prorate(quantity=qty, event_date=day, **kw)
    assert prorate(quantity=-qty, event_date=day, **kw) == -charge
    assert D(0) <= charge <= prorate(quantity=qty, event_date=s, **kw)
    if day < e:
        assert prorate(quantity=qty, event_date=day + timedelta(days=1), **kw) <= charge


@given(price=prices, qty=st.integers(min_value=1, max_value=500), start=starts, currency=currencies)
def test_daily_prorations_add_up_to_the_cycle_price(price, qty, start, currency):
    # one seat-day at a time: each day prorated on a one-day slice of the cycle's rate
    s, e = a_cycle(start, "monthly")
    n = cycle_days(s, e)
    unit = D(1).scaleb(-MINOR_UNITS[currency])
    daily = [
        prorate(
            cycle_price=price,
            quantity=qty,
            event_date=d,
            cycle_start=s,
            cycle_end=e,
            currency=currency,
        )
        - (
            prorate(
                cycle_price=price,
                quantity=qty,
                event_date=d + timedelta(days=1),
                cycle_start=s,
                cycle_end=e,
                currency=currency,
            )
            if d < e
            else 0
        )
        for d in (s + timedelta(days=i) for i in range(n))
    ]
    assert sum(daily) == round_money(price * qty, currency)  # differences telescope exactly
    # a one-day proration (event on the last day) repeated n times: within 1 minor unit a day
    one_day = prorate(
        cycle_price=price, quantity=qty, event_date=e, cycle_start=s, cycle_end=e, currency=currency
    )
    assert abs(one_day * n - price * qty) <= unit * n
