"""Pure NCE subscription rules (DESIGN.md "NCE subscriptions"). No ORM, no I/O.

Conventions (every number must be reproducible):
- Terms are "P1M", "P1Y", "P3Y"; billing frequencies are "monthly", "annual", "triennial"
  (the month tables come from `subscriptions.catalog.pricing`).
- Dates are `datetime.date`; a cycle or a term is a pair of dates, BOTH ENDS INCLUSIVE.
  A span of N months starting on `start` ends on `add_months(start, N) - 1 day`, where
  `add_months` clamps the day to the month's end (dateutil.relativedelta): bought Jan 31 on a
  P1M term → ends Feb 27 (2026), renews Feb 28.
- Charge cycles are always counted from the TERM START (the k-th cycle starts on
  `add_months(term_start, k × cycle months)`), never chained from the previous cycle's end, so
  a Jan 31 start gives Jan 31, Feb 28, Mar 31, … with no drift.
- Instants are aware datetimes (any zone; compared as instants, printed in UTC). A naive
  datetime raises `ValueError`.
- Windows last 168 hours from the event instant and are open while elapsed < 168h
  (167h59m inside, exactly 168h00m outside).
- Every refusal raises `RuleError` (a `ValueError`) with a short `code` and a message naming
  the numbers involved, ready to show to a user.
"""

from collections.abc import Hashable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

from dateutil.relativedelta import relativedelta

from subscriptions.catalog.pricing import _CYCLE_MONTHS, _TERM_MONTHS

WINDOW = timedelta(hours=168)
FULL_REFUND_WINDOW = timedelta(hours=24)
ONE_DAY = timedelta(days=1)

TERMS = ("P1M", "P1Y", "P3Y")  # shortest first
FREQUENCIES = ("monthly", "annual", "triennial")  # shortest cycle first
TERM_MONTHS: dict[str, int] = dict(_TERM_MONTHS)
CYCLE_MONTHS: dict[str, int] = dict(_CYCLE_MONTHS)

# Microsoft 365 Business Basic/Standard/Premium together, per customer tenant.
BUSINESS_SEAT_CAP = 300
RI_CANCEL_LIMIT_USD = Decimal("50000")
PERPETUAL_REFUND_DAYS = 30


class RuleError(ValueError):
    """A business rule refused the request.

    `code` is a stable slug for programs ("window_closed", "quantity_below_min",
    "quantity_above_max", "cap_exceeded", "term_shorten",
    "perpetual_refund_expired", "ri_cancel_limit", "ri_exchange_too_small",
    "auto_renew_off", "decrease_too_large", "frequency_unchanged", "unknown_term",
    "unknown_frequency", "term_frequency"); `message` (also `str(error)`) is for people.
    """

    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code = code
        self.message = message


# --- formatting helpers ---------------------------------------------------------------------


def _utc(instant: datetime, name: str = "datetime") -> datetime:
    if not isinstance(instant, datetime):
        raise TypeError(f"{name} must be a datetime, not {type(instant).__name__}.")
    if instant.tzinfo is None or instant.utcoffset() is None:
        raise ValueError(f"{name} must be timezone-aware (UTC), got naive {instant.isoformat()}.")
    return instant.astimezone(UTC)


def format_instant(instant: datetime) -> str:
    """'2026-06-25 14:00 UTC' — how instants appear in messages."""
    return _utc(instant).strftime("%Y-%m-%d %H:%M UTC")


def _money(amount: Decimal) -> str:
    return f"{amount:,.2f}"


def _decimal(value: object, name: str) -> Decimal:
    if not isinstance(value, Decimal):
        raise TypeError(f"{name} must be a Decimal, never {type(value).__name__}.")
    return value


def _int(value: object, name: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"{name} must be an int, not {type(value).__name__}.")
    return value


# --- terms and cycles -----------------------------------------------------------------------


def term_months(term: str) -> int:
    """Months in a term: P1M 1, P1Y 12, P3Y 36. Unknown term → RuleError("unknown_term")."""
    try:
        return TERM_MONTHS[term]
    except KeyError:
        raise RuleError(
            "unknown_term", f"Unknown term {term!r}; use one of {', '.join(TERMS)}."
        ) from None


def cycle_months(frequency: str) -> int:
    """Months in a billing cycle: monthly 1, annual 12, triennial 36."""
    try:
        return CYCLE_MONTHS[frequency]
    except KeyError:
        raise RuleError(
            "unknown_frequency",
            f"Unknown billing frequency {frequency!r}; use one of {', '.join(FREQUENCIES)}.",
        ) from None


