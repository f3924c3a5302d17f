"""Billing's beat-scheduled jobs (CELERY_BEAT_SCHEDULE); the tasks services enqueue live beside
those services (billing/services.py, billing/statements.py, billing/usage/services.py)."""

from celery import shared_task
from django.utils import timezone

from billing import services
from billing.insight.services import anomalies_detect, budgets_check
from billing.reconciliation import services as reconciliation_services
from billing.reports import cache as report_cache
from billing.usage import partitions
from billing.usage import services as usage_services

RELIABLE = {"acks_late": True, "reject_on_worker_lost": True}


@shared_task(**RELIABLE)
def pull_unbilled_usage() -> int:
    """Daily: Microsoft's unbilled usage through Microsoft Graph (one import per currency)."""
    return len(usage_services.usage_graph_pull())


@shared_task(**RELIABLE)
def pull_billed_reconciliation() -> int:
    """Daily (beat): the billed invoice reconciliation (licence-based / New Commerce line
    items) of each invoice of Microsoft's that is out and not pulled yet; idempotent."""
    return len(reconciliation_services.billed_reconciliation_pull_due(today=timezone.now().date()))


@shared_task(**RELIABLE)
def create_usage_partitions() -> int:
    """Daily (beat): this month's usage line partition and the next three (PostgreSQL);
    idempotent."""
    return len(partitions.create_ahead(timezone.now().date()))


@shared_task(**RELIABLE)
def fold_report_changes() -> int:
    """Every 10 minutes (beat): the notes of changes to report data folded into one per
    reseller (each state read sums the reseller's notes: few, however busy it is); the
    states the cached report figures are kept under stay the same. Returns the notes removed."""
    return report_cache.fold()


@shared_task
def start_due_billing_runs() -> int:
    return len(services.billing_runs_start_due(today=timezone.now().date()))


@shared_task(**RELIABLE)
def detect_cost_anomalies() -> int:
    """Daily (beat): anomaly alerts on the last days' Azure cost; idempotent."""
    return len(anomalies_detect(today=timezone.now().date()))


@shared_task(**RELIABLE)
def check_budgets() -> int:
    """Daily (beat): budget alerts (80 %, 100 %, forecast) for the month so far; idempotent."""
    return len(budgets_check(today=timezone.now().date()))
