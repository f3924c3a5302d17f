from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal as D

import pytest
from hypothesis import given
from hypothesis import strategies as st

from subscriptions.rules import (
    BUSINESS_SEAT_CAP,
    WINDOW,
    Batch,
    RuleError,
    add_months,
    check_cancel,
    check_cap,
    check_frequency_change,
    check_perpetual_refund,
    check_quantity,
    check_ri_cancel,
    check_ri_exchange,
    check_term_change,
    cycle_containing,
    cycle_days,
    cycles,
    frequency_change_from,
    plan_seat_decrease,
    renewal_date,
    seats_removable_now,
    term_end,
    window_closes_at,
    window_open,
)

T0 = datetime(2026, 6, 18, 14, 0, tzinfo=UTC)


def h(hours, minutes=0):
    return T0 + timedelta(hours=hours, minutes=minutes)


# --- months, terms, cycles ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("d", "n", "expected"),
    [
        (date(2026, 1, 31), 1, date(2026, 2, 28)),
        (date(2028, 1, 31), 1, date(2028, 2, 29)),  # leap year
        (date(2026, 1, 31), 2, date(2026, 3, 31)),
        (date(2026, 3, 31), 1, date(2026, 4, 30)),
        (date(2026, 12, 15), 1, date(2027, 1, 15)),
        (date(2028, 2, 29), 12, date(2029, 2, 28)),
    ],
)
def test_add_months(d, n, expected):
    assert add_months(d, n) == expected


@pytest.mark.parametrize(
    ("start", "term", "end", "renews"),
    [
        (date(2026, 1, 31), "P1M", date(2026, 2, 27), date(2026, 2, 28)),  # DESIGN example
        (date(2028, 1, 31), "P1M", date(2028, 2, 28), date(2028, 2, 29)),
        (date(2021, 4, 15), "P1Y", date(2022, 4, 14), date(2022, 4, 15)),  # DESIGN example
        (date(2026, 6, 18), "P1M", date(2026, 7, 17), date(2026, 7, 18)),  # Jun 18 – Jul 17
        (date(2028, 2, 29), "P1Y", date(2029, 2, 27), date(2029, 2, 28)),
        (date(2026, 3, 1), "P3Y", date(2029, 2, 28), date(2029, 3, 1)),
        (date(2026, 12, 1), "P1M", date(2026, 12, 31), date(2027, 1, 1)),
    ],
)
def test_term_end_and_renewal(start, term, end, renews):
    assert term_end(start, term) == end
    assert renewal_date(start, term) == renews


def test_unknown_term_is_refused():
    with pytest.raises(RuleError, match="Unknown term 'P2Y'") as e:
        term_end(date(2026, 1, 1), "P2Y")
    assert e.value.code == "unknown_term"


@pytest.mark.parametrize(
    ("start", "end", "days"),
    [
        (date(2026, 6, 18), date(2026, 7, 17), 30),
        (date(2026, 1, 31), date(2026, 2, 27), 28),
        (date(2028, 2, 1), date(2028, 2, 29), 29),
        (date(2026, 1, 1), date(2026, 12, 31), 365),
        (date(2028, 1, 1), date(2028, 12, 31), 366),
        (date(2026, 5, 5), date(2026, 5, 5), 1),
    ],
)
def test_cycle_days(start, end, days):
    assert cycle_days(start, end) == days


def test_cycle_days_refuses_reversed_dates():
    with pytest.raises(ValueError, match="before it starts"):
        cycle_days(date(2026, 2, 1), date(2026, 1, 31))


