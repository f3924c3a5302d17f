"""Monthly Azure budgets: which alerts a month's spend calls for. Pure rules, no I/O.

- "80" and "100": the month's spend so far reached 80 % / 100 % of the budget;
- "forecast": the month's forecast exceeds the budget while the spend is still under it. The
  forecast extends the average daily cost of the days so far (through the last day with
  usage) to the whole calendar month.
Each kind fires once per budget and month (the caller remembers which fired).
"""

import calendar
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

CENT = Decimal("0.01")
KINDS = ("80", "100", "forecast")
LABELS = {
    "80": "80 % of the budget reached",
    "100": "budget reached",
    "forecast": "forecast above the budget",
}


@dataclass(frozen=True)
class MonthSpend:
    month: date  # first day
    spent: Decimal
    through: date  # last day with usage counted

    @property
    def forecast(self) -> Decimal:
        days = calendar.monthrange(self.month.year, self.month.month)[1]
        elapsed = (self.through - self.month).days + 1
        return (self.spent / elapsed * days).quantize(CENT)


def due_alerts(*, amount: Decimal, spend: MonthSpend, fired: set[str]) -> list[str]:
    """The alert kinds the spend calls for that have not fired this month, in KINDS order."""
    if amount <= 0:
        return []
    due = []
    if spend.spent >= amount * Decimal("0.8"):
        due.append("80")
    if spend.spent >= amount:
        due.append("100")
    elif spend.forecast > amount:
        due.append("forecast")
    return [kind for kind in due if kind not in fired]
