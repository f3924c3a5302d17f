"""Reads of the insight pages, always within one reseller."""

from datetime import date, timedelta
from decimal import Decimal

from django.db.models import F, Max, Sum
from django.utils import timezone

from billing.insight import anomaly
from billing.insight.budget import MonthSpend
from billing.insight.models import AnomalyAlert, Budget, BudgetAlert, InsightSettings
from billing.usage.models import UsageLine


def anomalies_of(reseller, *, customer_id: int | None = None):
    alerts = AnomalyAlert.objects.filter(reseller=reseller).select_related("customer")
    return alerts.filter(customer_id=customer_id) if customer_id else alerts


def recent_anomalies(reseller, *, days: int = 7):
    """The alerts of the last `days` days, each with its customer's name (`customer_name`):
    the dashboard's card shows no more of the customer."""
    since = timezone.now().date() - timedelta(days=days)
    return AnomalyAlert.objects.filter(reseller=reseller, day__gte=since).annotate(
        customer_name=F("customer__company_name")
    )


def thresholds_of(reseller) -> anomaly.Thresholds:
    settings = InsightSettings.objects.filter(reseller=reseller).first()
    return settings.thresholds() if settings else anomaly.Thresholds()


def budgets_overview(reseller, *, today) -> list[dict]:
    """Each budget with its month so far (spend through yesterday, forecast, share used)."""
    rows = []
    for budget in Budget.objects.filter(reseller=reseller).select_related(
        "customer", "subscription__offer"
    ):
        spend = month_spend(budget, day=today - timedelta(days=1))
        rows.append(
            {
                "budget": budget,
                "spend": spend,
                "percent": (spend.spent / budget.amount * 100).quantize(Decimal(1))
                if spend
                else None,
            }
        )
    return rows


def budget_alerts_this_month(reseller, *, today):
    return BudgetAlert.objects.filter(reseller=reseller, month=today.replace(day=1)).select_related(
        "budget__customer"
    )


def month_spend(budget: Budget, *, day: date) -> MonthSpend | None:
    """The budget's Azure cost in `day`'s month through `day` (None before any usage)."""
    month = day.replace(day=1)
    lines = UsageLine.objects.filter(
        reseller=budget.reseller,
        customer=budget.customer,
        currency=budget.currency,
        is_marketplace=False,
        usage_date__range=(month, day),
    )
    if budget.subscription_id:
        lines = lines.filter(subscription=budget.subscription)
    got = lines.aggregate(spent=Sum("billing_pre_tax_total"), through=Max("usage_date"))
    if got["through"] is None:
        return None
    return MonthSpend(month=month, spent=got["spent"], through=got["through"])