@pytest.mark.parametrize(
    ("term_start", "freq", "on", "expected"),
    [
        (date(2026, 6, 18), "monthly", date(2026, 6, 18), (date(2026, 6, 18), date(2026, 7, 17))),
        (date(2026, 6, 18), "monthly", date(2026, 7, 17), (date(2026, 6, 18), date(2026, 7, 17))),
        (date(2026, 6, 18), "monthly", date(2026, 7, 18), (date(2026, 7, 18), date(2026, 8, 17))),
        # no drift: counted from the term start, the cycle after Feb 28 starts Mar 31 again
        (date(2026, 1, 31), "monthly", date(2026, 3, 30), (date(2026, 2, 28), date(2026, 3, 30))),
        (date(2026, 1, 31), "monthly", date(2026, 3, 31), (date(2026, 3, 31), date(2026, 4, 29))),
        (date(2026, 1, 31), "monthly", date(2026, 2, 27), (date(2026, 1, 31), date(2026, 2, 27))),
        (date(2027, 12, 31), "monthly", date(2028, 2, 29), (date(2028, 2, 29), date(2028, 3, 30))),
        (date(2026, 12, 20), "monthly", date(2027, 1, 5), (date(2026, 12, 20), date(2027, 1, 19))),
        (date(2021, 4, 15), "annual", date(2022, 4, 14), (date(2021, 4, 15), date(2022, 4, 14))),
        (date(2021, 4, 15), "annual", date(2023, 1, 1), (date(2022, 4, 15), date(2023, 4, 14))),
        (date(2028, 2, 29), "annual", date(2029, 3, 1), (date(2029, 2, 28), date(2030, 2, 27))),
        (date(2026, 3, 1), "triennial", date(2028, 7, 1), (date(2026, 3, 1), date(2029, 2, 28))),
    ],
)
def test_cycle_containing(term_start, freq, on, expected):
    assert cycle_containing(term_start, freq, on) == expected


def test_cycle_containing_refuses_dates_before_the_term():
    with pytest.raises(ValueError, match="before the term start"):
        cycle_containing(date(2026, 6, 18), "monthly", date(2026, 6, 17))


def test_cycles_of_an_annual_term_billed_monthly():
    got = cycles(date(2026, 1, 31), "P1Y", "monthly")
    assert len(got) == 12
    assert got[:3] == [
        (date(2026, 1, 31), date(2026, 2, 27)),
        (date(2026, 2, 28), date(2026, 3, 30)),
        (date(2026, 3, 31), date(2026, 4, 29)),
    ]
    assert got[-1] == (date(2026, 12, 31), date(2027, 1, 30))


@pytest.mark.parametrize(
    ("term", "freq", "count"),
    [
        ("P1M", "monthly", 1),
        ("P1Y", "monthly", 12),
        ("P1Y", "annual", 1),
        ("P3Y", "monthly", 36),
        ("P3Y", "annual", 3),
        ("P3Y", "triennial", 1),
    ],
)
def test_cycle_count(term, freq, count):
    assert len(cycles(date(2026, 5, 31), term, freq)) == count


@pytest.mark.parametrize(("term", "freq"), [("P1M", "annual"), ("P1Y", "triennial")])
def test_cycle_longer_than_term_is_refused(term, freq):
    with pytest.raises(RuleError, match=f"A {term} term cannot be billed {freq}") as e:
        cycles(date(2026, 1, 1), term, freq)
    assert e.value.code == "term_frequency"


dates = st.dates(min_value=date(2020, 1, 1), max_value=date(2035, 12, 31))
term_freqs = st.sampled_from(
    [
        ("P1M", "monthly"),
        ("P1Y", "monthly"),
        ("P1Y", "annual"),
        ("P3Y", "monthly"),
        ("P3Y", "annual"),
        ("P3Y", "triennial"),
    ]
)


@given(start=dates, tf=term_freqs)
def test_cycles_tile_the_term(start, tf):
    term, freq = tf
    got = cycles(start, term, freq)
    assert got[0][0] == start
    assert got[-1][1] == term_end(start, term)
    for (_, end), (next_start, _) in zip(got, got[1:], strict=False):
        assert next_start == end + timedelta(days=1)
    assert all(s <= e for s, e in got)
    assert sum(cycle_days(s, e) for s, e in got) == cycle_days(start, term_end(start, term))


@given(
    start=dates,
    offset=st.integers(min_value=0, max_value=1200),
    freq=st.sampled_from(["monthly", "annual", "triennial"]),
)
def test_cycle_containing_contains_the_date_and_is_a_cycle(start, offset, freq):
    on = start + timedelta(days=offset)
    s, e = cycle_containing(start, freq, on)
    assert s <= on <= e
    # the next cycle begins the day after, and is the cycle of that day
    assert cycle_containing(start, freq, e + timedelta(days=1))[0] == e + timedelta(days=1)
    if s > start:
        assert cycle_containing(start, freq, s - timedelta(days=1))[1] == s - timedelta(days=1)


# --- windows --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("now", "is_open"),
    [
        (T0, True),
        (h(1), True),
        (h(167, 59), True),  # 167h59m inside
        (h(168) - timedelta(microseconds=1), True),
        (h(168), False),  # exactly 168h00m outside
        (h(168, 1), False),
        (h(500), False),
        (T0 - timedelta(minutes=5), True),  # event in the future of `now`
    ],
)
def test_window_open(now, is_open):
    assert window_open(T0, now) is is_open


