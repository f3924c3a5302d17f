"""First-response targets of support tickets. Pure: no I/O.

Targets are per priority, either in clock hours (24x365 duty) or in business days (Mon–Fri,
UTC): one business day after an instant is the same time on the next weekday; an instant on a
weekend counts from Monday 00:00 UTC.
"""

import datetime as dt
from dataclasses import dataclass

PRIORITIES = ("urgent", "high", "normal", "low")


@dataclass(frozen=True)
class Target:
    hours: int = 0
    business_days: int = 0

    def __str__(self) -> str:
        if self.hours:
            return f"{self.hours} hour{'s' if self.hours != 1 else ''}"
        return f"{self.business_days} business day{'s' if self.business_days != 1 else ''}"


DEFAULT_TARGETS = {
    "urgent": Target(hours=1),
    "high": Target(hours=4),
    "normal": Target(business_days=1),
    "low": Target(business_days=3),
}


def parse_targets(config: dict[str, str] | None) -> dict[str, Target]:
    """{"urgent": "1h", "normal": "1bd"} → Targets; missing priorities keep the defaults."""
    targets = dict(DEFAULT_TARGETS)
    for priority, text in (config or {}).items():
        if priority not in PRIORITIES:
            raise ValueError(f"Unknown ticket priority {priority!r} in SLA settings.")
        text = text.strip().lower()
        if text.endswith("bd") and text[:-2].isdigit():
            targets[priority] = Target(business_days=int(text[:-2]))
        elif text.endswith("h") and text[:-1].isdigit():
            targets[priority] = Target(hours=int(text[:-1]))
        else:
            raise ValueError(f"SLA target {text!r} for {priority}: use e.g. '4h' or '1bd'.")
    return targets


def _add_business_days(at: dt.datetime, days: int) -> dt.datetime:
    if at.weekday() >= 5:  # weekend: the clock starts on Monday 00:00
        at = (at + dt.timedelta(days=7 - at.weekday())).replace(
            hour=0, minute=0, second=0, microsecond=0
        )
    while days:
        at += dt.timedelta(days=1)
        if at.weekday() < 5:
            days -= 1
    return at


def first_response_due(
    opened_at: dt.datetime, priority: str, targets: dict[str, Target] = DEFAULT_TARGETS
) -> dt.datetime:
    if opened_at.tzinfo is None:
        raise ValueError("opened_at must be an aware datetime (UTC).")
    target = targets[priority]
    opened_at = opened_at.astimezone(dt.UTC)
    if target.hours:
        return opened_at + dt.timedelta(hours=target.hours)
    return _add_business_days(opened_at, target.business_days)
