"""Reseller billing periods (DESIGN.md "Billing periods"). Pure: no ORM, no I/O.

Conventions:
- A period is a pair of `date`s, BOTH ENDS INCLUSIVE, one month long: it starts on the
  country's start day and ends the day before that day of the next month.
- US: calendar month (start day 1). Canada: the 20th through the 19th of the next month
  (start day 20). These two are fixed by DESIGN and ignore overrides. Any other country: its
  start day from `overrides` (country code → day, e.g. from the admin-edited BillingCalendar),
  default 1 (calendar month).
- A start day must be 1–28 so that every month has it (no clamping, periods always tile).
"""

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, timedelta

from dateutil.relativedelta import relativedelta

FIXED_START_DAYS = {"US": 1, "CA": 20}
DEFAULT_START_DAY = 1
MIN_START_DAY, MAX_START_DAY = 1, 28
ONE_DAY = timedelta(days=1)


def _month_after(d: date) -> date:
    later: date = d + relativedelta(months=1)
    return later


@dataclass(frozen=True)
class Period:
    """A billing period [start, end], both inclusive; `next()`/`previous()` step one month
    (valid because start days are 1–28)."""

    start: date
    end: date

    def __post_init__(self) -> None:
        if self.end < self.start:
            raise ValueError(f"A period cannot end ({self.end}) before it starts ({self.start}).")

    def contains(self, d: date) -> bool:
        return self.start <= d <= self.end

    def __contains__(self, d: date) -> bool:
        return self.contains(d)

    @property
    def days(self) -> int:
        """Days in the period, both ends counted."""
        return (self.end - self.start).days + 1

    def next(self) -> "Period":
        start = self.end + ONE_DAY
        return Period(start, _month_after(start) - ONE_DAY)

    def previous(self) -> "Period":
        return Period(self.start - relativedelta(months=1), self.start - ONE_DAY)

    @property
    def is_calendar_month(self) -> bool:
        return self.start.day == 1 and (self.end + ONE_DAY).day == 1

    @property
    def label(self) -> str:
        """'2026-06-20 – 2026-07-19' (ISO dates, en dash)."""
        return f"{self.start.isoformat()} – {self.end.isoformat()}"

    def __str__(self) -> str:
        return self.label


def check_start_day(day: int) -> int:
    """A valid period start day (int 1–28), else ValueError naming it."""
    if (
        isinstance(day, bool)
        or not isinstance(day, int)
        or not (MIN_START_DAY <= day <= MAX_START_DAY)
    ):
        raise ValueError(
            f"A billing period start day must be a whole number from "
            f"{MIN_START_DAY} to {MAX_START_DAY}, got {day!r}."
        )
    return day


def period_start_day(country: str, overrides: Mapping[str, int] | None = None) -> int:
    """The day of the month periods start on: US 1, CA 20 (fixed), other countries
    `overrides[country]` if present, else 1. An override outside 1–28 raises ValueError."""
    if country in FIXED_START_DAYS:
        return FIXED_START_DAYS[country]
    if overrides and country in overrides:
        return check_start_day(overrides[country])
    return DEFAULT_START_DAY


def billing_period(
    country: str, on_date: date, *, overrides: Mapping[str, int] | None = None
) -> Period:
    """The period of `country` containing `on_date`
    (CA 2026-01-19 → 2025-12-20 – 2026-01-19; CA 2026-01-20 → 2026-01-20 – 2026-02-19)."""
    day = period_start_day(country, overrides)
    start = on_date.replace(day=day)
    if on_date.day < day:
        start -= relativedelta(months=1)
    return Period(start, _month_after(start) - ONE_DAY)


def period_starting_in(
    country: str, month: date, *, overrides: Mapping[str, int] | None = None
) -> Period:
    """The period of `country` that starts in `month`'s calendar month (CA June → 2026-06-20 –
    2026-07-19, whose Azure plan usage is May's, as US June's). Periods start on day 1–28, so
    the month's 28th lies in it."""
    return billing_period(country, month.replace(day=28), overrides=overrides)


def periods_between(
    country: str, start: date, end: date, *, overrides: Mapping[str, int] | None = None
) -> list[Period]:
    """Every period of `country` that intersects [start, end] (both inclusive), in order.
    The first may begin before `start` and the last may end after `end`."""
    if end < start:
        raise ValueError(f"The range end {end} is before its start {start}.")
    period = billing_period(country, start, overrides=overrides)
    result = []
    while period.start <= end:
        result.append(period)
        period = period.next()
    return result


def usage_month(period: Period) -> Period:
    """The calendar month of Azure plan usage billed in `period` (in arrears): the month before
    the one the period starts in (US June → May; CA Jun 20–Jul 19 → May)."""
    first = period.start.replace(day=1)
    previous_end = first - timedelta(days=1)
    return Period(previous_end.replace(day=1), previous_end)


def usage_period(period: Period) -> Period:
    """The usage billed in arrears on `period`'s invoice: the previous period of the same
    country (US June → May; CA 2026-10-20 – 2026-11-19 → 2026-09-20 – 2026-10-19). Periods of
    one country tile the calendar, so every usage day is billed exactly once."""
    return period.previous()


def usage_label(usage: Period) -> str:
    """'2026-05' for a calendar month, else the period's label."""
    return f"{usage.start:%Y-%m}" if usage.is_calendar_month else usage.label