def test_window_other_zone_is_the_same_instant():
    eastern = timezone(timedelta(hours=-5))
    now = (T0 + timedelta(hours=167, minutes=59)).astimezone(eastern)
    assert window_open(T0, now)
    assert not window_open(T0, now + timedelta(minutes=1))
    assert window_closes_at(T0.astimezone(eastern)) == datetime(2026, 6, 25, 14, 0, tzinfo=UTC)


def test_window_length():
    assert timedelta(hours=168) == WINDOW
    assert window_closes_at(T0) == datetime(2026, 6, 25, 14, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("opened", "now"),
    [
        (datetime(2026, 6, 18, 14, 0), T0),
        (T0, datetime(2026, 6, 18, 14, 0)),
    ],
)
def test_naive_datetimes_are_refused(opened, now):
    with pytest.raises(ValueError, match="timezone-aware"):
        window_open(opened, now)


def test_cancel_inside_the_window_is_allowed():
    check_cancel(window_opened_at=T0, now=h(167, 59))


def test_cancel_after_the_window_names_the_closing_instant():
    with pytest.raises(RuleError) as e:
        check_cancel(window_opened_at=T0, now=h(168))
    assert e.value.code == "window_closed"
    assert str(e.value) == "The cancellation window closed on 2026-06-25 14:00 UTC."


# --- quantities and caps --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("qty", "lo", "hi", "code", "text"),
    [
        (1, 1, 300, None, None),
        (300, 1, 300, None, None),
        (5000, 1, None, None, None),
        (0, 1, 300, "quantity_below_min", "The quantity 0 is below this offer's minimum of 1."),
        (4, 5, 300, "quantity_below_min", "The quantity 4 is below this offer's minimum of 5."),
        (
            301,
            1,
            300,
            "quantity_above_max",
            "The quantity 301 is above this offer's maximum of 300.",
        ),
    ],
)
def test_check_quantity(qty, lo, hi, code, text):
    if code is None:
        check_quantity(qty, min_quantity=lo, max_quantity=hi)
        return
    with pytest.raises(RuleError) as e:
        check_quantity(qty, min_quantity=lo, max_quantity=hi)
    assert (e.value.code, str(e.value)) == (code, text)


def test_check_quantity_refuses_non_integers():
    with pytest.raises(TypeError):
        check_quantity(2.0, min_quantity=1, max_quantity=10)


@pytest.mark.parametrize(
    ("existing", "new", "ok"),
    [
        (0, 300, True),
        (299, 1, True),
        (280, 20, True),
        (280, 21, False),
        (300, 1, False),
        (310, 1, False),
    ],
)
def test_check_cap(existing, new, ok):
    kwargs = {
        "existing_seats": existing,
        "new_seats": new,
        "cap": BUSINESS_SEAT_CAP,
        "cap_name": "Microsoft 365 Business Basic/Standard/Premium",
    }
    if ok:
        check_cap(**kwargs)
        return
    with pytest.raises(RuleError) as e:
        check_cap(**kwargs)
    assert e.value.code == "cap_exceeded"
    remaining = max(300 - existing, 0)
    assert f"at most {remaining} more can be added (asked for {new})" in str(e.value)
    assert "capped at 300 seats" in str(e.value)


# --- perpetual software and reserved instances ----------------------------------------------


@pytest.mark.parametrize(
    ("today", "ok"),
    [
        (date(2026, 6, 1), True),
        (date(2026, 6, 30), True),
        (date(2026, 7, 1), True),  # 30th calendar day after the purchase
        (date(2026, 7, 2), False),  # day 31
    ],
)
def test_perpetual_refund(today, ok):
    if ok:
        check_perpetual_refund(purchase_date=date(2026, 6, 1), today=today)
        return
    with pytest.raises(RuleError) as e:
        check_perpetual_refund(purchase_date=date(2026, 6, 1), today=today)
    assert e.value.code == "perpetual_refund_expired"
    assert "ended on 2026-07-01" in str(e.value)


def test_perpetual_refund_across_a_leap_day():
    check_perpetual_refund(purchase_date=date(2028, 2, 1), today=date(2028, 3, 2))
    with pytest.raises(RuleError):
        check_perpetual_refund(purchase_date=date(2028, 2, 1), today=date(2028, 3, 3))


