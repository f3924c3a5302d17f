from datetime import UTC, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from webhooks.backoff import next_attempt_at, offsets

DAY = timedelta(hours=24)
T0 = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


def test_the_schedule_grows_fourfold_from_30_seconds_and_ends_when_the_24_hours_do():
    assert offsets(DAY) == [
        timedelta(0),
        timedelta(seconds=30),
        timedelta(minutes=2, seconds=30),
        timedelta(minutes=10, seconds=30),
        timedelta(minutes=42, seconds=30),
        timedelta(hours=2, minutes=50, seconds=30),
        timedelta(hours=11, minutes=22, seconds=30),
        DAY,
    ]


def test_next_attempt_after_each_failure_and_none_after_the_last():
    assert next_attempt_at(first_at=T0, now=T0, window=DAY) == T0 + timedelta(seconds=30)
    assert next_attempt_at(first_at=T0, now=T0 + timedelta(seconds=31), window=DAY) == T0 + (
        timedelta(minutes=2, seconds=30)
    )
    late = T0 + timedelta(hours=11, minutes=22, seconds=30)
    assert next_attempt_at(first_at=T0, now=late, window=DAY) == T0 + DAY
    assert next_attempt_at(first_at=T0, now=T0 + DAY, window=DAY) is None


@given(hours=st.integers(min_value=1, max_value=24 * 7))
def test_waits_grow_and_the_last_attempt_is_at_the_window(hours):
    window = timedelta(hours=hours)
    points = offsets(window)
    assert points[0] == timedelta(0) and points[-1] == window
    waits = [b - a for a, b in zip(points, points[1:], strict=False)]
    assert all(w > timedelta(0) for w in waits)
    assert all(b == a * 4 for a, b in zip(waits[:-2], waits[1:-1], strict=False))
