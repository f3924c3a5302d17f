"""Pure pricing rules: cycle prices and the price-book resolver. No I/O.

Resolver precedence (DESIGN.md "Price books": the most specific rule wins): the customer's own
book is searched first, then the reseller's default book; inside a book an offer's fixed price
beats an offer's percentage, which beats a product-type rule, which beats a book-wide rule.
Within one of those levels the rule with the latest `effective_from` on or before the date
applies. With no rule at all the customer price equals the cost (and says so).
"""

from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

UNIT = Decimal("0.000001")  # unit prices keep 6 decimals; invoice lines round to the minor unit

# months in one billing cycle, and months in the base period the cost is quoted for
_CYCLE_MONTHS = {"monthly": 1, "annual": 12, "triennial": 36}
_BASE_MONTHS = {"P1M": 1, "P1Y": 12, "P3Y": 12}
_TERM_MONTHS = {"P1M": 1, "P1Y": 12, "P3Y": 36}


class PricingError(ValueError):
    pass


def check_term_frequency(term: str, frequency: str) -> None:
    """A billing cycle cannot be longer than the term (P1M is billed monthly only)."""
    if term not in _TERM_MONTHS:
        raise PricingError(f"Unknown term {term!r}.")
    if frequency not in _CYCLE_MONTHS:
        raise PricingError(f"Unknown billing frequency {frequency!r}.")
    if _CYCLE_MONTHS[frequency] > _TERM_MONTHS[term]:
        raise PricingError(f"A {term} term cannot be billed {frequency}.")


def cycle_price(base_price: Decimal, term: str, frequency: str) -> Decimal:
    """Price of one billing cycle from the base-period price (per month for P1M, per year
    otherwise): P1Y billed monthly = annual ÷ 12; P3Y triennial = 3 × annual."""
    check_term_frequency(term, frequency)
    if not isinstance(base_price, Decimal):
        raise TypeError("Prices are Decimal, never float.")
    value = base_price * _CYCLE_MONTHS[frequency] / _BASE_MONTHS[term]
    return value.quantize(UNIT, rounding=ROUND_HALF_UP)


@dataclass(frozen=True)
class Rule:
    kind: str  # "markup" | "discount" | "fixed"
    effective_from: date
    offer_id: int | None = None
    product_type_id: int | None = None
    term: str = ""  # "" = every term
    percent: Decimal | None = None
    fixed_price: Decimal | None = None
    currency: str = ""
    label: str = ""
    id: int = 0  # the price rule's: of two rules of one level and day the older one wins


@dataclass(frozen=True)
class Resolved:
    price: Decimal
    cost: Decimal
    currency: str
    source: str  # human explanation: which book and rule

    @property
    def margin(self) -> Decimal:
        return self.price - self.cost

    @property
    def margin_percent(self) -> Decimal | None:
        if not self.price:
            return None
        return (self.margin * 100 / self.price).quantize(Decimal("0.01"), ROUND_HALF_UP)


def _level(rule: Rule, offer_id: int, product_type_id: int, term: str, currency: str) -> int | None:
    """0 = offer fixed, 1 = offer percent, 2 = product type, 3 = book-wide; None = not this
    (another offer, product type or term, or a fixed price in another currency: a rule carries
    its currency and prices only costs in it)."""
    if rule.term and rule.term != term:
        return None
    if rule.kind == "fixed" and rule.currency != currency:
        return None
    if rule.offer_id is not None:
        if rule.offer_id != offer_id:
            return None
        return 0 if rule.kind == "fixed" else 1
    if rule.product_type_id is not None:
        return 2 if rule.product_type_id == product_type_id else None
    return 3


def _apply(rule: Rule, cost: Decimal, currency: str) -> Decimal:
    if rule.kind == "fixed":
        if rule.currency != currency:
            raise PricingError(
                f"The fixed price is in {rule.currency} but the cost is in "
                f"{currency}; add a fixed price in {currency}."
            )
        assert rule.fixed_price is not None  # a fixed rule has its price (model validation)
        return rule.fixed_price
    assert rule.percent is not None  # a percent rule has its percent (model validation)
    factor = 1 + rule.percent / 100 if rule.kind == "markup" else 1 - rule.percent / 100
    return (cost * factor).quantize(UNIT, rounding=ROUND_HALF_UP)


def _pick(
    rules: list[Rule], offer_id: int, product_type_id: int, term: str, on: date, currency: str
) -> Rule | None:
    best: tuple[int, int, int] | None = None
    chosen = None
    for rule in rules:
        if rule.effective_from > on:
            continue
        level = _level(rule, offer_id, product_type_id, term, currency)
        if level is None:
            continue
        key = (level, -rule.effective_from.toordinal(), rule.id)
        if best is None or key < best:
            best, chosen = key, rule
    return chosen


def resolve_price(
    *,
    cost: Decimal,
    currency: str,
    offer_id: int,
    product_type_id: int,
    term: str,
    on: date,
    customer_rules: list[Rule],
    default_rules: list[Rule],
) -> Resolved:
    """The customer price for one unit of `term`, on the same basis as `cost` (per month for
    P1M, per year for P1Y/P3Y)."""
    if not isinstance(cost, Decimal):
        raise TypeError("Costs are Decimal, never float.")
    for book, rules in (("customer book", customer_rules), ("default book", default_rules)):
        rule = _pick(rules, offer_id, product_type_id, term, on, currency)
        if rule is not None:
            price = _apply(rule, cost, currency)
            return Resolved(
                price=price,
                cost=cost,
                currency=currency,
                source=f"{book}: {rule.label or rule.kind}",
            )
    return Resolved(price=cost, cost=cost, currency=currency, source="no rule: price = cost")
