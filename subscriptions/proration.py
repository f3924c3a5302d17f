"""Daily proration and money rounding (DESIGN.md "NCE subscriptions", "Money and time").
Pure: no ORM, no I/O.

Conventions:
- Amounts are `Decimal`, never float (a float raises TypeError); every amount has an ISO 4217
  currency, and a line is rounded ROUND_HALF_UP to the currency's minor unit.
- Dates are `date`; a cycle is (cycle_start, cycle_end), both inclusive.
- Billing days run from the event's date through the cycle's last day, both counted: the event
  day itself is charged (seat added) or refunded (seat removed / cancelled).
- amount = cycle_price × quantity × billing days ÷ cycle days, rounded once at the end.
  A negative quantity gives a credit; ROUND_HALF_UP rounds halves away from zero, so a credit
  is exactly the negative of the matching charge.
"""

from datetime import date
from decimal import ROUND_HALF_UP, Decimal, localcontext

from subscriptions.rules import cycle_days

# ISO 4217 minor units of the currencies we bill in (portal.models.Currency and a few more).
MINOR_UNITS: dict[str, int] = {
    "USD": 2,
    "CAD": 2,
    "EUR": 2,
    "GBP": 2,
    "AUD": 2,
    "NZD": 2,
    "CHF": 2,
    "SEK": 2,
    "NOK": 2,
    "DKK": 2,
    "MXN": 2,
    "BRL": 2,
    "INR": 2,
    "SGD": 2,
    "ZAR": 2,
    "JPY": 0,
    "KRW": 0,
}
_MINOR_UNIT = {currency: Decimal(1).scaleb(-places) for currency, places in MINOR_UNITS.items()}


def minor_unit(currency: str) -> Decimal:
    """The smallest amount of `currency` as a Decimal exponent: USD → Decimal('0.01'),
    JPY → Decimal('1'). Unknown currency → ValueError."""
    try:
        return _MINOR_UNIT[currency]
    except KeyError:
        raise ValueError(
            f"Unknown currency {currency!r}: no minor unit is defined for it."
        ) from None


def round_money(amount: Decimal, currency: str) -> Decimal:
    """`amount` rounded ROUND_HALF_UP (halves away from zero) to the currency's minor unit:
    round_money(Decimal('2.345'), 'USD') == Decimal('2.35')."""
    if not isinstance(amount, Decimal):
        raise TypeError(f"Amounts are Decimal, never {type(amount).__name__}.")
    return amount.quantize(minor_unit(currency), rounding=ROUND_HALF_UP)


def billing_days(event_date: date, cycle_end: date) -> int:
    """Days from the event's date through the cycle's last day, both counted
    (event on the cycle's last day → 1)."""
    if event_date > cycle_end:
        raise ValueError(f"The event date {event_date} is after the cycle end {cycle_end}.")
    return (cycle_end - event_date).days + 1


def prorate(
    *,
    cycle_price: Decimal,
    quantity: int,
    event_date: date,
    cycle_start: date,
    cycle_end: date,
    currency: str,
) -> Decimal:
    """cycle_price × quantity × billing_days(event_date, cycle_end) ÷ cycle days, rounded
    ROUND_HALF_UP to the minor unit of `currency`.

    Example: 12.50 × 3 seats bought on day 10 of a 30-day cycle → 21 billing days →
    12.50 × 3 × 21 ÷ 30 = 26.25. The event must lie inside the cycle (ValueError otherwise);
    floats are refused (TypeError); a negative quantity gives the matching credit.
    """
    if not isinstance(cycle_price, Decimal):
        raise TypeError(f"Prices are Decimal, never {type(cycle_price).__name__}.")
    if isinstance(quantity, bool) or not isinstance(quantity, int):
        raise TypeError(f"Quantity must be an int, not {type(quantity).__name__}.")
    if not cycle_start <= event_date <= cycle_end:
        raise ValueError(
            f"The event date {event_date} is outside the cycle {cycle_start} – {cycle_end}."
        )
    days = billing_days(event_date, cycle_end)
    total = cycle_days(cycle_start, cycle_end)
    with localcontext() as ctx:
        ctx.prec = 60  # exact enough that only the final quantize rounds
        amount = cycle_price * quantity * days / total
    return round_money(amount, currency)
