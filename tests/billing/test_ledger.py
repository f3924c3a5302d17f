"""The pure ledger: hand-checked lines and totals, to the cent, in USD and CAD."""

import datetime as dt
from decimal import Decimal as D

import pytest

from billing.ledger import ChargeInput, LedgerError, UsageInput, compute_lines, diff, totals
from subscriptions.catalog.pricing import Rule


def ch(sub, kind, cost, price, currency="USD", qty=1, customer=1):
    return ChargeInput(
        subscription_id=sub,
        customer_id=customer,
        kind=kind,
        description=f"s{sub}",
        product_type="NCE",
        quantity=qty,
        cost_amount=D(cost),
        price_amount=D(price),
        currency=currency,
    )


def us(sub, cost, currency="USD", rules=(), default=(), customer=1):
    return UsageInput(
        subscription_id=sub,
        customer_id=customer,
        description="Azure plan",
        product_type="Azure plan",
        offer_id=7,
        product_type_id=1,
        term="P1M",
        quantity=D("3.5"),
        cost=D(cost),
        currency=currency,
        priced_on=dt.date(2026, 6, 1),
        customer_rules=tuple(rules),
        default_rules=tuple(default),
    )


MARKUP_15 = Rule(
    kind="markup", effective_from=dt.date(2026, 1, 1), product_type_id=1, percent=D("15")
)
DISCOUNT_3 = Rule(kind="discount", effective_from=dt.date(2026, 1, 1), percent=D("3"))


@pytest.mark.parametrize(
    ("charges", "usage", "expected", "total_cost", "total_price"),
    [
        # seat charges of one key are summed; lines keep their own sign
        (
            [
                ch(1, "cycle", "100.00", "120.00"),
                ch(1, "seat_increase", "26.25", "31.50", qty=3),
                ch(1, "seat_increase", "10.13", "12.16", qty=1),
                ch(2, "cancel", "-15.50", "-18.60"),
            ],
            [],
            [
                (1, "cycle", "100.00", "120.00"),
                (1, "seat_increase", "36.38", "43.66"),
                (2, "cancel", "-15.50", "-18.60"),
            ],
            "120.88",
            "145.06",
        ),
        # usage: 10-decimal costs summed, rounded HALF_UP once per line; markup 15 % on the sum
        (
            [],
            [us(5, "123.4550000000", default=[MARKUP_15])],
            [(5, "usage", "123.46", "141.97")],
            "123.46",
            "141.97",
        ),
        # half a cent rounds away from zero, also for credits
        (
            [],
            [us(5, "0.0050000000"), us(6, "-0.0050000000")],
            [(5, "usage", "0.01", "0.01"), (6, "usage", "-0.01", "-0.01")],
            "0.00",
            "0.00",
        ),
        # customer book beats the default book; totals are sums of rounded lines
        (
            [ch(1, "cycle", "10.00", "11.00")],
            [
                us(5, "33.3333333333", rules=[DISCOUNT_3], default=[MARKUP_15]),
                us(6, "33.3333333333", default=[MARKUP_15]),
            ],
            [
                (1, "cycle", "10.00", "11.00"),
                (5, "usage", "33.33", "32.33"),
                (6, "usage", "33.33", "38.33"),
            ],
            "76.66",
            "81.66",
        ),
    ],
)
def test_lines_and_totals_to_the_cent_usd(charges, usage, expected, total_cost, total_price):
    lines = compute_lines(charges, usage)
    assert [
        (x.subscription_id, x.kind, str(x.cost_amount), str(x.price_amount)) for x in lines
    ] == expected
    t = totals(lines)["USD"]
    assert (str(t.cost), str(t.price)) == (total_cost, total_price)


def test_cad_lines_never_mix_with_usd():
    lines = compute_lines(
        [
            ch(1, "cycle", "19.99", "24.99", currency="CAD"),
            ch(2, "cycle", "0.01", "0.02", currency="USD", customer=2),
        ],
        [us(3, "1.0049999999", currency="CAD", default=[MARKUP_15])],
    )
    t = totals(lines)
    assert set(t) == {"CAD", "USD"}
    # 1.0049999999 → 1.00; price 1.0049999999 × 1.15 = 1.155749... → 1.16
    assert (t["CAD"].cost, t["CAD"].price) == (D("20.99"), D("26.15"))
    assert (t["USD"].cost, t["USD"].price) == (D("0.01"), D("0.02"))
    assert t["CAD"].margin == D("5.16")


def test_one_key_in_two_currencies_is_refused():
    with pytest.raises(LedgerError, match="USD, CAD|CAD, USD"):
        compute_lines([ch(1, "cycle", "1.00", "1.00"), ch(1, "cycle", "1.00", "1.00", "CAD")], [])


def test_floats_are_refused():
    bad = ChargeInput(
        subscription_id=1,
        customer_id=1,
        kind="cycle",
        description="x",
        product_type="NCE",
        quantity=1,
        cost_amount=1.0,
        price_amount=D("1"),
        currency="USD",
    )
    with pytest.raises(TypeError):
        compute_lines([bad], [])


def test_diff_inserts_updates_and_deletes_by_key():
    old = compute_lines([ch(1, "cycle", "10.00", "12.00"), ch(2, "cycle", "5.00", "6.00")], [])

    class Row:
        def __init__(self, line):
            self.__dict__.update(line._asdict())

    rows = [Row(x) for x in old]
    assert not diff(rows, old).changed
    new = compute_lines([ch(1, "cycle", "10.00", "12.50"), ch(3, "cycle", "1.00", "1.00")], [])
    change = diff(rows, new)
    assert [x.subscription_id for x in change.insert] == [3]
    assert [(r.subscription_id, line.price_amount) for r, line in change.update] == [
        (1, D("12.50"))
    ]
    assert [r.subscription_id for r in change.delete] == [2]
