"""Matching of two sides of a billing period's charges, line by line. Pure: no ORM, no I/O.

Each side gives `Line`s: a `key` that names the same charge on both sides (e.g. the
subscription and the meter or charge kind), the period the side put it in, quantity, unit
price, amount and currency. `match` compares the lines of one period and gives every
`Difference` with its reason:

- missing_right / missing_left: the charge is on one side only (in no period of the other);
- period: the other side has the charge in another period;
- currency: both have it, in different currencies (no amount: they do not subtract);
- quantity: the quantities differ;
- unit_price: same quantity, the unit prices (or the amounts) differ by more than the
  tolerance;
- rounding: same quantity and unit price, the amounts differ by at most one minor unit
  (listed apart: expected between Microsoft's rounding down and the portal's rounding).

The amount of a difference is right − left, to the cent (the left side's amount for a line the
right side misses, negated).
"""

from collections import defaultdict
from collections.abc import Hashable, Iterable
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

CENT = Decimal("0.01")
MISSING_RIGHT, MISSING_LEFT = "missing_right", "missing_left"
PERIOD, CURRENCY, QUANTITY, UNIT_PRICE, ROUNDING = (
    "period",
    "currency",
    "quantity",
    "unit_price",
    "rounding",
)
REASONS = (MISSING_RIGHT, MISSING_LEFT, PERIOD, CURRENCY, QUANTITY, UNIT_PRICE, ROUNDING)


@dataclass(frozen=True)
class Line:
    key: Hashable
    period: date  # start of the period the side put the charge in
    quantity: Decimal
    unit_price: Decimal | None  # None: amount / quantity
    amount: Decimal
    currency: str
    ref: Hashable = None  # the line on its side (an id), for links

    @property
    def unit(self) -> Decimal | None:
        if self.unit_price is not None:
            return self.unit_price
        return self.amount / self.quantity if self.quantity else None


@dataclass(frozen=True)
class Difference:
    reason: str
    key: Hashable
    period: date
    left: Line | None
    right: Line | None
    amount: Decimal | None  # right − left to the cent; None between currencies


def _cents(value: Decimal) -> Decimal:
    return value.quantize(CENT, ROUND_HALF_UP)


def _index(lines: Iterable[Line], period: date):
    here, elsewhere = {}, defaultdict(list)
    for line in lines:
        if line.period == period:
            if line.key in here:
                raise ValueError(f"Two lines of one side have the key {line.key!r} in {period}.")
            here[line.key] = line
        else:
            elsewhere[line.key].append(line)
    return here, elsewhere


def compare(left: Line, right: Line, *, tolerance: Decimal = CENT) -> Difference | None:
    """The difference between two lines of the same charge and period, if any."""
    if (
        left.amount == right.amount
        and left.quantity == right.quantity
        and left.currency == right.currency
        and left.unit_price == right.unit_price
    ):
        return None  # nearly every pair: no arithmetic

    def make(reason, amount):
        return Difference(reason, left.key, left.period, left, right, amount)

    if left.currency != right.currency:
        return make(CURRENCY, None)
    delta = _cents(right.amount - left.amount)
    if left.quantity != right.quantity:
        return make(QUANTITY, delta)
    if left.unit != right.unit and (left.unit_price is not None and right.unit_price is not None):
        return make(UNIT_PRICE, delta)
    if abs(right.amount - left.amount) > tolerance:
        return make(UNIT_PRICE, delta)
    if right.amount != left.amount and delta:
        return make(ROUNDING, delta)
    return None


def _moved(key, theirs: dict[Hashable, list[Line]], ours: dict[Hashable, list[Line]]):
    """The other side's line of `key` in another period that our side has no line of `key`
    in (a line matched in its own period has not moved), or None."""
    periods = {line.period for line in ours.get(key, ())}
    return next((line for line in theirs.get(key, ()) if line.period not in periods), None)


def match(
    left: Iterable[Line], right: Iterable[Line], *, period: date, tolerance: Decimal = CENT
) -> list[Difference]:
    """Differences of `period` between the two sides. The sides may include lines of other
    periods (the neighbours), so that a charge put in the wrong period is told from a missing
    one; only differences of `period` are given, ordered by key."""
    lefts, left_elsewhere = _index(left, period)
    rights, right_elsewhere = _index(right, period)
    differences = []
    for key, line in lefts.items():
        other = rights.get(key)
        moved = None if other else _moved(key, right_elsewhere, left_elsewhere)
        if other is not None:
            difference = compare(line, other, tolerance=tolerance)
        elif moved is not None:
            difference = Difference(
                PERIOD,
                key,
                period,
                line,
                moved,
                _cents(moved.amount - line.amount) if moved.currency == line.currency else None,
            )
        else:
            difference = Difference(MISSING_RIGHT, key, period, line, None, _cents(-line.amount))
        if difference is not None:
            differences.append(difference)
    for key, line in rights.items():
        if key in lefts:
            continue
        moved = _moved(key, left_elsewhere, right_elsewhere)
        if moved is not None:
            differences.append(
                Difference(
                    PERIOD,
                    key,
                    period,
                    moved,
                    line,
                    _cents(line.amount - moved.amount) if moved.currency == line.currency else None,
                )
            )
        else:
            differences.append(
                Difference(MISSING_LEFT, key, period, None, line, _cents(line.amount))
            )
    return sorted(differences, key=lambda d: (str(d.key), d.reason))
