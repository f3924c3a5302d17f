"""Billing's beat-scheduled jobs (CELERY_BEAT_SCHEDULE); the tasks services enqueue live beside
those services (billing/services.py, billing/statements.py, billing/usage/services.py)."""

from celery import shared_task
from django.utils import timezone

from billing import services


@shared_task
def start_due_billing_runs() -> int:
    return len(services.billing_runs_start_due(today=timezone.now().date()))
