"""The charge ledger of one reseller and period, computed from its inputs. Pure: no ORM, no I/O.

Conventions (DESIGN.md "Billing runs and invoices", "Money and time"):
- One output line per key (subscription, kind) — or (customer, kind) without a subscription —
  in the period; the database adds the period to make the key unique, so a re-run can only
  update a line, never add a second one.
- Seat-based charge events (already rounded) of one key are summed; Azure plan usage of one
  subscription is summed unrounded (Partner Center sends up to 10 decimals), priced with the
  customer's price book on the sum, and both amounts are rounded ROUND_HALF_UP to the minor
  unit once per line. Totals are sums of rounded lines, per currency; currencies never mix.
"""

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from operator import attrgetter
from typing import Any, NamedTuple

from subscriptions.catalog.pricing import Rule, resolve_price
from subscriptions.proration import round_money

USAGE = "usage"
# (subscription, customer when there is no subscription, kind)
LineKey = tuple[int | None, int | None, str]


class LedgerError(ValueError):
    pass


class ChargeInput(NamedTuple):
    """Charge events of the period (amounts signed and rounded): one `subscriptions.ChargeEvent`
    or, as the billing run reads them, the sum of those of one (subscription, kind, currency)."""

    subscription_id: int
    customer_id: int
    kind: str
    description: str
    product_type: str
    quantity: int
    cost_amount: Decimal
    price_amount: Decimal
    currency: str


@dataclass(frozen=True)
class UsageInput:
    """Azure plan usage of one subscription for the usage month (sums, unrounded), with the
    price-book rules that price it."""

    subscription_id: int
    customer_id: int
    description: str
    product_type: str
    offer_id: int
    product_type_id: int
    term: str
    quantity: Decimal
    cost: Decimal
    currency: str
    priced_on: date
    customer_rules: tuple[Rule, ...] = field(default=())
    default_rules: tuple[Rule, ...] = field(default=())


class Line(NamedTuple):
    """One ledger line (a named tuple: a run builds one per subscription and kind)."""

    subscription_id: int | None
    customer_id: int
    kind: str
    product_type: str
    description: str
    quantity: Decimal
    cost_amount: Decimal
    price_amount: Decimal
    currency: str

    @property
    def key(self) -> LineKey:
        return key(self)


def key(line: Any) -> LineKey:
    """A ledger line's unique key in its period: (subscription, kind), or (customer, kind)
    for a line without a subscription. Works on `Line`s and stored rows alike."""
    return (
        line.subscription_id,
        line.customer_id if line.subscription_id is None else None,
        line.kind,
    )


def _usage_line(u: UsageInput) -> Line:
    resolved = resolve_price(
        cost=u.cost,
        currency=u.currency,
        offer_id=u.offer_id,
        product_type_id=u.product_type_id,
        term=u.term,
        on=u.priced_on,
        customer_rules=list(u.customer_rules),
        default_rules=list(u.default_rules),
    )
    return Line(
        subscription_id=u.subscription_id,
        customer_id=u.customer_id,
        kind=USAGE,
        product_type=u.product_type,
        description=u.description,
        quantity=u.quantity,
        cost_amount=round_money(u.cost, u.currency),
        price_amount=round_money(resolved.price, u.currency),
        currency=u.currency,
    )


def compute_lines(charges: list[ChargeInput], usage: list[UsageInput]) -> list[Line]:
    """The period's ledger lines, sorted by key. Two inputs of one key in different currencies
    raise LedgerError (a line has one currency)."""
    groups: dict[tuple[int | None, str], list[ChargeInput]] = {}
    for c in charges:
        if not isinstance(c.cost_amount, Decimal) or not isinstance(c.price_amount, Decimal):
            raise TypeError("Amounts are Decimal, never float.")
        groups.setdefault((c.subscription_id, c.kind), []).append(c)
    lines = []
    for (subscription_id, kind), items in groups.items():
        first = items[0]
        quantity, cost, price = first.quantity, first.cost_amount, first.price_amount
        if len(items) > 1:  # rare: the database sums the events of one key and currency
            currencies = {i.currency for i in items}
            if len(currencies) > 1:
                raise LedgerError(
                    f"Subscription {subscription_id} has {kind} charges in "
                    f"{', '.join(sorted(currencies))}; one line has one "
                    "currency."
                )
            quantity = sum(i.quantity for i in items)
            cost = sum((i.cost_amount for i in items), Decimal(0))
            price = sum((i.price_amount for i in items), Decimal(0))
        lines.append(
            Line(
                subscription_id,
                first.customer_id,
                kind,
                first.product_type,
                first.description,
                Decimal(quantity),
                round_money(cost, first.currency),
                round_money(price, first.currency),
                first.currency,
            )
        )
    lines += usage_lines(usage)
    return sorted(lines, key=_order)


def usage_lines(usage: Iterable[UsageInput]) -> list[Line]:
    """One usage line per subscription, priced by the customer's price book on the unrounded
    sum and rounded once; a subscription given twice (two currencies) raises LedgerError."""
    lines = []
    seen_usage = set()
    for u in usage:
        if u.subscription_id in seen_usage:
            raise LedgerError(f"Usage of subscription {u.subscription_id} was given twice.")
        seen_usage.add(u.subscription_id)
        lines.append(_usage_line(u))
    return lines


def _order(line: Line) -> tuple[Any, ...]:
    return line.customer_id, line.subscription_id or 0, line.kind


@dataclass(frozen=True)
class Totals:
    currency: str
    cost: Decimal
    price: Decimal

    @property
    def margin(self) -> Decimal:
        return self.price - self.cost


def totals(lines: Iterable[Any]) -> dict[str, Totals]:
    """Currency → sums of the (already rounded) lines' cost and price amounts. Works on
    `Line`s and on anything with cost_amount/price_amount/currency (BillingLine rows)."""
    cost: dict[str, Decimal] = defaultdict(Decimal)
    price: dict[str, Decimal] = defaultdict(Decimal)
    for line in lines:
        cost[line.currency] += line.cost_amount
        price[line.currency] += line.price_amount
    return {cur: Totals(cur, cost[cur], price[cur]) for cur in sorted(cost)}


@dataclass
class Diff:
    insert: list[Line]
    update: list[tuple[Any, Line]]  # (existing row, new values)
    delete: list[Any]

    @property
    def changed(self) -> bool:
        return bool(self.insert or self.update or self.delete)


LINE_FIELDS = ("product_type", "description", "quantity", "cost_amount", "price_amount", "currency")
_line_values = attrgetter(*LINE_FIELDS)


def diff(existing: Iterable[Any], computed: list[Line]) -> Diff:
    """Compare stored rows (objects with the Line fields and subscription_id/customer_id/kind)
    with freshly computed lines: what to insert, update and delete."""
    stored = {key(row): row for row in existing}
    result = Diff([], [], [])
    for line in computed:
        row = stored.pop(line.key, None)
        if row is None:
            result.insert.append(line)
        elif _line_values(row) != _line_values(line):
            result.update.append((row, line))
    result.delete = list(stored.values())
    return result
