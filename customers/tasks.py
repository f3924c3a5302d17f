"""Customers' beat-scheduled jobs (CELERY_BEAT_SCHEDULE)."""

from celery import shared_task

from customers.gdap.services import relationships_poll

RELIABLE = {"acks_late": True, "reject_on_worker_lost": True}


@shared_task(**RELIABLE)
def poll_gdap_relationships() -> dict:
    """Hourly (beat): each GDAP relationship's status from Microsoft, the access assignment
    once active, reminders 30 and 7 days before the end; idempotent."""
    return relationships_poll()