@pytest.mark.parametrize(
    ("amount", "already", "ok"),
    [
        (D("50000"), D("0"), True),
        (D("5000"), D("45000"), True),
        (D("5000.01"), D("45000"), False),
        (D("1"), D("50000"), False),
    ],
)
def test_ri_cancel_limit(amount, already, ok):
    if ok:
        check_ri_cancel(amount=amount, cancelled_last_12_months=already)
        return
    with pytest.raises(RuleError) as e:
        check_ri_cancel(amount=amount, cancelled_last_12_months=already)
    assert e.value.code == "ri_cancel_limit"
    assert "USD 50,000.00" in str(e.value)
    assert f"USD {max(D(50000) - already, D(0)):,.2f} remains" in str(e.value)


def test_ri_cancel_refuses_floats():
    with pytest.raises(TypeError, match="Decimal"):
        check_ri_cancel(amount=100.0, cancelled_last_12_months=D("0"))


@pytest.mark.parametrize(
    ("new", "remaining", "ok"),
    [
        (D("1000"), D("1000"), True),
        (D("1200"), D("1000"), True),
        (D("999.99"), D("1000"), False),
    ],
)
def test_ri_exchange(new, remaining, ok):
    if ok:
        check_ri_exchange(new_commitment=new, remaining_commitment=remaining)
        return
    with pytest.raises(RuleError, match=r"\(999.99\) must be at least .* \(1,000.00\)") as e:
        check_ri_exchange(new_commitment=new, remaining_commitment=remaining)
    assert e.value.code == "ri_exchange_too_small"


# --- seat decreases -------------------------------------------------------------------------

PURCHASE = Batch(10, T0, key="purchase")
ADD_1 = Batch(3, h(100), key="add1")  # window closes at h(268)
ADD_2 = Batch(2, h(200), key="add2")  # window closes at h(368)


def test_seats_removable_now():
    batches = [PURCHASE, ADD_1, ADD_2]
    assert seats_removable_now(batches[:2], h(167, 59)) == 13
    assert seats_removable_now(batches[:2], h(168)) == 3  # the purchase window closed
    assert seats_removable_now(batches, h(250)) == 5
    assert seats_removable_now(batches, h(268)) == 2
    assert seats_removable_now(batches, h(368)) == 0


def test_immediate_decrease_takes_newest_batches_first():
    plan = plan_seat_decrease(
        batches=[PURCHASE, ADD_1, ADD_2], remove=4, now=h(250), auto_renew=False
    )
    assert plan.mode == "immediate" and plan.immediate
    assert [(b.key, n) for b, n in plan.reductions] == [("add2", 2), ("add1", 2)]
    assert plan.removable_now == 5


def test_decrease_beyond_open_batches_is_scheduled():
    plan = plan_seat_decrease(
        batches=[PURCHASE, ADD_1, ADD_2], remove=6, now=h(250), auto_renew=True
    )
    assert (plan.mode, plan.reductions, plan.removable_now) == ("scheduled", (), 5)


def test_scheduled_decrease_needs_auto_renew():
    with pytest.raises(RuleError) as e:
        plan_seat_decrease(batches=[PURCHASE, ADD_1, ADD_2], remove=6, now=h(250), auto_renew=False)
    assert e.value.code == "auto_renew_off"
    assert "Only 5 of the 6 seats can be removed now" in str(e.value)


def test_window_boundary_decides_the_decrease():
    inside = plan_seat_decrease(batches=[PURCHASE], remove=1, now=h(167, 59), auto_renew=True)
    outside = plan_seat_decrease(batches=[PURCHASE], remove=1, now=h(168), auto_renew=True)
    assert (inside.mode, outside.mode) == ("immediate", "scheduled")


def test_decrease_larger_than_the_subscription_is_refused():
    with pytest.raises(RuleError, match="Cannot remove 16 seats: the subscription has 15") as e:
        plan_seat_decrease(batches=[PURCHASE, ADD_1, ADD_2], remove=16, now=h(1), auto_renew=True)
    assert e.value.code == "decrease_too_large"


