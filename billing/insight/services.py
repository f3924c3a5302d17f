"""Watching customers' Azure spend: anomaly alerts on the daily cost and monthly budgets
(both checked by beat jobs), and their settings."""

from collections import defaultdict
from datetime import date, timedelta
from decimal import Decimal

from django.db import transaction
from django.db.models import Sum
from django.http import Http404
from django.urls import reverse
from django.utils import timezone
from django_scopes import scope, scopes_disabled

from billing.insight import anomaly, selectors
from billing.insight import budget as budget_rules
from billing.insight.models import AnomalyAlert, Budget, BudgetAlert, InsightSettings
from billing.usage.models import UsageLine
from customers.models import Customer
from customers.selectors import customer_get
from partner_center.errors import NotSupported
from partner_center.gateway import get_gateway
from portal.audit import audit
from portal.models import Membership, Reseller
from portal.notifications import notify
from portal.numbers import amount, money
from portal.permissions import require
from portal.roles import PERMISSIONS
from portal.upkeep import each_row
from subscriptions.selectors import subscription_get
from webhooks.events import emit

CHECK_DAYS = 3  # usage arrives late: each run checks the last days again (once per day)


def alert_recipients(reseller_ids) -> dict[int, list]:
    """Reseller id → its members who may see money (owners, admins, billing)."""
    recipients = defaultdict(list)
    for m in Membership.objects.filter(
        reseller_id__in=reseller_ids, role__in=PERMISSIONS["billing.view_money"]
    ).select_related("user"):
        if m.user.is_active:
            recipients[m.reseller_id].append(m.user)
    return recipients


def _meter(category: str, name: str) -> str:
    return f"{category} / {name}" if category else name


def anomalies_detect(*, today: date, days: int = CHECK_DAYS) -> list[AnomalyAlert]:
    """Check each customer's daily Azure cost of the `days` days before `today` against its
    trailing baseline (billing.insight.anomaly) and raise the alerts not raised yet: one per
    customer-day, with an in-app notification and e-mail to the reseller's money roles. Each
    reseller in its own transaction (a failure is an upkeep failure; the others go on)."""
    first, last = today - timedelta(days=days), today - timedelta(days=1)
    window = anomaly.Thresholds().window
    with scopes_disabled():
        rows = (
            UsageLine.objects.filter(
                is_marketplace=False, usage_date__range=(first - timedelta(days=window), last)
            )
            .values_list(
                "reseller_id",
                "customer_id",
                "currency",
                "usage_date",
                "meter_category",
                "meter_name",
            )
            .annotate(cost=Sum("billing_pre_tax_total"))
            .order_by()
        )
        series: dict[int, dict[tuple, list]] = defaultdict(lambda: defaultdict(list))
        for reseller_id, customer_id, currency, day, category, name, cost in rows:
            series[reseller_id][customer_id, currency].append((day, _meter(category, name), cost))
    results, _ = each_row(
        "billing.detect_cost_anomalies",
        Reseller,
        sorted(series),
        lambda pk: _detect_for_reseller(pk, series[pk], first=first, last=last),
    )
    return [alert for alerts in results for alert in alerts]


def _detect_for_reseller(
    reseller_id: int, customers: dict, *, first: date, last: date
) -> list[AnomalyAlert]:
    reseller = Reseller.objects.get(pk=reseller_id)
    with scope(reseller=reseller):
        return _detect_in_scope(reseller, customers, first=first, last=last)


def _detect_in_scope(reseller, customers: dict, *, first: date, last: date) -> list[AnomalyAlert]:
    settings = InsightSettings.objects.filter(reseller=reseller).first()
    thresholds = settings.thresholds() if settings else anomaly.Thresholds()
    done = set(
        AnomalyAlert.objects.filter(reseller=reseller, day__range=(first, last)).values_list(
            "customer_id", "day", "currency"
        )
    )
    found = []
    for (customer_id, currency), rows in customers.items():
        days = anomaly.daily_meters(rows)
        for a in anomaly.scan(days, first=first, last=last, thresholds=thresholds):
            if (customer_id, a.day, currency) not in done:
                found.append(
                    AnomalyAlert(
                        reseller=reseller,
                        customer_id=customer_id,
                        day=a.day,
                        currency=currency,
                        amount=a.amount,
                        expected=a.expected,
                        score=a.score,
                        movers=[
                            {"meter": m.meter, "amount": str(m.amount), "expected": str(m.expected)}
                            for m in a.movers
                        ],
                    )
                )
    if not found:
        return []
    alerts = AnomalyAlert.objects.bulk_create(found)
    names = dict(
        Customer.objects.filter(pk__in={a.customer_id for a in alerts}).values_list(
            "pk", "company_name"
        )
    )
    users = alert_recipients([reseller.pk])[reseller.pk]
    for alert in alerts:
        movers = ", ".join(m["meter"] for m in alert.movers) or "no single meter"
        notify(
            reseller=reseller,
            users=users,
            title=f"Azure cost anomaly: {names[alert.customer_id]} spent {alert.amount} "
            f"{alert.currency} on {alert.day}",
            body=f"Expected about {money(alert.expected, alert.currency)}. Moved most: {movers}.",
            url=reverse("billing_insight:anomalies") + f"?customer={alert.customer_id}",
        )
        audit(
            actor=None,
            reseller=reseller,
            action="billing.anomaly.raise",
            obj=alert,
            data={
                "customer": alert.customer_id,
                "day": alert.day.isoformat(),
                "amount": str(alert.amount),
                "expected": str(alert.expected),
                "currency": alert.currency,
                "top_meter": alert.top_meter,
            },
        )
        emit("anomaly.detected", alert)
    return alerts


