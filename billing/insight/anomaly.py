"""Anomalies in a customer's daily Azure cost. Pure rules, no I/O.

Method (robust baseline with weekday seasonality):
1. The baseline is the trailing `window` days (28: four of each weekday) before the day checked.
2. Weekday factors: the median of each weekday's days ÷ the median of all days (1 when either
   is zero), so a workload idle at weekends is not "anomalous" every Monday.
3. The days are deseasonalised (each ÷ its weekday factor); their median B and median absolute
   deviation MAD give the centre and the spread. 1.4826 × MAD estimates the standard deviation
   of normal noise; a spread floor (5 % of the expected cost) keeps a perfectly flat history
   from turning a cent into an alert.
4. The day's expected cost is E = B × its weekday factor; its score is (cost − E) ÷ spread.
5. An alert needs all three: score ≥ `score`, cost − E ≥ `min_amount` (tiny customers stay
   quiet) and cost ≥ `min_ratio` × E. Only rises alert: a fall in spend saves money.
6. The meters that moved most are ranked by their own rise over their deseasonalised median;
   a meter whose rise is under a tenth of the day's rise is noise, not named.

Medians and the MAD ignore a few wild days in the baseline, so one spike does not mask the next
ones and a month-long step is learnt after about half a window.
"""

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from statistics import median

MAD_TO_SIGMA = Decimal("1.4826")
SPREAD_FLOOR = Decimal("0.05")
CENT = Decimal("0.01")
MOVER_SHARE = Decimal("0.1")


@dataclass(frozen=True)
class Thresholds:
    """Tunable per reseller (`billing.insight.models.InsightSettings`)."""

    score: Decimal = Decimal("6")
    min_amount: Decimal = Decimal("50")
    min_ratio: Decimal = Decimal("1.5")
    window: int = 28
    min_history: int = 21  # days of usage needed before a customer can alert
    movers: int = 3


@dataclass(frozen=True)
class Mover:
    meter: str
    amount: Decimal
    expected: Decimal

    @property
    def change(self) -> Decimal:
        return self.amount - self.expected


@dataclass(frozen=True)
class Anomaly:
    day: date
    amount: Decimal
    expected: Decimal
    score: Decimal
    movers: list[Mover] = field(default_factory=list)

    @property
    def ratio(self) -> Decimal | None:
        return (self.amount / self.expected).quantize(Decimal("0.1")) if self.expected else None


# meter name -> cost of that meter on one day (one currency)
Day = Mapping[str, Decimal]


def _total(day: Day | None) -> Decimal:
    return sum((day or {}).values(), Decimal(0))


def _weekday_factors(values: dict[date, Decimal]) -> dict[int, Decimal]:
    overall = median(values.values())
    factors = {}
    for weekday in range(7):
        same = [v for d, v in values.items() if d.weekday() == weekday]
        factors[weekday] = (
            (median(same) / overall) if same and overall and median(same) else Decimal(1)
        )
    return factors


def _deseasonalised(values: dict[date, Decimal], factors: dict[int, Decimal]) -> list[Decimal]:
    return [v / factors[d.weekday()] for d, v in values.items()]


def detect(
    days: Mapping[date, Day], *, day: date, thresholds: Thresholds = Thresholds()
) -> Anomaly | None:
    """The anomaly of `day` given the customer's daily cost per meter (`days`: any days, the
    ones used are the window before `day`; a missing day after the first one with usage cost
    nothing), or None."""
    first = min((d for d in days if d < day), default=None)
    if first is None:
        return None
    start = max(first, day - timedelta(days=thresholds.window))
    window = [start + timedelta(days=n) for n in range((day - start).days)]
    if len(window) < thresholds.min_history:
        return None
    totals = {d: _total(days.get(d)) for d in window}
    factors = _weekday_factors(totals)
    base = _deseasonalised(totals, factors)
    centre = median(base)
    mad = median(abs(v - centre) for v in base)
    factor = factors[day.weekday()]
    expected = centre * factor
    spread = max(MAD_TO_SIGMA * mad * factor, SPREAD_FLOOR * expected, CENT)
    amount = _total(days.get(day))
    score = (amount - expected) / spread
    if (
        score < thresholds.score
        or amount - expected < thresholds.min_amount
        or amount < thresholds.min_ratio * expected
    ):
        return None
    return Anomaly(
        day=day,
        amount=amount.quantize(CENT),
        expected=expected.quantize(CENT),
        score=score.quantize(Decimal("0.1")),
        movers=_movers(
            days, window, factors, day, thresholds.movers, least=(amount - expected) * MOVER_SHARE
        ),
    )


def _movers(
    days: Mapping[date, Day],
    window: list[date],
    factors: dict[int, Decimal],
    day: date,
    count: int,
    least: Decimal,
) -> list[Mover]:
    today = days.get(day) or {}
    meters = set(today)
    movers = []
    for meter in meters:
        history = {d: (days.get(d) or {}).get(meter, Decimal(0)) for d in window}
        expected = median(_deseasonalised(history, factors)) * factors[day.weekday()]
        if today[meter] - expected >= least:
            movers.append(Mover(meter, today[meter].quantize(CENT), expected.quantize(CENT)))
    movers.sort(key=lambda m: (-m.change, m.meter))
    return movers[:count]


def daily_meters(rows) -> dict[date, dict[str, Decimal]]:
    """`rows` of (usage date, meter name, cost) → cost per meter per day (summed)."""
    days: dict[date, dict[str, Decimal]] = {}
    for day, meter, cost in rows:
        meters = days.setdefault(day, {})
        meters[meter] = meters.get(meter, Decimal(0)) + cost
    return days


def scan(
    days: Mapping[date, Day], *, first: date, last: date, thresholds: Thresholds = Thresholds()
) -> list[Anomaly]:
    """`detect` for each day of [first, last]."""
    found = []
    for n in range((last - first).days + 1):
        anomaly = detect(days, day=first + timedelta(days=n), thresholds=thresholds)
        if anomaly:
            found.append(anomaly)
    return found
