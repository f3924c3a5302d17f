"""Subscriptions' beat-scheduled jobs: the daily upkeep (each step idempotent: running it twice
changes nothing), the expiry of pending transfers and the catalog sync from Partner Center."""

from celery import shared_task
from django.utils import timezone
from django_scopes import scopes_disabled

from subscriptions import services
from subscriptions.catalog.sync import catalog_sync_all
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


@shared_task
def sync_catalog() -> list[str]:
    """Daily: Partner Center's New Commerce catalog per country (offers' catalog items)."""
    with scopes_disabled():
        return catalog_sync_all()