def check_term_frequency(term: str, frequency: str) -> None:
    """A cycle may not be longer than its term (P1M is billed monthly only; P1Y not triennial)."""
    if cycle_months(frequency) > term_months(term):
        raise RuleError("term_frequency", f"A {term} term cannot be billed {frequency}.")


def add_months(d: date, n: int) -> date:
    """`d` plus `n` months, the day clamped to the month's end (Jan 31 + 1 → Feb 28/29)."""
    later: date = d + relativedelta(months=n)
    return later


def term_end(start: date, term: str) -> date:
    """Last day (inclusive) of a term starting on `start`: start + N months − 1 day.
    2026-01-31 P1M → 2026-02-27; 2021-04-15 P1Y → 2022-04-14."""
    return add_months(start, term_months(term)) - ONE_DAY


def renewal_date(start: date, term: str) -> date:
    """The day the term renews: the day after `term_end` (Jan 31 P1M → Feb 28)."""
    return term_end(start, term) + ONE_DAY


def cycle_days(start: date, end: date) -> int:
    """Days in a cycle, both ends counted (Jun 18 – Jul 17 → 30)."""
    if end < start:
        raise ValueError(f"A cycle cannot end ({end}) before it starts ({start}).")
    return (end - start).days + 1


def cycle_containing(term_start: date, frequency: str, on: date) -> tuple[date, date]:
    """The charge cycle (start, end), both inclusive, that contains `on`.

    Cycles are counted from `term_start`: the k-th starts on add_months(term_start, k × m) and
    ends the day before the next one starts. Not bounded by the term (renewals continue the
    sequence); `on` before `term_start` raises ValueError.
    """
    if on < term_start:
        raise ValueError(f"{on} is before the term start {term_start}.")
    m = cycle_months(frequency)
    k = ((on.year - term_start.year) * 12 + on.month - term_start.month) // m
    while add_months(term_start, k * m) > on:
        k -= 1
    while add_months(term_start, (k + 1) * m) <= on:
        k += 1
    return add_months(term_start, k * m), add_months(term_start, (k + 1) * m) - ONE_DAY


