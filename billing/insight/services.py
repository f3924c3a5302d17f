"""Anomaly alerts on customers' daily Azure cost (run by the daily beat job)."""

from collections import defaultdict
from datetime import date, timedelta

from django.db import transaction
from django.db.models import Sum
from django.urls import reverse
from django_scopes import scope, scopes_disabled

from billing.insight import anomaly
from billing.insight.models import AnomalyAlert, InsightSettings
from billing.models import UsageLine
from customers.models import Customer
from portal.audit import audit
from portal.models import Membership, Reseller
from portal.notifications import notify
from portal.permissions import require
from portal.roles import PERMISSIONS
from portal.upkeep import each_row

CHECK_DAYS = 3  # usage arrives late: each run checks the last days again (once per day)


def alert_recipients(reseller_ids) -> dict[int, list]:
    """Reseller id → its members who may see money (owners, admins, billing)."""
    recipients = defaultdict(list)
    for m in Membership.objects.filter(
            reseller_id__in=reseller_ids,
            role__in=PERMISSIONS["billing.view_money"]).select_related("user"):
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
        rows = (UsageLine.objects.filter(is_marketplace=False,
                                         usage_date__range=(first - timedelta(days=window), last))
                .values_list("reseller_id", "customer_id", "currency", "usage_date",
                             "meter_category", "meter_name")
                .annotate(cost=Sum("billing_pre_tax_total")).order_by())
        series: dict[int, dict[tuple, list]] = defaultdict(lambda: defaultdict(list))
        for reseller_id, customer_id, currency, day, category, name, cost in rows:
            series[reseller_id][customer_id, currency].append((day, _meter(category, name), cost))
    results, _ = each_row("billing.detect_cost_anomalies", Reseller, sorted(series), lambda pk: (
        _detect_for_reseller(pk, series[pk], first=first, last=last)))
    return [alert for alerts in results for alert in alerts]


def _detect_for_reseller(reseller_id: int, customers: dict, *, first: date,
                         last: date) -> list[AnomalyAlert]:
    reseller = Reseller.objects.get(pk=reseller_id)
    with scope(reseller=reseller):
        return _detect_in_scope(reseller, customers, first=first, last=last)


def _detect_in_scope(reseller, customers: dict, *, first: date, last: date
                     ) -> list[AnomalyAlert]:
    settings = InsightSettings.objects.filter(reseller=reseller).first()
    thresholds = settings.thresholds() if settings else anomaly.Thresholds()
    done = set(AnomalyAlert.objects.filter(reseller=reseller, day__range=(first, last))
               .values_list("customer_id", "day", "currency"))
    found = []
    for (customer_id, currency), rows in customers.items():
        days = anomaly.daily_meters(rows)
        for a in anomaly.scan(days, first=first, last=last, thresholds=thresholds):
            if (customer_id, a.day, currency) not in done:
                found.append(AnomalyAlert(
                    reseller=reseller, customer_id=customer_id, day=a.day, currency=currency,
                    amount=a.amount, expected=a.expected, score=a.score,
                    movers=[{"meter": m.meter, "amount": str(m.amount),
                             "expected": str(m.expected)} for m in a.movers]))
    if not found:
        return []
    alerts = AnomalyAlert.objects.bulk_create(found)
    names = dict(Customer.objects.filter(pk__in={a.customer_id for a in alerts})
                 .values_list("pk", "company_name"))
    users = alert_recipients([reseller.pk])[reseller.pk]
    for alert in alerts:
        movers = ", ".join(m["meter"] for m in alert.movers) or "no single meter"
        notify(reseller=reseller, users=users,
               title=f"Azure cost anomaly: {names[alert.customer_id]} spent {alert.amount} "
                     f"{alert.currency} on {alert.day}",
               body=f"Expected about {alert.expected} {alert.currency}. Moved most: {movers}.",
               url=reverse("billing_insight:anomalies") + f"?customer={alert.customer_id}")
        audit(actor=None, reseller=reseller, action="billing.anomaly.raise", obj=alert,
              data={"customer": alert.customer_id, "day": alert.day.isoformat(),
                    "amount": str(alert.amount), "expected": str(alert.expected),
                    "currency": alert.currency, "top_meter": alert.top_meter})
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
    audit(actor=member.user, reseller=member.reseller, action="billing.insight_settings.update",
          obj=settings, data={"before": [str(before.score), str(before.min_amount),
                                         str(before.min_ratio)],
                              "after": [str(score), str(min_amount), str(min_ratio)]})
    return settings
