from datetime import date
from decimal import Decimal as D

import pytest
from hypothesis import given
from hypothesis import strategies as st

from subscriptions.catalog.pricing import PricingError, Rule, cycle_price, resolve_price

OFFER, OTHER_OFFER, NCE, RI = 10, 11, 1, 2
JAN, FEB, MAR = date(2026, 1, 1), date(2026, 2, 1), date(2026, 3, 1)


@pytest.mark.parametrize(
    ("base", "term", "freq", "expected"),
    [
        (D("22.00"), "P1M", "monthly", D("22.000000")),
        (D("264.00"), "P1Y", "monthly", D("22.000000")),  # annual ÷ 12
        (D("264.00"), "P1Y", "annual", D("264.000000")),
        (D("250.00"), "P3Y", "monthly", D("20.833333")),  # 250/12 = 20.8333333…
        (D("250.00"), "P3Y", "annual", D("250.000000")),
        (D("250.00"), "P3Y", "triennial", D("750.000000")),
    ],
)
def test_cycle_price(base, term, freq, expected):
    assert cycle_price(base, term, freq) == expected


@pytest.mark.parametrize(
    ("term", "freq"), [("P1M", "annual"), ("P1Y", "triennial"), ("P1M", "triennial")]
)
def test_cycle_longer_than_term_is_refused(term, freq):
    with pytest.raises(PricingError, match=f"A {term} term cannot be billed {freq}"):
        cycle_price(D("1"), term, freq)


def test_floats_are_refused():
    with pytest.raises(TypeError):
        cycle_price(22.0, "P1M", "monthly")


def markup(p, **kw):
    return Rule(kind="markup", percent=D(p), effective_from=kw.pop("on", JAN), **kw)


def discount(p, **kw):
    return Rule(kind="discount", percent=D(p), effective_from=kw.pop("on", JAN), **kw)


def fixed(price, currency="USD", **kw):
    return Rule(
        kind="fixed",
        fixed_price=D(price),
        currency=currency,
        effective_from=kw.pop("on", JAN),
        **kw,
    )


# cost 100.00 USD of OFFER (product type NCE), priced on 2026-02-15
CASES = [
    ("no rules: price = cost", [], [], "100.000000"),
    ("default book-wide markup", [], [markup("20")], "120.000000"),
    (
        "default product-type beats book-wide",
        [],
        [markup("20"), markup("10", product_type_id=NCE)],
        "110.000000",
    ),
    (
        "other product type ignored",
        [],
        [markup("20"), markup("10", product_type_id=RI)],
        "120.000000",
    ),
    (
        "offer percent beats product type",
        [],
        [markup("10", product_type_id=NCE), discount("5", offer_id=OFFER)],
        "95.000000",
    ),
    (
        "offer fixed beats offer percent",
        [],
        [markup("15", offer_id=OFFER), fixed("99.50", offer_id=OFFER)],
        "99.500000",
    ),
    (
        "other offer's fixed ignored",
        [],
        [fixed("1", offer_id=OTHER_OFFER), markup("20")],
        "120.000000",
    ),
    (
        "customer book beats default book",
        [markup("5")],
        [fixed("200", offer_id=OFFER)],
        "105.000000",
    ),
    (
        "customer book without a match falls back",
        [markup("5", product_type_id=RI)],
        [markup("20")],
        "120.000000",
    ),
    (
        "latest effective rule of a level wins",
        [],
        [markup("10", on=JAN), markup("30", on=FEB)],
        "130.000000",
    ),
    (
        "future rule not yet in force",
        [],
        [markup("10", on=JAN), markup("30", on=MAR)],
        "110.000000",
    ),
    ("only future rules: price = cost", [], [markup("30", on=MAR)], "100.000000"),
    ("fractional percent rounds half up at 6 dp", [], [markup("12.3456")], "112.345600"),
    (
        "fixed price of another term ignored",
        [],
        [fixed("50", offer_id=OFFER, term="P1M"), markup("20")],
        "120.000000",
    ),
    (
        "fixed price of this term applies",
        [],
        [fixed("90", offer_id=OFFER, term="P1Y"), markup("20")],
        "90.000000",
    ),
]


@pytest.mark.parametrize(
    ("name", "customer", "default", "expected"), CASES, ids=[c[0] for c in CASES]
)
def test_price_book_precedence(name, customer, default, expected):
    resolved = resolve_price(
        cost=D("100.00"),
        currency="USD",
        offer_id=OFFER,
        term="P1Y",
        product_type_id=NCE,
        on=date(2026, 2, 15),
        customer_rules=customer,
        default_rules=default,
    )
    assert resolved.price == D(expected)
    assert resolved.margin == resolved.price - D("100.00")


def test_a_fixed_price_applies_only_to_costs_in_its_own_currency():
    # a rule carries its currency: a CAD cost is priced by the next rule that applies (here
    # the default book's markup), never by a USD figure, and pricing does not fail
    resolved = resolve_price(
        cost=D("130"),
        currency="CAD",
        offer_id=OFFER,
        product_type_id=NCE,
        term="P1M",
        on=FEB,
        customer_rules=[fixed("99", offer_id=OFFER)],
        default_rules=[markup("10")],
    )
    assert (resolved.price, resolved.currency) == (D("143.000000"), "CAD")
    assert resolve_price(
        cost=D("130"),
        currency="CAD",
        offer_id=OFFER,
        product_type_id=NCE,
        term="P1M",
        on=FEB,
        customer_rules=[fixed("99", offer_id=OFFER), fixed("120", "CAD", offer_id=OFFER)],
        default_rules=[],
    ).price == D("120")


@given(
    cost=st.decimals(min_value=0, max_value=100000, places=6),
    pct=st.decimals(min_value=0, max_value=100, places=3),
)
def test_discount_never_exceeds_cost_and_markup_never_below(cost, pct):
    common = {
        "cost": cost,
        "currency": "USD",
        "offer_id": OFFER,
        "product_type_id": NCE,
        "term": "P1M",
        "on": FEB,
        "customer_rules": [],
    }
    assert resolve_price(default_rules=[discount(pct)], **common).price <= cost
    assert resolve_price(default_rules=[markup(pct)], **common).price >= cost


@pytest.mark.parametrize("order", [1, -1], ids=["older first", "newer first"])
def test_of_two_rules_of_one_level_and_day_the_older_wins_in_any_order(order):
    """The rules come from the database in no set order: the resolver itself picks the older
    (the lower id), as the billing run's SQL does."""
    older = Rule(kind="markup", effective_from=date(2026, 1, 1), percent=D("10"), id=7)
    newer = Rule(kind="markup", effective_from=date(2026, 1, 1), percent=D("30"), id=9)
    resolved = resolve_price(
        cost=D("100.00"),
        currency="USD",
        offer_id=OFFER,
        term="P1Y",
        product_type_id=NCE,
        on=date(2026, 2, 15),
        customer_rules=[],
        default_rules=[older, newer][::order],
    )
    assert resolved.price == D("110.00")
