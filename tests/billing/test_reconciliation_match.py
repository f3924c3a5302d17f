"""The pure matching of two sides of a billing period (billing/reconciliation/match.py)."""

import random
from dataclasses import replace
from datetime import date
from decimal import ROUND_DOWN, Decimal

from billing.reconciliation import match
from billing.reconciliation.match import Line

SEPTEMBER, OCTOBER, AUGUST = date(2026, 9, 1), date(2026, 10, 1), date(2026, 8, 1)


def _period_of_1000_lines() -> list[Line]:
    """1,000 charges (subscription, meter) with Microsoft-like quantities and unit prices; the
    amount rounded down to the cent as Microsoft bills it."""
    rng = random.Random(23)
    lines = []
    for n in range(1000):
        quantity = Decimal(rng.randint(1, 500_000)) / 1000
        unit = Decimal(rng.randint(1, 90_000)) / 100_000
        lines.append(
            Line(
                key=(f"sub-{n // 10}", f"meter-{n % 10}"),
                period=SEPTEMBER,
                quantity=quantity,
                unit_price=unit,
                amount=(quantity * unit).quantize(Decimal("0.01"), ROUND_DOWN),
                currency="USD",
                ref=n,
            )
        )
    return lines


def test_known_defects_in_a_1000_line_period_are_found_exactly_to_the_cent():
    microsoft = _period_of_1000_lines()
    portal = [replace(line, ref=f"p{line.ref}") for line in microsoft]
    by_key = {line.key: i for i, line in enumerate(portal)}

    def change(key, **fields):
        portal[by_key[key]] = replace(portal[by_key[key]], **fields)

    gone = portal[by_key[("sub-3", "meter-4")]]
    # 1. missing in the portal: Microsoft billed it, the portal did not
    change(("sub-3", "meter-4"), period=None)
    # 2. missing at Microsoft: the portal billed a charge Microsoft never did
    portal.append(
        Line(
            ("sub-999", "meter-0"),
            SEPTEMBER,
            Decimal(2),
            Decimal("1.5"),
            Decimal("3.00"),
            "USD",
            "extra",
        )
    )
    # 3. a quantity change: 3 more units at the same unit price
    q = microsoft[by_key[("sub-10", "meter-1")]]
    change(
        q.key,
        quantity=q.quantity + 3,
        amount=((q.quantity + 3) * q.unit_price).quantize(Decimal("0.01"), ROUND_DOWN),
    )
    # 4. a price change: 10 % more per unit
    p = microsoft[by_key[("sub-20", "meter-2")]]
    change(
        p.key,
        unit_price=p.unit_price * Decimal("1.1"),
        amount=(p.quantity * p.unit_price * Decimal("1.1")).quantize(Decimal("0.01"), ROUND_DOWN),
    )
    # 5. a line in the wrong period: the portal billed September's charge in October
    w = microsoft[by_key[("sub-30", "meter-3")]]
    change(w.key, period=OCTOBER)
    # 6. a rounding difference: the portal rounded half up where Microsoft rounded down
    r = microsoft[by_key[("sub-40", "meter-5")]]
    change(r.key, amount=r.amount + Decimal("0.01"))
    changed = {line.key: line for line in portal}
    portal = [line for line in portal if line.period is not None]

    found = match.match(microsoft, portal, period=SEPTEMBER)

    by_reason = {d.reason: d for d in found}
    assert len(found) == len(by_reason) == 6  # exactly these, no false positives
    assert by_reason["missing_right"].key == gone.key
    assert by_reason["missing_right"].amount == -gone.amount
    assert by_reason["missing_left"].key == ("sub-999", "meter-0")
    assert by_reason["missing_left"].amount == Decimal("3.00")
    assert by_reason["quantity"].key == q.key
    assert by_reason["quantity"].amount == changed[q.key].amount - q.amount
    assert by_reason["quantity"].amount > Decimal("0")
    assert by_reason["unit_price"].key == p.key
    assert by_reason["unit_price"].amount == changed[p.key].amount - p.amount
    assert by_reason["period"].key == w.key
    assert (by_reason["period"].left.period, by_reason["period"].right.period) == (
        SEPTEMBER,
        OCTOBER,
    )
    assert by_reason["period"].amount == Decimal("0.00")
    assert by_reason["rounding"].key == r.key
    assert by_reason["rounding"].amount == Decimal("0.01")
    # both sides' lines come with each difference
    assert by_reason["quantity"].left.ref == by_key[q.key]
    assert by_reason["quantity"].right.ref == f"p{by_key[q.key]}"


def test_identical_sides_have_no_difference_and_a_fix_makes_it_disappear():
    microsoft = _period_of_1000_lines()
    assert match.match(microsoft, list(microsoft), period=SEPTEMBER) == []
    portal = [replace(microsoft[0], amount=microsoft[0].amount + 1), *microsoft[1:]]
    assert [d.reason for d in match.match(microsoft, portal, period=SEPTEMBER)] == ["unit_price"]
    portal[0] = microsoft[0]
    assert match.match(microsoft, portal, period=SEPTEMBER) == []


def test_currency_differs_has_no_amount_and_a_charge_from_another_period_is_not_missing():
    a = Line(("s", "m"), SEPTEMBER, Decimal(1), None, Decimal("10.00"), "USD")
    (d,) = match.match([a], [replace(a, currency="CAD")], period=SEPTEMBER)
    assert (d.reason, d.amount) == ("currency", None)
    # the portal put August's charge in September: reported as the period, not as missing
    (d,) = match.match([replace(a, period=AUGUST)], [a], period=SEPTEMBER)
    assert (d.reason, d.left.period, d.right.period) == ("period", AUGUST, SEPTEMBER)


def test_rounding_is_at_most_one_minor_unit_per_line():
    a = Line(("s", "m"), SEPTEMBER, Decimal(3), None, Decimal("10.00"), "USD")
    assert (
        match.match([a], [replace(a, amount=Decimal("10.01"))], period=SEPTEMBER)[0].reason
        == "rounding"
    )
    assert (
        match.match([a], [replace(a, amount=Decimal("10.02"))], period=SEPTEMBER)[0].reason
        == "unit_price"
    )
    # below a cent is no difference to the cent
    assert match.match([a], [replace(a, amount=Decimal("10.004"))], period=SEPTEMBER) == []


def test_a_charge_matched_in_its_own_period_has_not_moved():
    a = Line(("s", "m"), SEPTEMBER, Decimal(1), None, Decimal("10.00"), "USD")
    october = replace(a, period=OCTOBER)
    # October is billed on both sides; September only by Microsoft: missing, not moved
    (d,) = match.match([a, october], [october], period=SEPTEMBER)
    assert (d.reason, d.amount) == ("missing_right", Decimal("-10.00"))
