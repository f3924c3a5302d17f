"""The API's beat-scheduled jobs (CELERY_BEAT_SCHEDULE)."""

from celery import shared_task

from api import services


@shared_task
def prune_idempotency_records() -> int:
    """Hourly: forget stored POST answers older than API_IDEMPOTENCY_KEEP_HOURS."""
    return services.idempotent_requests_prune()
