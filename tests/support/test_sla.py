import datetime as dt

import pytest

from support.sla import Target, first_response_due, parse_targets

UTC = dt.UTC


def at(*args):
    return dt.datetime(*args, tzinfo=UTC)


@pytest.mark.parametrize(
    ("opened", "priority", "due"),
    [
        (at(2026, 11, 25, 10, 0), "urgent", at(2026, 11, 25, 11, 0)),  # Wed, clock hours
        (at(2026, 11, 28, 23, 30), "urgent", at(2026, 11, 29, 0, 30)),  # Saturday night: 24x365
        (at(2026, 11, 25, 22, 0), "high", at(2026, 11, 26, 2, 0)),  # across midnight
        (at(2026, 11, 25, 10, 0), "normal", at(2026, 11, 26, 10, 0)),  # Wed -> Thu
        (at(2026, 11, 27, 16, 0), "normal", at(2026, 11, 30, 16, 0)),  # Fri -> Mon
        (at(2026, 11, 28, 9, 0), "normal", at(2026, 12, 1, 0, 0)),  # Sat: clock from Mon 00:00
        (at(2026, 11, 29, 23, 59), "normal", at(2026, 12, 1, 0, 0)),  # Sun late
        (at(2026, 11, 26, 12, 0), "low", at(2026, 12, 1, 12, 0)),  # Thu + 3 bd = Tue
        (at(2026, 12, 31, 12, 0), "normal", at(2027, 1, 1, 12, 0)),  # year end (a Friday)
    ],
)
def test_first_response_due(opened, priority, due):
    assert first_response_due(opened, priority) == due


def test_targets_are_configurable_and_validated():
    targets = parse_targets({"urgent": "2h", "normal": "2bd"})
    assert targets["urgent"] == Target(hours=2) and str(targets["normal"]) == "2 business days"
    assert targets["high"] == Target(hours=4)
    with pytest.raises(ValueError, match="use e.g. '4h' or '1bd'"):
        parse_targets({"urgent": "soon"})
    with pytest.raises(ValueError, match="Unknown ticket priority"):
        parse_targets({"critical": "1h"})


def test_naive_datetimes_are_refused():
    with pytest.raises(ValueError, match="aware"):
        first_response_due(dt.datetime(2026, 1, 1), "urgent")  # noqa: DTZ001
