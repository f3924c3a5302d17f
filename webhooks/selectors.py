"""Reads of a reseller's webhook endpoints and deliveries (404 alike for missing and foreign)."""

from django.db.models import Count, Prefetch, Q, QuerySet
from django.shortcuts import get_object_or_404

from webhooks.models import WebhookAttempt, WebhookDelivery, WebhookEndpoint


def webhook_endpoints_of(reseller) -> QuerySet[WebhookEndpoint]:
    return WebhookEndpoint.objects.filter(reseller=reseller).annotate(
        failed_deliveries=Count(
            "deliveries", filter=Q(deliveries__status=WebhookDelivery.Status.FAILED)
        )
    )


def webhook_endpoint_get(*, member, endpoint_id: int) -> WebhookEndpoint:
    return get_object_or_404(
        WebhookEndpoint.objects.filter(reseller=member.reseller), pk=endpoint_id
    )


def webhook_deliveries_of(reseller, *, endpoint=None) -> QuerySet[WebhookDelivery]:
    rows = WebhookDelivery.objects.filter(reseller=reseller).select_related("event", "endpoint")
    if endpoint is not None:
        rows = rows.filter(endpoint=endpoint)
    return rows.prefetch_related(
        Prefetch("log", queryset=WebhookAttempt.objects.order_by("at", "id"))
    ).order_by("-created_at", "-id")


def webhook_delivery_get(*, member, delivery_id: int, endpoint=None) -> WebhookDelivery:
    return get_object_or_404(
        webhook_deliveries_of(member.reseller, endpoint=endpoint), pk=delivery_id
    )
