"""Daily subscription upkeep (beat). Each step is idempotent: running it twice changes nothing."""

from celery import shared_task
from django.utils import timezone

from subscriptions import services
from subscriptions.insight.services import tenant_licences_sync
from subscriptions.transfers import services as transfers


@shared_task
def daily_upkeep() -> dict:
    today = timezone.now().date()
    return {
        "renewals": services.subscriptions_renew_due(today=today),
        "frequency_changes": services.subscriptions_apply_frequency_changes(today=today),
        "cycle_charges": services.subscriptions_charge_cycles(today=today),
        "reminders": services.subscriptions_remind_renewals(today=today),
    }


@shared_task
def sync_tenant_licences() -> dict:
    """Daily: licence use and sign-ins from each customer's tenant (own transaction each)."""
    return tenant_licences_sync()


@shared_task
def expire_transfers() -> int:
    return transfers.transfers_expire(now=timezone.now())


@shared_task(bind=True, max_retries=5, acks_late=True, reject_on_worker_lost=True)
def provision_subscription(self, subscription_id: int) -> str:
    """Place an order in Partner Center; while it is busy or down, retry with backoff."""
    final = self.request.retries >= self.max_retries
    try:
        sub = services.subscription_provision(subscription_id=subscription_id,
                                              final_attempt=final)
    except services.ProvisioningDelayed as exc:
        raise self.retry(exc=exc, countdown=30 * 2 ** self.request.retries) from exc
    return sub.provisioning
