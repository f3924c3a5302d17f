"""The ground's beat-scheduled jobs (CELERY_BEAT_SCHEDULE)."""

from celery import shared_task

from portal import services


@shared_task
def expire_invitations() -> int:
    return services.invitations_expire()