def cycles(term_start: date, term: str, frequency: str) -> list[tuple[date, date]]:
    """All charge cycles of one term, in order; they tile the term and the last ends on
    `term_end(term_start, term)`. A cycle longer than the term raises RuleError."""
    check_term_frequency(term, frequency)
    m = cycle_months(frequency)
    return [
        (add_months(term_start, k * m), add_months(term_start, (k + 1) * m) - ONE_DAY)
        for k in range(term_months(term) // m)
    ]


# --- 168-hour windows -----------------------------------------------------------------------


def window_closes_at(opened_at: datetime) -> datetime:
    """The first instant the window is closed: opened_at + 168h (in UTC)."""
    return _utc(opened_at, "opened_at") + WINDOW


def window_open(opened_at: datetime, now: datetime) -> bool:
    """True while now − opened_at < 168h (167h59m → True, 168h00m → False). An event in the
    future of `now` (clock skew) counts as open. Both instants must be aware."""
    return _utc(now, "now") - _utc(opened_at, "opened_at") < WINDOW


def check_cancel(*, window_opened_at: datetime, now: datetime) -> None:
    """Cancel an NCE or software subscription: allowed inside the purchase/renewal window,
    else RuleError("window_closed") naming the instant it closed."""
    if not window_open(window_opened_at, now):
        raise RuleError(
            "window_closed",
            f"The cancellation window closed on "
            f"{format_instant(window_closes_at(window_opened_at))}.",
        )


def full_refund(*, window_opened_at: datetime, now: datetime) -> bool:
    """A cancellation within 24 hours of the purchase or renewal instant (elapsed < 24h:
    23h59m → True, 24h00m → False) refunds the cycle's charge in full; later inside the
    168-hour window it is prorated."""
    return _utc(now, "now") - _utc(window_opened_at, "window_opened_at") < FULL_REFUND_WINDOW


# --- quantities and caps --------------------------------------------------------------------


def check_quantity(quantity: int, *, min_quantity: int, max_quantity: int | None) -> None:
    """min_quantity ≤ quantity ≤ max_quantity (max None = no maximum)."""
    _int(quantity, "quantity")
    if quantity < min_quantity:
        raise RuleError(
            "quantity_below_min",
            f"The quantity {quantity} is below this offer's minimum of {min_quantity}.",
        )
    if max_quantity is not None and quantity > max_quantity:
        raise RuleError(
            "quantity_above_max",
            f"The quantity {quantity} is above this offer's maximum of {max_quantity}.",
        )


def check_cap(*, existing_seats: int, new_seats: int, cap: int, cap_name: str) -> None:
    """existing + new may not exceed `cap` (e.g. BUSINESS_SEAT_CAP for Business Basic/Standard/
    Premium per customer tenant). Reaching the cap exactly is allowed."""
    _int(existing_seats, "existing_seats")
    _int(new_seats, "new_seats")
    if existing_seats + new_seats > cap:
        remaining = max(cap - existing_seats, 0)
        raise RuleError(
            "cap_exceeded",
            f"{cap_name} is capped at {cap} seats; {existing_seats} are already in "
            f"use, so at most {remaining} more can be added (asked for {new_seats}).",
        )


# --- other products -------------------------------------------------------------------------


def perpetual_refund_last_day(purchase_date: date) -> date:
    """Last day a perpetual-software purchase is fully refundable: purchase + 30 days."""
    return purchase_date + timedelta(days=PERPETUAL_REFUND_DAYS)


def check_perpetual_refund(*, purchase_date: date, today: date) -> None:
    """Perpetual software: full refund through the 30th calendar day after the purchase date
    (UTC dates; bought Jun 1 → refundable through Jul 1), refused from day 31."""
    last = perpetual_refund_last_day(purchase_date)
    if today > last:
        raise RuleError(
            "perpetual_refund_expired",
            f"The refund period ended on {last} ({PERPETUAL_REFUND_DAYS} days after "
            f"the purchase on {purchase_date}).",
        )


def check_ri_cancel(
    *, amount: Decimal, cancelled_last_12_months: Decimal, limit: Decimal = RI_CANCEL_LIMIT_USD
) -> None:
    """Reserved Instances: at most `limit` (USD 50,000) of cancelled commitment per customer in
    a rolling 12 months, this cancellation included; reaching the limit exactly is allowed.
    Amounts are Decimal in USD (the caller converts)."""
    _decimal(amount, "amount")
    _decimal(cancelled_last_12_months, "cancelled_last_12_months")
    _decimal(limit, "limit")
    if cancelled_last_12_months + amount > limit:
        remaining = max(limit - cancelled_last_12_months, Decimal(0))
        raise RuleError(
            "ri_cancel_limit",
            f"Reserved instance cancellations are limited to USD {_money(limit)} per "
            f"customer in 12 months; USD {_money(cancelled_last_12_months)} was "
            f"already cancelled, so at most USD {_money(remaining)} remains "
            f"(this cancellation is USD {_money(amount)}).",
        )


def check_ri_exchange(*, new_commitment: Decimal, remaining_commitment: Decimal) -> None:
    """Reserved Instances: an exchange needs new commitment ≥ the remaining one."""
    _decimal(new_commitment, "new_commitment")
    _decimal(remaining_commitment, "remaining_commitment")
    if new_commitment < remaining_commitment:
        raise RuleError(
            "ri_exchange_too_small",
            f"The new commitment ({_money(new_commitment)}) must be at least the "
            f"remaining commitment ({_money(remaining_commitment)}).",
        )


# --- seat decreases -------------------------------------------------------------------------


@dataclass(frozen=True)
class Batch:
    """Seats added by one event (purchase, renewal or seat increase) and the instant its
    168-hour window opened. `key` is free for the caller (e.g. a SeatChange id)."""

    quantity: int
    opened_at: datetime
    key: Hashable = None


@dataclass(frozen=True)
class SeatDecrease:
    """Plan for removing `remove` seats.

    mode "immediate": `reductions` lists (batch, seats removed from it), newest batch first,
    summing to `remove`; credit each prorated. mode "scheduled": nothing changes now, the
    decrease applies at renewal; `reductions` is empty. `removable_now` is how many seats could
    be removed immediately (to offer "remove N now instead").
    """

    mode: str  # "immediate" | "scheduled"
    remove: int
    removable_now: int
    reductions: tuple[tuple[Batch, int], ...] = field(default=())

    @property
    def immediate(self) -> bool:
        return self.mode == "immediate"


def seats_removable_now(batches: Iterable[Batch], now: datetime) -> int:
    """Seats in batches whose 168-hour window is still open at `now`."""
    return sum(b.quantity for b in batches if window_open(b.opened_at, now))


def plan_seat_decrease(
    *, batches: Sequence[Batch], remove: int, now: datetime, auto_renew: bool
) -> SeatDecrease:
    """Decide how `remove` seats can go (all or nothing).

    If the open-window batches hold at least `remove` seats → "immediate", taken from the
    newest open batch first. Otherwise → "scheduled" for renewal, which needs auto-renew on
    (else RuleError("auto_renew_off")). `remove` must be 1..total seats of `batches`
    (else RuleError("decrease_too_large") / ValueError); the offer's minimum quantity is the
    caller's `check_quantity` on the new total.
    """
    _int(remove, "remove")
    if remove < 1:
        raise ValueError(f"Seats to remove must be at least 1, got {remove}.")
    total = sum(b.quantity for b in batches)
    if remove > total:
        raise RuleError(
            "decrease_too_large", f"Cannot remove {remove} seats: the subscription has {total}."
        )
    open_batches = sorted(
        (b for b in batches if window_open(b.opened_at, now)),
        key=lambda b: b.opened_at,
        reverse=True,
    )
    removable = sum(b.quantity for b in open_batches)
    if removable >= remove:
        left, reductions = remove, []
        for batch in open_batches:
            if left == 0:
                break
            take = min(batch.quantity, left)
            if take:
                reductions.append((batch, take))
            left -= take
        return SeatDecrease("immediate", remove, removable, tuple(reductions))
    if not auto_renew:
        raise RuleError(
            "auto_renew_off",
            f"Only {removable} of the {remove} seats can be removed now (seats added "
            f"within the last 168 hours); the rest can only be removed at renewal, "
            f"which needs auto-renew on.",
        )
    return SeatDecrease("scheduled", remove, removable)


# --- term and billing-frequency changes -----------------------------------------------------


def check_term_change(old_term: str, new_term: str) -> None:
    """Mid-term the term may only lengthen (P1M→P1Y/P3Y, P1Y→P3Y), effective immediately.
    The same or a shorter term → RuleError("term_shorten")."""
    old_m, new_m = term_months(old_term), term_months(new_term)
    if new_m == old_m:
        raise RuleError(
            "term_shorten", f"The term is already {old_term}; mid-term it can only be lengthened."
        )
    if new_m < old_m:
        raise RuleError(
            "term_shorten",
            f"A {old_term} term cannot be shortened to {new_term} "
            f"mid-term; it can only be lengthened.",
        )


# Microsoft's table of mid-term billing-frequency changes (DESIGN.md "NCE subscriptions"): only a
# P3Y subscription may switch between monthly and annual inside its term; P3Y triennial, P1Y and
# P1M keep their frequency until renewal, where any pair that suits the term may be chosen
# (Partner Center does not switch to upfront billing mid-term).
MIDTERM_FREQUENCY_CHANGES = {("P3Y", "monthly", "annual"), ("P3Y", "annual", "monthly")}


def check_frequency_change(*, term: str, old: str, new: str) -> str:
    """When a billing-frequency change takes effect: "next_cycle" for the pairs of
    MIDTERM_FREQUENCY_CHANGES, "renewal" for any other pair. The new frequency must suit the
    term (RuleError("term_frequency")); no change → RuleError("frequency_unchanged")."""
    check_term_frequency(term, old)
    check_term_frequency(term, new)
    if old == new:
        raise RuleError("frequency_unchanged", f"The subscription is already billed {old}.")
    return "next_cycle" if (term, old, new) in MIDTERM_FREQUENCY_CHANGES else "renewal"


def frequency_change_from(*, term_start: date, term: str, old: str, new: str, today: date) -> date:
    """First day billed at the new frequency. Mid-term (P3Y monthly↔annual): the start of the
    next cycle of the longer of the two frequencies, counted from the term start as every cycle
    is (P3Y from 2026-06-18 billed monthly, switched to annual on 2026-08-01 → 2027-06-18, the
    next annual cycle; the monthly cycles until then are billed as before). Any other change:
    the renewal date."""
    timing = check_frequency_change(term=term, old=old, new=new)
    renewal = renewal_date(term_start, term)
    if timing == "renewal":
        return renewal
    longer = max(old, new, key=cycle_months)
    return min(cycle_containing(term_start, longer, today)[1] + ONE_DAY, renewal)
