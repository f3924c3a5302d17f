"""Webhook endpoints (created, changed, deleted, secret rotated), deliveries (attempted with
backoff, redelivered on request) and the automatic disabling of an endpoint that keeps failing.

A delivery is attempted by `webhook_deliver_task` (queue "webhooks"): queued when the event's
transaction commits, again after each failure with a countdown while the wait is short, and by
the beat sweep (`webhooks.tasks.deliver_due_webhooks`) for the long waits. A worker takes a
delivery with a lease (one conditional UPDATE), so a sweep and a countdown never send it twice.
"""

import time
from datetime import timedelta
from functools import cache

import httpx
from celery import shared_task
from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django_scopes import scopes_disabled

from portal.audit import audit
from portal.exceptions import ServiceError
from portal.models import Membership
from portal.notifications import notify
from portal.permissions import require
from portal.roles import Role
from portal.tasking import ResellerTask
from portal.tenancy import member_service, require_same_reseller
from webhooks import backoff, signing
from webhooks.catalog import EVENT_TYPES
from webhooks.models import WebhookAttempt, WebhookDelivery, WebhookEndpoint
from webhooks.urlcheck import check_url

USER_AGENT = "ResellerPortal-Webhooks/1.0"
LEASE = timedelta(minutes=2)
# waits up to this long are a Celery countdown; longer ones are left to the beat sweep (a
# countdown beyond the broker's visibility timeout would be delivered twice)
COUNTDOWN_MAX = timedelta(minutes=15)
ROTATION_OVERLAP = timedelta(hours=24)


def _window() -> timedelta:
    return timedelta(hours=settings.WEBHOOK_RETRY_HOURS)


def _clean_events(events) -> list[str]:
    chosen = sorted({str(e) for e in events or []})
    unknown = [e for e in chosen if e not in EVENT_TYPES]
    if unknown:
        raise ServiceError(
            f"Unknown event type: {', '.join(unknown)}.", code="webhooks.unknown_event"
        )
    if not chosen:
        raise ServiceError("Choose at least one event.", code="webhooks.no_events")
    return chosen


def _clean_url(url: str) -> str:
    url = (url or "").strip()
    if len(url) > 500:
        raise ServiceError("The URL is too long (500 characters at most).", code="webhooks.bad_url")
    check_url(url)
    return url


def _audit(member, endpoint: WebhookEndpoint, verb: str, **data) -> None:
    audit(
        actor=member.user if member else None,
        reseller=endpoint.reseller,
        obj=endpoint,
        action=f"webhooks.endpoint.{verb}",
        data={"url": endpoint.url, **data},
    )


@member_service
def webhook_endpoint_create(
    *, member, url: str, events, description: str = "", enabled: bool = True
) -> tuple[WebhookEndpoint, str]:
    """A new endpoint of the member's reseller; returns it with its secret (shown once)."""
    require(member, "webhooks.manage")
    secret = signing.new_secret()
    endpoint = WebhookEndpoint(
        reseller=member.reseller,
        url=_clean_url(url),
        events=_clean_events(events),
        description=(description or "").strip()[:200],
        secret=signing.encrypt(secret),
        enabled=enabled,
        created_by=member.user,
    )
    endpoint.full_clean()
    endpoint.save()
    _audit(member, endpoint, "created", events=endpoint.events)
    return endpoint, secret


@member_service
def webhook_endpoint_update(*, member, endpoint: WebhookEndpoint, **fields) -> WebhookEndpoint:
    """Change the URL, events, description or enabled flag. Enabling a disabled endpoint
    starts it afresh (its failure clock is reset)."""
    require(member, "webhooks.manage")
    require_same_reseller(member, endpoint)
    endpoint = WebhookEndpoint.objects.select_for_update().get(pk=endpoint.pk)
    changed = []
    if "url" in fields:
        endpoint.url = _clean_url(fields.pop("url"))
        changed.append("url")
    if "events" in fields:
        endpoint.events = _clean_events(fields.pop("events"))
        changed.append("events")
    if "description" in fields:
        endpoint.description = (fields.pop("description") or "").strip()[:200]
        changed.append("description")
    if "enabled" in fields:
        enabled = bool(fields.pop("enabled"))
        if enabled and not endpoint.enabled:
            endpoint.disabled_at, endpoint.disabled_reason, endpoint.failing_since = None, "", None
        elif not enabled and endpoint.enabled:
            endpoint.disabled_at, endpoint.disabled_reason = timezone.now(), "Disabled by a member."
        endpoint.enabled = enabled
        changed.append("enabled")
    if fields:
        raise ServiceError(
            f"{', '.join(sorted(fields))} cannot be changed.", code="webhooks.bad_field"
        )
    endpoint.full_clean()
    endpoint.save()
    if not endpoint.enabled:
        _stop_pending(endpoint, "The endpoint is disabled.")
    _audit(member, endpoint, "updated", changed=changed, enabled=endpoint.enabled)
    return endpoint


