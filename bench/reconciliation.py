"""Reconciliation benchmark: the pure matcher (billing/reconciliation/match.py) on one period.

    .venv/bin/python bench/reconciliation.py                 # 1,000,000 charges a side
    .venv/bin/python bench/reconciliation.py --lines 100000 --rounds 5

Builds N charges (subscription, meter) with Microsoft-like quantities and unit prices on
Microsoft's side and the portal's copy with six kinds of defects (a charge missing on each
side, a quantity, a unit price, a period and a rounding difference), then times, interleaved
round after round, `match.match` and its floor: the least work any matcher does, two dicts
of the same lines joined on their keys and their amounts compared. Prints best and median of
each, the matcher's time as a multiple of the floor's, and checks that exactly the six
defects are found.
"""

import argparse
import random
import statistics
import sys
import time
from dataclasses import replace
from datetime import date
from decimal import ROUND_DOWN, Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from billing.reconciliation import match  # noqa: E402 - pure: no Django set-up needed

SEPTEMBER, OCTOBER = date(2026, 9, 1), date(2026, 10, 1)
CENT = Decimal("0.01")


def sides(n: int) -> tuple[list[match.Line], list[match.Line]]:
    rng = random.Random(23)
    microsoft = []
    for i in range(n):
        quantity = Decimal(rng.randint(1, 500_000)) / 1000
        unit = Decimal(rng.randint(1, 90_000)) / 100_000
        microsoft.append(
            match.Line(
                (f"sub-{i // 10}", f"meter-{i % 10}"),
                SEPTEMBER,
                quantity,
                unit,
                (quantity * unit).quantize(CENT, ROUND_DOWN),
                "USD",
            )
        )
    portal = list(microsoft)
    del portal[3]
    portal.append(
        match.Line(
            ("sub-extra", "meter-0"), SEPTEMBER, Decimal(1), Decimal(1), Decimal("1.00"), "USD"
        )
    )
    portal[10] = replace(portal[10], quantity=portal[10].quantity + 1)
    portal[20] = replace(
        portal[20], unit_price=portal[20].unit_price * 2, amount=portal[20].amount * 2
    )
    portal[30] = replace(portal[30], period=OCTOBER)
    portal[40] = replace(portal[40], amount=portal[40].amount + CENT)
    return microsoft, portal


def floor(left, right) -> int:
    """Join on the key and compare amounts: what any matcher does at the least."""
    rights = {line.key: line for line in right}
    lefts = {line.key: line for line in left}
    return sum(
        1
        for key, line in lefts.items()
        if (other := rights.get(key)) is None or other.amount != line.amount
    ) + sum(1 for key in rights if key not in lefts)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lines", type=int, default=1_000_000)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    t = time.perf_counter()
    microsoft, portal = sides(args.lines)
    print(f"built {args.lines:,} charges a side in {time.perf_counter() - t:.2f} s")
    times = {"floor (dict join)": [], "match.match": []}
    for r in range(args.rounds):
        started = time.perf_counter()
        floor(microsoft, portal)
        times["floor (dict join)"].append(time.perf_counter() - started)
        started = time.perf_counter()
        found = match.match(microsoft, portal, period=SEPTEMBER)
        times["match.match"].append(time.perf_counter() - started)
        assert sorted(d.reason for d in found) == sorted(
            ["missing_right", "missing_left", "quantity", "unit_price", "period", "rounding"]
        ), [d.reason for d in found]
        print(f"round {r + 1}: " + ", ".join(f"{k} {v[-1]:.2f} s" for k, v in times.items()))
    best = {k: min(v) for k, v in times.items()}
    median = {k: statistics.median(v) for k, v in times.items()}
    for label in times:
        print(
            f"{label + ':':19} best {args.lines / best[label]:,.0f} lines/s "
            f"({best[label]:.2f} s), median {args.lines / median[label]:,.0f} lines/s "
            f"({median[label]:.2f} s)"
        )
    print(
        f"match.match ÷ floor: best {best['match.match'] / best['floor (dict join)']:.2f}×, "
        f"median {median['match.match'] / median['floor (dict join)']:.2f}× the time"
    )


if __name__ == "__main__":
    main()
