"""Anomaly alerts on daily Azure cost: false positives on a clean simulated year and detection
delay on injected spikes (pure computation, no database).

    .venv/bin/python bench/anomaly.py [--customers 200] [--seed 20181107]

Customers are simulated by the Partner Center sandbox's usage generator (partner_center/usage.py,
5 meters a day): 1–3 Azure plan subscriptions each, every other customer with a weekday profile
(weekends at 60 % and 45 %). The clean year runs `billing.insight.anomaly.detect` on every day
after the first 28 with the default thresholds; every alert there is a false positive. Then each
spike kind is injected into every customer on a day in the second half of the year and the delay
is the days from the spike's first day to the first alert (0: the same day's check).
"""

import argparse
import sys
import uuid
from collections import Counter
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path
from statistics import median

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from billing.insight.anomaly import Thresholds, daily_meters, scan  # noqa: E402
from partner_center import usage  # noqa: E402

START = date(2025, 1, 1)
DAYS = 365
WEEKLY = tuple(Decimal(f) for f in ("1", "1", "1", "1", "1", "0.6", "0.45"))
KINDS = {
    "one day at 5x (all meters)": {"factor": Decimal(5)},
    "one day at 3x (all meters)": {"factor": Decimal(3)},
    "step to 2x (all meters, lasting)": {"factor": Decimal(2), "days": 60},
    "step to 1.5x (all meters, lasting)": {"factor": Decimal("1.5"), "days": 60},
    "virtual machines at 10x (lasting)": {"factor": Decimal(10), "meter": "D2s v5", "days": 60},
    "data transfer at 20x (lasting)": {
        "factor": Decimal(20),
        "meter": "Standard Data Transfer Out",
        "days": 60,
    },
}


def spans_of(customer: int, spikes=()) -> list[usage.Span]:
    subs = 1 + customer % 3
    return [
        usage.Span(
            tenant_id=str(uuid.UUID(int=customer + 1)),
            customer_name=f"C{customer}",
            subscription_id=str(uuid.UUID(int=(customer + 1) * 10 + s)),
            currency="USD",
            first_day=START,
            days=DAYS,
            weekly=WEEKLY if customer % 2 else (),
            spikes=tuple(spikes),
        )
        for s in range(subs)
    ]


def customer_days(customer: int, seed: int, spikes=()):
    lines, _ = usage.generate(spans_of(customer, spikes), seed=seed, offset=0, limit=10**9)
    return daily_meters(
        (line.usage_date, line.meter_name, line.billing_pre_tax_total) for line in lines
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--customers", type=int, default=200)
    parser.add_argument("--seed", type=int, default=20181107)
    args = parser.parse_args()
    thresholds = Thresholds()
    first, last = START + timedelta(days=28), START + timedelta(days=DAYS - 1)
    checked = false_positives = 0
    daily = []
    for c in range(args.customers):
        days = customer_days(c, args.seed)
        daily.append(median(sum(m.values()) for m in days.values()))
        checked += (last - first).days + 1
        false_positives += len(scan(days, first=first, last=last, thresholds=thresholds))
    print(f"thresholds: {thresholds}")
    print(f"customers: {args.customers}, median daily cost {min(daily):.2f}–{max(daily):.2f} USD")
    print(f"clean year: {checked} customer-days checked, {false_positives} false positives")
    for kind, spec in KINDS.items():
        delays: Counter = Counter()
        for c in range(args.customers):
            on = START + timedelta(days=200 + c % 7)  # every weekday
            spike = usage.Spike(day=on, **spec)
            days = customer_days(c, args.seed, [spike])
            found = scan(
                days,
                first=on,
                last=min(on + timedelta(days=spike.days - 1), last),
                thresholds=thresholds,
            )
            delays[(found[0].day - on).days if found else "missed"] += 1
        shown = ", ".join(
            f"{k} d: {v}" if k != "missed" else f"missed: {v}"
            for k, v in sorted(delays.items(), key=lambda kv: str(kv[0]).zfill(4))
        )
        print(f"{kind}: {shown}")


if __name__ == "__main__":
    main()
