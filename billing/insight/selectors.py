"""Reads of the insight pages, always within one reseller."""

from datetime import timedelta

from django.utils import timezone

from billing.insight import anomaly
from billing.insight.models import AnomalyAlert, InsightSettings


def anomalies_of(reseller, *, customer_id: int | None = None):
    alerts = AnomalyAlert.objects.filter(reseller=reseller).select_related("customer")
    return alerts.filter(customer_id=customer_id) if customer_id else alerts


def recent_anomalies(reseller, *, days: int = 7):
    since = timezone.now().date() - timedelta(days=days)
    return anomalies_of(reseller).filter(day__gte=since)


def thresholds_of(reseller) -> anomaly.Thresholds:
    settings = InsightSettings.objects.filter(reseller=reseller).first()
    return settings.thresholds() if settings else anomaly.Thresholds()