@transaction.atomic
def insight_settings_update(*, member, score, min_amount, min_ratio) -> InsightSettings:
    """Set the reseller's anomaly thresholds (managers only)."""
    require(member, "insight.configure")
    settings, _ = InsightSettings.objects.get_or_create(reseller=member.reseller)
    before = settings.thresholds()
    settings.anomaly_score, settings.anomaly_min_amount = score, min_amount
    settings.anomaly_min_ratio = min_ratio
    settings.full_clean()
    settings.save()
    audit(
        actor=member.user,
        reseller=member.reseller,
        action="billing.insight_settings.update",
        obj=settings,
        data={
            "before": [str(before.score), str(before.min_amount), str(before.min_ratio)],
            "after": [str(score), str(min_amount), str(min_ratio)],
        },
    )
    return settings


# Budgets


def _push_budget(customer, amount) -> bool:
    """Partner Center's usage spending budget of the customer set to `amount` (None: none);
    False where the gateway does not offer budgets or the customer has no tenant yet."""
    if not customer.tenant_id:
        return False
    try:
        get_gateway().set_usage_budget(str(customer.tenant_id), amount)
    except NotSupported:
        return False
    return True


@transaction.atomic
def budget_set(
    *, member, customer_id: int, amount: Decimal, subscription_id: int | None = None
) -> Budget:
    """Set a customer's monthly Azure budget (or one subscription's). A customer's budget is
    also set in Partner Center where the gateway offers it; its refusal refuses the change."""
    require(member, "budgets.edit")
    customer = customer_get(member=member, customer_id=customer_id)
    sub = (
        subscription_get(member=member, subscription_id=subscription_id)
        if subscription_id
        else None
    )
    if sub is not None and sub.customer_id != customer.pk:
        raise Http404
    budget = Budget.objects.filter(customer=customer, subscription=sub).first() or Budget(
        reseller=member.reseller, customer=customer, subscription=sub
    )
    before = budget.amount
    budget.amount, budget.currency, budget.updated_at = amount, customer.currency, timezone.now()
    budget.full_clean()
    if sub is None and _push_budget(customer, amount):
        budget.synced_at = timezone.now()
    budget.save()
    audit(
        actor=member.user,
        reseller=member.reseller,
        action="billing.budget.set",
        obj=budget,
        data={
            "customer": customer.pk,
            "subscription": subscription_id,
            "before": str(before) if before is not None else None,
            "amount": str(amount),
            "currency": budget.currency,
            "synced": budget.synced_at is not None,
        },
    )
    return budget


@transaction.atomic
def budget_remove(*, member, budget_id: int) -> None:
    require(member, "budgets.edit")
    budget = Budget.objects.filter(pk=budget_id).select_related("customer").first()
    if budget is None:
        raise Http404
    if budget.subscription_id is None:
        _push_budget(budget.customer, None)
    audit(
        actor=member.user,
        reseller=member.reseller,
        action="billing.budget.remove",
        obj=budget,
        data={"amount": str(budget.amount), "currency": budget.currency},
    )
    budget.delete()


def budgets_check(*, today: date) -> list[BudgetAlert]:
    """Alerts of every budget for the month of yesterday's usage (80 %, 100 %, forecast above),
    each once per budget and month; each budget in its own transaction."""
    day = today - timedelta(days=1)
    with scopes_disabled():
        pks = list(Budget.objects.values_list("pk", flat=True).order_by("pk"))
    results, _ = each_row(
        "billing.check_budgets", Budget, pks, lambda pk: _check_budget(pk, day=day)
    )
    return [alert for alerts in results for alert in alerts]


def _check_budget(pk: int, *, day: date) -> list[BudgetAlert]:
    with scopes_disabled():
        budget = Budget.objects.select_related("reseller", "customer", "subscription").get(pk=pk)
    with scope(reseller=budget.reseller):
        spend = selectors.month_spend(budget, day=day)
        if spend is None:
            return []
        fired = set(
            BudgetAlert.objects.filter(budget=budget, month=spend.month).values_list(
                "kind", flat=True
            )
        )
        alerts = [
            BudgetAlert.objects.create(
                reseller=budget.reseller,
                budget=budget,
                month=spend.month,
                kind=kind,
                spent=spend.spent.quantize(budget_rules.CENT),
                forecast=spend.forecast,
            )
            for kind in budget_rules.due_alerts(amount=budget.amount, spend=spend, fired=fired)
        ]
        what = budget.subscription.offer.name if budget.subscription_id else "Azure"
        users = alert_recipients([budget.reseller_id])[budget.reseller_id]
        for alert in alerts:
            notify(
                reseller=budget.reseller,
                users=users,
                title=f"{budget.customer}: {alert.get_kind_display().lower()} ({what}, "
                f"{spend.month:%B %Y})",
                body=f"Spent {amount(alert.spent, budget.currency)} of "
                f"{money(budget.amount, budget.currency)} through "
                f"{spend.through}; forecast for the month "
                f"{money(alert.forecast, budget.currency)}.",
                url=reverse("billing_insight:budgets"),
            )
            audit(
                actor=None,
                reseller=budget.reseller,
                action="billing.budget.alert",
                obj=alert,
                data={
                    "budget": budget.pk,
                    "kind": alert.kind,
                    "month": spend.month.isoformat(),
                    "spent": str(alert.spent),
                    "forecast": str(alert.forecast),
                },
            )
            emit("budget.alert", alert)
        return alerts