@given(
    quantities=st.lists(st.integers(min_value=1, max_value=50), min_size=1, max_size=6),
    gaps=st.lists(st.integers(min_value=0, max_value=200), min_size=6, max_size=6),
    now_h=st.integers(min_value=0, max_value=1500),
    data=st.data(),
)
def test_immediate_plans_remove_exactly_from_open_batches(quantities, gaps, now_h, data):
    opened, batches = T0, []
    for q, gap in zip(quantities, gaps, strict=False):
        opened += timedelta(hours=gap)
        batches.append(Batch(q, opened))
    now = T0 + timedelta(hours=now_h)
    remove = data.draw(st.integers(min_value=1, max_value=sum(quantities)))
    plan = plan_seat_decrease(batches=batches, remove=remove, now=now, auto_renew=True)
    assert plan.removable_now == seats_removable_now(batches, now)
    if plan.immediate:
        assert sum(n for _, n in plan.reductions) == remove
        assert all(
            window_open(b.opened_at, now) and 0 < n <= b.quantity for b, n in plan.reductions
        )
        opened_order = [b.opened_at for b, _ in plan.reductions]
        assert opened_order == sorted(opened_order, reverse=True)
    else:
        assert remove > plan.removable_now


# --- term and frequency changes -------------------------------------------------------------


@pytest.mark.parametrize(("old", "new"), [("P1M", "P1Y"), ("P1M", "P3Y"), ("P1Y", "P3Y")])
def test_term_may_lengthen(old, new):
    check_term_change(old, new)


@pytest.mark.parametrize(
    ("old", "new", "text"),
    [
        ("P1Y", "P1M", "A P1Y term cannot be shortened to P1M mid-term"),
        ("P3Y", "P1Y", "A P3Y term cannot be shortened to P1Y mid-term"),
        ("P1Y", "P1Y", "The term is already P1Y"),
    ],
)
def test_term_may_not_shorten_or_stay(old, new, text):
    with pytest.raises(RuleError, match=text) as e:
        check_term_change(old, new)
    assert e.value.code == "term_shorten"


@pytest.mark.parametrize(
    ("term", "old", "new", "timing"),
    [
        # Microsoft's table: P3Y monthly ↔ annual mid-term; everything else at renewal
        ("P3Y", "monthly", "annual", "next_cycle"),
        ("P3Y", "annual", "monthly", "next_cycle"),
        ("P3Y", "triennial", "monthly", "renewal"),
        ("P3Y", "triennial", "annual", "renewal"),
        ("P3Y", "monthly", "triennial", "renewal"),
        ("P3Y", "annual", "triennial", "renewal"),
        ("P1Y", "annual", "monthly", "renewal"),
        ("P1Y", "monthly", "annual", "renewal"),
    ],
)
def test_frequency_changes_follow_microsofts_table(term, old, new, timing):
    assert check_frequency_change(term=term, old=old, new=new) == timing


@pytest.mark.parametrize(
    ("term", "old", "new", "code"),
    [
        ("P1M", "monthly", "annual", "term_frequency"),
        ("P1Y", "annual", "triennial", "term_frequency"),
        ("P1Y", "monthly", "monthly", "frequency_unchanged"),
        ("P1Y", "monthly", "weekly", "unknown_frequency"),
    ],
)
def test_frequency_change_refused(term, old, new, code):
    with pytest.raises(RuleError) as e:
        check_frequency_change(term=term, old=old, new=new)
    assert e.value.code == code


@pytest.mark.parametrize(
    ("term", "old", "new", "today", "starts"),
    [
        # P3Y from 2026-06-18: monthly → annual waits for the next annual cycle
        ("P3Y", "monthly", "annual", date(2026, 8, 1), date(2027, 6, 18)),
        ("P3Y", "annual", "monthly", date(2026, 8, 1), date(2027, 6, 18)),
        ("P3Y", "monthly", "annual", date(2028, 6, 18), date(2029, 6, 18)),  # = the renewal
        ("P1Y", "monthly", "annual", date(2026, 8, 1), date(2027, 6, 18)),
        ("P3Y", "triennial", "monthly", date(2026, 8, 1), date(2029, 6, 18)),
    ],
)
def test_frequency_change_from(term, old, new, today, starts):
    assert (
        frequency_change_from(
            term_start=date(2026, 6, 18), term=term, old=old, new=new, today=today
        )
        == starts
    )


def test_full_refund_while_less_than_24_hours_have_passed():
    from subscriptions.rules import full_refund

    assert full_refund(window_opened_at=T0, now=h(23, 59))
    assert not full_refund(window_opened_at=T0, now=h(24))
