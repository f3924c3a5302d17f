"""When a webhook delivery is attempted again (pure). Exponential backoff from the first attempt:
30 s, then each wait four times the one before (2 min, 8 min, 32 min, 2 h 8 min, 8 h 32 min),
and a last attempt when the retry window (24 hours) closes. The schedule is counted from the
delivery's first attempt, so a manual redelivery in between does not move it."""

from datetime import datetime, timedelta

FIRST_WAIT = timedelta(seconds=30)
FACTOR = 4


def offsets(window: timedelta) -> list[timedelta]:
    """The attempts' offsets from the first one: 0, 30 s, 2 min 30 s, … and `window` last."""
    out = [timedelta(0)]
    wait = FIRST_WAIT
    while out[-1] + wait < window:
        out.append(out[-1] + wait)
        wait *= FACTOR
    out.append(window)
    return out


def next_attempt_at(*, first_at: datetime, now: datetime, window: timedelta) -> datetime | None:
    """The next attempt after `now` of a delivery first attempted at `first_at`; None when the
    window has closed (the last attempt was made)."""
    for offset in offsets(window):
        if first_at + offset > now:
            return first_at + offset
    return None
