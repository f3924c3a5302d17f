"""Beat jobs of the webhooks (CELERY_BEAT_SCHEDULE)."""

from celery import shared_task

from webhooks import services


@shared_task
def deliver_due_webhooks() -> int:
    return services.webhook_deliveries_due()


@shared_task
def prune_webhook_events() -> int:
    return services.webhook_events_prune()
