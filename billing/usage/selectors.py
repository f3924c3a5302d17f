from celery.result import AsyncResult
from django.db.models import Count, Sum
from django.shortcuts import get_object_or_404
from django_scopes import scopes_disabled

from billing.usage.models import UsageImport, UsageLine
from subscriptions.models import Subscription


def usage_imports_of(reseller):
    """The reseller's own imports (operations imports have no reseller and never show)."""
    return UsageImport.objects.filter(reseller=reseller).select_related("uploaded_by")


def usage_import_get(*, member, usage_import_id: int) -> UsageImport:
    return get_object_or_404(
        UsageImport.objects.filter(reseller=member.reseller), pk=usage_import_id
    )


def ops_usage_imports():
    """Every import, operations' and resellers' (staff only, unscoped)."""
    with scopes_disabled():
        return UsageImport.objects.select_related("uploaded_by", "reseller")


def ops_usage_import_get(usage_import_id: int) -> UsageImport:
    with scopes_disabled():
        return get_object_or_404(UsageImport.objects.select_related("reseller"), pk=usage_import_id)


def usage_import_marketplace_lines(usage_import: UsageImport, *, limit: int = 50):
    """Marketplace one-time charges of the import (billed on a separate invoice)."""
    with scopes_disabled():
        return list(
            UsageLine.objects.filter(usage_import=usage_import, is_marketplace=True)
            .select_related("customer")
            .order_by("usage_date", "id")[:limit]
        )


def task_state(usage_import: UsageImport) -> str:
    """The Celery state of the import's task while it runs ("" when unknown)."""
    if usage_import.is_finished or not usage_import.task_id:
        return ""
    try:
        return AsyncResult(usage_import.task_id).state
    except Exception:  # result backend unreachable: the row's status still tells the story
        return ""


def daily_usage(reseller, *, start, end, customer_id=None, subscription_id=None):
    """Azure usage per customer, subscription and day from `start` to `end` (inclusive): the
    daily lines (marketplace charges aside) summed per currency, of one subscription or of one
    customer's subscriptions (read through the (reseller, subscription, day) key)."""
    lines = UsageLine.objects.filter(
        reseller=reseller, is_marketplace=False, usage_date__range=(start, end)
    )
    if subscription_id is not None:
        lines = lines.filter(subscription_id=subscription_id)
    if customer_id is not None:
        lines = lines.filter(
            subscription_id__in=Subscription.objects.filter(
                reseller=reseller, customer_id=customer_id
            ).values("pk")
        )
    return (
        lines.order_by("usage_date", "subscription_id", "currency")
        .values("customer_id", "subscription_id", "usage_date", "currency")
        .annotate(
            quantity=Sum("quantity"), pre_tax_total=Sum("billing_pre_tax_total"), lines=Count("pk")
        )
    )
