"""Seat savings of a licence subscription. Pure rules, no I/O.

- *unused* seats: purchased − consumed (never negative);
- *reclaimable* seats: held by a user who is disabled or has not signed in for
  `INACTIVE_DAYS` days or more (never signed in counts as inactive);
- money per month: (unused + reclaimable) × the price of one seat for one month — the cycle
  price ÷ the months of a cycle (an annual upfront seat costs its price ÷ 12 a month) — at the
  customer's price and at cost, each rounded half-up to the cent;
- money until renewal: the same seats × the seat's price for the whole term, prorated daily
  over the days left in the term (today through the term's last day, both counted), rounded
  half-up to the cent.
"""

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal

from subscriptions import rules

INACTIVE_DAYS = 30
CENT = Decimal("0.01")


@dataclass(frozen=True)
class Holder:
    """A tenant user holding one of the subscription's licences."""

    name: str
    enabled: bool
    last_sign_in: datetime | None  # None: never (or not known)

    def reclaimable(self, now: datetime) -> bool:
        return (
            not self.enabled
            or self.last_sign_in is None
            or now - self.last_sign_in >= timedelta(days=INACTIVE_DAYS)
        )


@dataclass(frozen=True)
class Seats:
    purchased: int
    consumed: int
    holders: tuple[Holder, ...] = ()


@dataclass(frozen=True)
class Prices:
    """Per seat and billing cycle, as locked on the subscription."""

    unit_price: Decimal
    unit_cost: Decimal
    billing_frequency: str
    term: str
    term_start: date


@dataclass(frozen=True)
class Savings:
    unused: int
    reclaimable: int
    monthly_price: Decimal
    monthly_cost: Decimal
    until_renewal_price: Decimal
    until_renewal_cost: Decimal
    renewal: date

    @property
    def seats(self) -> int:
        return self.unused + self.reclaimable


def _cents(amount: Decimal) -> Decimal:
    return amount.quantize(CENT, rounding=ROUND_HALF_UP)


def savings(seats: Seats, prices: Prices, *, now: datetime) -> Savings:
    unused = max(seats.purchased - seats.consumed, 0)
    reclaimable = sum(1 for h in seats.holders if h.reclaimable(now))
    money = seat_money(unused + reclaimable, prices, today=now.date())
    return Savings(
        unused, reclaimable, *money, renewal=rules.renewal_date(prices.term_start, prices.term)
    )


def seat_money(
    count: int, prices: Prices, *, today: date
) -> tuple[Decimal, Decimal, Decimal, Decimal]:
    """(monthly price, monthly cost, until-renewal price, until-renewal cost) of `count` savable
    seats: they depend on nothing else, so totals compute them once per distinct (count,
    prices)."""
    months = Decimal(rules.cycle_months(prices.billing_frequency))
    last = rules.term_end(prices.term_start, prices.term)
    term_days = (last - prices.term_start).days + 1
    left = max((last - today).days + 1, 0)
    term_months = rules.term_months(prices.term)

    def until_renewal(unit: Decimal) -> Decimal:
        return _cents(count * unit / months * term_months * left / term_days)

    return (
        _cents(count * prices.unit_price / months),
        _cents(count * prices.unit_cost / months),
        until_renewal(prices.unit_price),
        until_renewal(prices.unit_cost),
    )
