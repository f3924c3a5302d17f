from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from billing.periods import (
    Period,
    billing_period,
    period_start_day,
    period_starting_in,
    periods_between,
    usage_month,
)

OVR = {"GB": 15, "DE": 28, "FR": 1}


@pytest.mark.parametrize(
    ("country", "on", "start", "end"),
    [
        ("US", date(2026, 1, 1), date(2026, 1, 1), date(2026, 1, 31)),
        ("US", date(2026, 1, 31), date(2026, 1, 1), date(2026, 1, 31)),
        ("US", date(2026, 2, 14), date(2026, 2, 1), date(2026, 2, 28)),
        ("US", date(2028, 2, 29), date(2028, 2, 1), date(2028, 2, 29)),  # leap February
        ("US", date(2026, 12, 31), date(2026, 12, 1), date(2026, 12, 31)),
        ("US", date(2027, 1, 1), date(2027, 1, 1), date(2027, 1, 31)),  # Dec → Jan
        ("CA", date(2026, 1, 19), date(2025, 12, 20), date(2026, 1, 19)),
        ("CA", date(2026, 1, 20), date(2026, 1, 20), date(2026, 2, 19)),
        ("CA", date(2026, 6, 25), date(2026, 6, 20), date(2026, 7, 19)),
        ("CA", date(2028, 2, 29), date(2028, 2, 20), date(2028, 3, 19)),
        ("CA", date(2026, 12, 31), date(2026, 12, 20), date(2027, 1, 19)),
        ("GB", date(2026, 3, 14), date(2026, 2, 15), date(2026, 3, 14)),  # override day 15
        ("GB", date(2026, 3, 15), date(2026, 3, 15), date(2026, 4, 14)),
        ("GB", date(2027, 1, 2), date(2026, 12, 15), date(2027, 1, 14)),
        ("DE", date(2028, 2, 28), date(2028, 2, 28), date(2028, 3, 27)),
        ("DE", date(2028, 2, 27), date(2028, 1, 28), date(2028, 2, 27)),
        ("AU", date(2026, 2, 10), date(2026, 2, 1), date(2026, 2, 28)),  # no override
    ],
)
def test_billing_period(country, on, start, end):
    assert billing_period(country, on, overrides=OVR) == Period(start, end)


@pytest.mark.parametrize(
    ("country", "overrides", "day"),
    [
        ("US", None, 1),
        ("CA", None, 20),
        ("GB", None, 1),
        ("GB", {"GB": 15}, 15),
        ("US", {"US": 10}, 1),
        ("CA", {"CA": 1}, 20),  # fixed by DESIGN
    ],
)
def test_period_start_day(country, overrides, day):
    assert period_start_day(country, overrides) == day


@pytest.mark.parametrize("bad", [0, 29, 31, -1, "15", 15.0, True])
def test_start_day_must_be_1_to_28(bad):
    with pytest.raises(ValueError, match="start day must be a whole number from 1 to 28"):
        period_start_day("GB", {"GB": bad})


def test_period_basics():
    p = Period(date(2026, 6, 20), date(2026, 7, 19))
    assert p.label == "2026-06-20 – 2026-07-19"
    assert p.days == 30
    assert p.contains(date(2026, 6, 20)) and p.contains(date(2026, 7, 19))
    assert not p.contains(date(2026, 6, 19)) and date(2026, 7, 20) not in p
    assert p.next() == Period(date(2026, 7, 20), date(2026, 8, 19))
    assert p.previous() == Period(date(2026, 5, 20), date(2026, 6, 19))
    assert Period(date(2026, 1, 1), date(2026, 1, 31)).previous() == Period(
        date(2025, 12, 1), date(2025, 12, 31)
    )
    with pytest.raises(ValueError, match="cannot end"):
        Period(date(2026, 2, 1), date(2026, 1, 31))


def test_periods_between():
    got = periods_between("CA", date(2025, 12, 25), date(2026, 2, 20))
    assert [p.label for p in got] == [
        "2025-12-20 – 2026-01-19",
        "2026-01-20 – 2026-02-19",
        "2026-02-20 – 2026-03-19",
    ]
    assert periods_between("US", date(2026, 5, 5), date(2026, 5, 5)) == [
        Period(date(2026, 5, 1), date(2026, 5, 31))
    ]
    with pytest.raises(ValueError, match="before its start"):
        periods_between("US", date(2026, 5, 5), date(2026, 5, 4))


countries = st.sampled_from(["US", "CA", "GB", "DE", "FR", "AU"])
day_overrides = st.dictionaries(
    st.sampled_from(["GB", "DE", "FR", "AU"]), st.integers(min_value=1, max_value=28)
)
dates = st.dates(min_value=date(2019, 1, 1), max_value=date(2040, 12, 31))


@given(country=countries, overrides=day_overrides, on=dates)
def test_periods_tile_time(country, overrides, on):
    p = billing_period(country, on, overrides=overrides)
    assert p.contains(on)
    assert p.start.day == period_start_day(country, overrides)
    assert 28 <= p.days <= 31
    nxt, prev = p.next(), p.previous()
    assert nxt.start == p.end + timedelta(days=1) and prev.end == p.start - timedelta(days=1)
    assert nxt.previous() == p and prev.next() == p
    # the period of the day after the end, or before the start, is the neighbour
    assert billing_period(country, p.end + timedelta(days=1), overrides=overrides) == nxt
    assert billing_period(country, p.start - timedelta(days=1), overrides=overrides) == prev


@given(
    country=countries,
    overrides=day_overrides,
    start=dates,
    length=st.integers(min_value=0, max_value=800),
    data=st.data(),
)
def test_each_date_lies_in_exactly_one_period(country, overrides, start, length, data):
    end = start + timedelta(days=length)
    got = periods_between(country, start, end, overrides=overrides)
    assert got[0].contains(start) and got[-1].contains(end)
    for a, b in zip(got, got[1:], strict=False):
        assert b.start == a.end + timedelta(days=1)
    d = start + timedelta(days=data.draw(st.integers(0, length)))
    holders = [p for p in got if p.contains(d)]
    assert holders == [billing_period(country, d, overrides=overrides)]


@pytest.mark.parametrize(
    ("country", "overrides", "start", "end"),
    [
        ("US", {}, date(2026, 6, 1), date(2026, 6, 30)),
        ("CA", {}, date(2026, 6, 20), date(2026, 7, 19)),
        ("GB", {"GB": 28}, date(2026, 6, 28), date(2026, 7, 27)),
    ],
)
def test_the_period_starting_in_a_month(country, overrides, start, end):
    """Operations' report of every reseller shows each reseller's period that starts in the
    month chosen; its Azure plan usage is the month before, for every country."""
    for day in (1, 15, 30):
        period = period_starting_in(country, date(2026, 6, day), overrides=overrides)
        assert (period.start, period.end) == (start, end)
        assert usage_month(period).start == date(2026, 5, 1)