@member_service
def webhook_endpoint_delete(*, member, endpoint: WebhookEndpoint) -> None:
    require(member, "webhooks.manage")
    require_same_reseller(member, endpoint)
    _audit(member, endpoint, "deleted")
    endpoint.delete()


@member_service
def webhook_endpoint_rotate_secret(*, member, endpoint: WebhookEndpoint) -> str:
    """A new secret (returned, shown once); the previous one keeps signing for 24 hours
    alongside it (two signatures in `webhook-signature`) while the receiver switches."""
    require(member, "webhooks.manage")
    require_same_reseller(member, endpoint)
    endpoint = WebhookEndpoint.objects.select_for_update().get(pk=endpoint.pk)
    secret = signing.new_secret()
    endpoint.previous_secret = endpoint.secret
    endpoint.previous_secret_expires_at = timezone.now() + ROTATION_OVERLAP
    endpoint.secret = signing.encrypt(secret)
    endpoint.save(update_fields=["secret", "previous_secret", "previous_secret_expires_at"])
    _audit(member, endpoint, "secret_rotated")
    return secret


@member_service
def webhook_delivery_redeliver(*, member, delivery: WebhookDelivery) -> WebhookDelivery:
    """Send a delivery again now (one attempt, whatever its state; its schedule is kept)."""
    require(member, "webhooks.manage")
    require_same_reseller(member, delivery)
    if not delivery.endpoint.enabled:
        raise ServiceError(
            "This endpoint is disabled; enable it before redelivering.",
            code="webhooks.endpoint_disabled",
        )
    audit(
        actor=member.user,
        reseller=member.reseller,
        obj=delivery,
        action="webhooks.delivery.redelivered",
        data={"event": delivery.event.event_id, "url": delivery.endpoint.url},
    )
    webhook_deliver_task.delay_on_commit(delivery.pk, manual=True, reseller_id=delivery.reseller_id)
    return delivery


# Delivery


def _stop_pending(endpoint: WebhookEndpoint, reason: str) -> int:
    return WebhookDelivery.objects.filter(
        endpoint=endpoint, status=WebhookDelivery.Status.PENDING
    ).update(
        status=WebhookDelivery.Status.FAILED,
        next_attempt_at=None,
        finished_at=timezone.now(),
        last_error=reason,
    )


def _claim(delivery_id: int, *, manual: bool, now) -> bool:
    """Take the delivery for one attempt (a lease), unless someone holds it or it is not due."""
    rows = WebhookDelivery.objects.filter(pk=delivery_id).filter(
        Q(lease_until=None) | Q(lease_until__lt=now)
    )
    if not manual:
        rows = rows.filter(status=WebhookDelivery.Status.PENDING, next_attempt_at__lte=now)
    return rows.update(lease_until=now + LEASE) == 1


def _secrets(endpoint: WebhookEndpoint, now) -> list[str]:
    keys = [signing.decrypt(endpoint.secret)]
    if endpoint.previous_secret and (endpoint.previous_secret_expires_at or now) > now:
        keys.append(signing.decrypt(endpoint.previous_secret))
    return keys


@cache
def _http() -> httpx.Client:
    """One client per worker process: its connections and TLS context are reused (making a
    TLS context per request costs more than a fast receiver's answer)."""
    return httpx.Client(timeout=settings.WEBHOOK_TIMEOUT, follow_redirects=False)


def _post(endpoint: WebhookEndpoint, event, now) -> WebhookAttempt:
    body = event.body.encode()
    attempt = WebhookAttempt(reseller_id=endpoint.reseller_id, at=now)
    started = time.monotonic()
    try:
        check_url(endpoint.url)
        response = _http().post(
            endpoint.url,
            content=body,
            headers={
                "content-type": "application/json",
                "user-agent": USER_AGENT,
                **signing.headers(
                    event_id=event.event_id, at=now, body=body, secrets_=_secrets(endpoint, now)
                ),
            },
        )
    except ServiceError as exc:
        attempt.error = " ".join(exc.messages)[:500]
    except httpx.HTTPError as exc:
        attempt.error = f"{type(exc).__name__}: {exc}"[:500] or type(exc).__name__
    else:
        attempt.status_code = response.status_code
        attempt.response_body = response.text[:1000]
        if not attempt.succeeded:
            attempt.error = f"HTTP {response.status_code}"
    attempt.duration_ms = int((time.monotonic() - started) * 1000)
    return attempt


def webhook_delivery_attempt(*, delivery_id: int, manual: bool = False) -> WebhookDelivery | None:
    """One attempt of a delivery (the task's work). Returns None when it was not due or
    another worker holds it."""
    now = timezone.now()
    if not _claim(delivery_id, manual=manual, now=now):
        return None
    delivery = WebhookDelivery.objects.select_related("endpoint", "event").get(pk=delivery_id)
    endpoint = delivery.endpoint
    if not endpoint.enabled:
        if delivery.status == WebhookDelivery.Status.PENDING:
            _stop_pending(endpoint, "The endpoint is disabled.")
        WebhookDelivery.objects.filter(pk=delivery_id).update(lease_until=None)
        return delivery
    attempt = _post(endpoint, delivery.event, now)
    attempt.delivery, attempt.manual = delivery, manual
    with transaction.atomic():
        attempt.save()
        _record(delivery, endpoint, attempt, manual=manual)
    if delivery.status == WebhookDelivery.Status.PENDING and delivery.next_attempt_at:
        wait = delivery.next_attempt_at - timezone.now()
        if wait <= COUNTDOWN_MAX:
            webhook_deliver_task.apply_async(
                (delivery.pk,),
                {"reseller_id": delivery.reseller_id},
                countdown=max(wait.total_seconds(), 0),
            )
    return delivery


