"""What the reconciliation pages read."""

from collections import defaultdict
from decimal import Decimal

from django.db.models import Count, Sum

from billing.models import BillingRun
from billing.reconciliation.models import Difference, ReconciliationRun

FILTERS = ("reason", "reseller", "product_type", "leg")


def ops_periods() -> list:
    """Period starts that have billing runs, newest first."""
    return list(
        BillingRun.objects.order_by("-period_start")
        .values_list("period_start", flat=True)
        .distinct()[:36]
    )


def run_of(period_start) -> ReconciliationRun | None:
    return ReconciliationRun.objects.filter(period_start=period_start).first()


def differences(run: ReconciliationRun | None, *, of_reseller=None, legs=None, **filters):
    """The run's differences (of `of_reseller` only when given), filtered by `FILTERS` values
    (empty values ignored)."""
    if run is None:
        return Difference.objects.none()
    rows = Difference.objects.filter(run=run)
    if of_reseller is not None:
        rows = rows.filter(reseller=of_reseller)
    if legs:
        rows = rows.filter(leg__in=legs)
    given = {k: v for k, v in filters.items() if k in FILTERS and v}
    if "reseller" in given:
        reseller = given.pop("reseller")
        rows = rows.filter(reseller_id=int(reseller)) if reseller.isdigit() else rows.none()
    return rows.filter(**given).select_related("reseller", "customer", "subscription")


def totals(rows) -> list[dict]:
    """Per reason: lines, and the amounts per currency; rounding listed apart (last)."""
    sums = defaultdict(dict)
    counts = {}
    for row in (
        rows.order_by().values("reason", "currency").annotate(n=Count("pk"), amount=Sum("amount"))
    ):
        counts[row["reason"]] = counts.get(row["reason"], 0) + row["n"]
        sums[row["reason"]][row["currency"]] = row["amount"] or Decimal("0.00")
    labels = dict(Difference.Reason.choices)
    order = [r for r in Difference.Reason.values if r != Difference.Reason.ROUNDING]
    return [
        {
            "reason": reason,
            "label": labels[reason],
            "lines": counts[reason],
            "amounts": sorted(sums[reason].items()),
            "rounding": reason == Difference.Reason.ROUNDING,
        }
        for reason in [*order, Difference.Reason.ROUNDING]
        if reason in counts
    ]
