"""The anomaly rule on daily Azure cost (billing/insight/anomaly.py): sandbox days, tables and
properties. Daily costs come from the Partner Center sandbox's usage generator."""

import uuid
from datetime import date, timedelta
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from billing.insight.anomaly import Thresholds, daily_meters, detect, scan
from partner_center import usage

START = date(2026, 1, 5)  # a Monday
SEED = 20181107


def sandbox_days(days=90, spikes=(), weekly=(), subscriptions=3):
    spans = [
        usage.Span(
            tenant_id=str(uuid.UUID(int=1)),
            customer_name="Contoso",
            subscription_id=str(uuid.UUID(int=10 + n)),
            currency="USD",
            first_day=START,
            days=days,
            weekly=weekly,
            spikes=tuple(spikes),
        )
        for n in range(subscriptions)
    ]
    lines, _ = usage.generate(spans, seed=SEED, offset=0, limit=10**9)
    return daily_meters(
        (line.usage_date, line.meter_name, line.billing_pre_tax_total) for line in lines
    )


def flat(values: dict[date, str | int], meter="vCore"):
    return {d: {meter: Decimal(v)} for d, v in values.items()}


def series(first: date, amounts) -> dict[date, dict[str, Decimal]]:
    return {first + timedelta(days=n): {"vCore": Decimal(a)} for n, a in enumerate(amounts)}


def test_ninety_clean_sandbox_days_raise_no_alert():
    days = sandbox_days(90)
    assert scan(days, first=START, last=START + timedelta(days=89)) == []


def test_a_day_at_five_times_raises_exactly_one_alert_naming_the_top_meter():
    spike_day = START + timedelta(days=60)
    days = sandbox_days(90, spikes=[usage.Spike(day=spike_day, factor=Decimal(5))])
    alerts = scan(days, first=START, last=START + timedelta(days=89))
    assert [a.day for a in alerts] == [spike_day]
    alert = alerts[0]
    # the SQL vCores cost most, so five times them moved most
    assert alert.movers[0].meter == "vCore"
    assert alert.amount == sum(days[spike_day].values()).quantize(Decimal("0.01"))
    assert alert.ratio >= Decimal("4.5")


def test_a_single_meter_spike_names_that_meter_first():
    spike_day = START + timedelta(days=45)
    days = sandbox_days(
        60,
        spikes=[usage.Spike(day=spike_day, factor=Decimal(40), meter="Standard Data Transfer Out")],
    )
    alerts = scan(days, first=START, last=START + timedelta(days=59))
    assert [a.day for a in alerts] == [spike_day]
    assert [m.meter for m in alerts[0].movers] == ["Standard Data Transfer Out"]


def test_weekday_seasonality_quiet_weekends_and_busy_mondays_do_not_alert():
    weekly = tuple(Decimal(f) for f in ("1", "1", "1", "1", "1", "0.3", "0.2"))
    days = sandbox_days(90, weekly=weekly)
    assert scan(days, first=START, last=START + timedelta(days=89)) == []


def test_a_saturday_costing_a_weekday_is_an_anomaly_for_a_weekend_idle_customer():
    # weekdays 500, weekends 100 for four weeks; then a Saturday at 500
    amounts = [500 if (START + timedelta(days=n)).weekday() < 5 else 100 for n in range(33)]
    saturday = START + timedelta(days=33)
    assert saturday.weekday() == 5
    days = series(START, [*amounts, 500])
    alert = detect(days, day=saturday)
    assert alert is not None and alert.expected == Decimal("100.00")


@pytest.mark.parametrize(
    ("history", "today", "thresholds", "alerts"),
    [
        # tiny customer: 5x but a rise of 40 (< 50 minimum)
        ([10] * 28, 50, Thresholds(), False),
        # same with the reseller's minimum lowered to 30
        ([10] * 28, 50, Thresholds(min_amount=Decimal(30)), True),
        # a rise of 1.3x on a big customer: above the score, below the ratio
        ([1000] * 28, 1300, Thresholds(), False),
        ([1000] * 28, 1300, Thresholds(min_ratio=Decimal("1.2")), True),
        # a noisy history (±40 %, spread 593) hides a 2.3x day at score 6, not at score 2
        ([600, 1400] * 14, 2300, Thresholds(), False),
        ([600, 1400] * 14, 2300, Thresholds(score=Decimal(2)), True),
        # a fall never alerts
        ([1000] * 28, 0, Thresholds(), False),
        # only 20 days of history: too early to judge
        ([100] * 20, 1000, Thresholds(), False),
        ([100] * 21, 1000, Thresholds(), True),
        # two earlier spikes in the window do not raise the baseline (median)
        ([100] * 12 + [900] + [100] * 12 + [900] + [100] * 2, 900, Thresholds(), True),
    ],
)
def test_thresholds(history, today, thresholds, alerts):
    days = series(START, [*history, today])
    day = START + timedelta(days=len(history))
    assert (detect(days, day=day, thresholds=thresholds) is not None) is alerts


def test_days_without_usage_after_the_first_count_as_zero():
    days = series(START, [100] * 5)  # then nothing for 25 days
    day = START + timedelta(days=30)
    days[day] = {"vCore": Decimal(100)}
    alert = detect(days, day=day)
    assert alert is not None and alert.expected == Decimal("0.00")


def test_only_the_window_before_the_day_is_the_baseline():
    # a year-old expensive era does not hide today's spike
    days = series(START - timedelta(days=400), [5000] * 60)
    days.update(series(START, [100] * 28 + [1000]))
    assert detect(days, day=START + timedelta(days=28)) is not None


amounts = st.lists(st.integers(min_value=1, max_value=10_000), min_size=28, max_size=28)


@settings(max_examples=60, deadline=None)
@given(history=amounts, today=st.integers(min_value=0, max_value=100_000))
def test_an_alert_always_meets_every_threshold(history, today):
    t = Thresholds()
    alert = detect(series(START, [*history, today]), day=START + timedelta(days=28), thresholds=t)
    if alert:
        assert alert.amount - alert.expected >= t.min_amount - Decimal("0.01")
        assert alert.amount >= t.min_ratio * alert.expected - Decimal("0.01")
        assert alert.score >= t.score


@settings(max_examples=60, deadline=None)
@given(
    history=amounts,
    today=st.integers(min_value=0, max_value=100_000),
    more=st.integers(min_value=0, max_value=100_000),
)
def test_costing_more_never_silences_an_alert(history, today, more):
    day = START + timedelta(days=28)
    if detect(series(START, [*history, today]), day=day):
        assert detect(series(START, [*history, today + more]), day=day)


@settings(max_examples=40, deadline=None)
@given(
    history=amounts,
    today=st.integers(min_value=0, max_value=100_000),
    factor=st.sampled_from([Decimal(2), Decimal(10), Decimal("1.36")]),
)
def test_the_currency_unit_does_not_matter_without_a_minimum_amount(history, today, factor):
    t = Thresholds(min_amount=Decimal(0))
    day = START + timedelta(days=28)
    scaled = {
        d: {m: v * factor for m, v in ms.items()}
        for d, ms in series(START, [*history, today]).items()
    }
    assert (detect(series(START, [*history, today]), day=day, thresholds=t) is None) is (
        detect(scaled, day=day, thresholds=t) is None
    )
