"""Support's beat-scheduled jobs (CELERY_BEAT_SCHEDULE)."""

from celery import shared_task

from support import services


@shared_task
def notify_sla_breaches() -> int:
    return services.tickets_notify_breaches()


@shared_task
def close_resolved_tickets() -> int:
    return services.tickets_close_resolved()