def _record(delivery: WebhookDelivery, endpoint, attempt: WebhookAttempt, *, manual: bool) -> None:
    now = attempt.at
    delivery.attempts += 1
    delivery.first_attempt_at = delivery.first_attempt_at or now
    delivery.last_status_code, delivery.last_error = attempt.status_code, attempt.error
    delivery.lease_until = None
    if attempt.succeeded:
        delivery.status, delivery.next_attempt_at = WebhookDelivery.Status.SUCCEEDED, None
        delivery.finished_at = now
        WebhookEndpoint.objects.filter(pk=endpoint.pk).update(failing_since=None)
    elif delivery.status == WebhookDelivery.Status.PENDING:
        delivery.next_attempt_at = backoff.next_attempt_at(
            first_at=delivery.first_attempt_at, now=now, window=_window()
        )
        if delivery.next_attempt_at is None:
            delivery.status, delivery.finished_at = WebhookDelivery.Status.FAILED, now
    delivery.save()
    if not attempt.succeeded and not manual:
        _failed(endpoint, now)


def _failed(endpoint: WebhookEndpoint, now) -> None:
    """A failed attempt: the endpoint has been failing since its first failure after the last
    success; failing for WEBHOOK_DISABLE_AFTER_HOURS disables it and tells its owners."""
    endpoint = WebhookEndpoint.objects.select_for_update().get(pk=endpoint.pk)
    if endpoint.failing_since is None:
        endpoint.failing_since = now
        endpoint.save(update_fields=["failing_since"])
        return
    limit = timedelta(hours=settings.WEBHOOK_DISABLE_AFTER_HOURS)
    if not endpoint.enabled or now - endpoint.failing_since < limit:
        return
    hours = settings.WEBHOOK_DISABLE_AFTER_HOURS
    endpoint.enabled, endpoint.disabled_at = False, now
    endpoint.disabled_reason = (
        f"Every delivery failed for {hours} hours (since "
        f"{endpoint.failing_since:%Y-%m-%d %H:%M} UTC)."
    )
    endpoint.save(update_fields=["enabled", "disabled_at", "disabled_reason"])
    _stop_pending(endpoint, "The endpoint was disabled after repeated failures.")
    _audit(None, endpoint, "disabled", reason=endpoint.disabled_reason)
    owners = [
        m.user
        for m in Membership.objects.filter(reseller_id=endpoint.reseller_id, role=Role.OWNER)
        .select_related("user")
        .order_by("pk")
    ]
    notify(
        reseller=endpoint.reseller,
        users=owners,
        title=f"Webhook endpoint disabled: {endpoint.url}",
        body=f"{endpoint.disabled_reason} No events are sent to it until it is enabled again "
        "on the Webhooks page; failed deliveries can be redelivered from there.",
        url=reverse("webhooks:endpoint", kwargs={"endpoint_id": endpoint.pk}),
    )


def webhook_deliveries_due(*, now=None, limit: int = 1000) -> int:
    """Queue every pending delivery whose next attempt is due (beat sweep, all resellers)."""
    now = now or timezone.now()
    with scopes_disabled():
        due = list(
            WebhookDelivery.objects.filter(
                status=WebhookDelivery.Status.PENDING, next_attempt_at__lte=now
            )
            .filter(Q(lease_until=None) | Q(lease_until__lt=now))
            .order_by("next_attempt_at")
            .values_list("pk", "reseller_id")[:limit]
        )
    for pk, reseller_id in due:
        webhook_deliver_task.delay(pk, reseller_id=reseller_id)
    return len(due)


def webhook_events_prune(*, now=None) -> int:
    """Forget events older than WEBHOOK_RETENTION_DAYS whose deliveries have all finished."""
    from webhooks.models import WebhookEvent

    now = now or timezone.now()
    cutoff = now - timedelta(days=settings.WEBHOOK_RETENTION_DAYS)
    with scopes_disabled():
        old = WebhookEvent.objects.filter(created_at__lt=cutoff).exclude(
            deliveries__status=WebhookDelivery.Status.PENDING
        )
        deleted, _ = old.delete()
    return deleted


@shared_task(acks_late=True, reject_on_worker_lost=True, base=ResellerTask)
def webhook_deliver_task(delivery_id: int, manual: bool = False) -> str:
    """One attempt of one webhook delivery (idempotent: an attempt that is not due is skipped)."""
    delivery = webhook_delivery_attempt(delivery_id=delivery_id, manual=manual)
    return delivery.status if delivery else "skipped"
