"""The emitter: `emit("subscription.created", sub)` in a service, once the fact is written.

The event is stored in the caller's transaction (a rolled-back service emits nothing) and its
deliveries are queued when that transaction commits. Its id is derived from the fact's identity
(reseller, type, object and `key`), so emitting the same fact again returns the same event and
delivers nothing twice; receivers de-duplicate on `webhook-id` too. Nothing is stored for a
reseller with no enabled endpoint listening to the type.

The envelope (documented in the README, "Webhooks"):
    {"id": "evt_…", "type": "subscription.created", "created_at": "…Z", "reseller_id": 7,
     "data": {…}}
`data` is built by the `webhook_payloads` builder the apps name on their AppConfig (the API
names its serializers, so `data` has the API's field names), keyed by the object's model label.
"""

import hashlib
import json
import logging
from collections.abc import Callable
from functools import cache
from typing import Any

from django.core.serializers.json import DjangoJSONEncoder
from django.db import IntegrityError, models, transaction
from django.utils import timezone
from django_scopes import scope, scopes_disabled

from portal import frame
from webhooks.catalog import EVENT_TYPES
from webhooks.models import WebhookDelivery, WebhookEndpoint, WebhookEvent
from webhooks.services import webhook_deliver_task

Builder = Callable[..., dict[str, Any]]
logger = logging.getLogger(__name__)


@cache
def builders() -> dict[str, Builder]:
    """model label ("subscriptions.subscription") -> builder(obj, *, reseller_id) -> data."""
    found: dict[str, Builder] = {}
    for path in frame.contributions("webhook_payloads"):
        found.update(path if isinstance(path, dict) else {})
    return found


def event_id(*, reseller_id: int, type: str, identity: str) -> str:
    digest = hashlib.sha256(f"{reseller_id}|{type}|{identity}".encode()).hexdigest()
    return f"evt_{digest[:32]}"


def identity_of(obj: models.Model, key: object = None) -> str:
    base = f"{obj._meta.label_lower}:{obj.pk}"
    return base if key is None else f"{base}:{key}"


def build_data(obj: models.Model, *, reseller_id: int) -> dict[str, Any]:
    """`obj` as the API shows it, read again (what the transaction wrote, not a stale copy).
    A builder that fails must not fail the service emitting: the event then carries the
    object's id only (and the error is logged)."""
    minimal = {"id": obj.pk, "object": obj._meta.label_lower}
    builder = builders().get(obj._meta.label_lower)
    if builder is None:
        return minimal
    try:
        with transaction.atomic(), scope(reseller=reseller_id):  # a savepoint
            fresh = type(obj)._base_manager.filter(pk=obj.pk).first() or obj
            return builder(fresh, reseller_id=reseller_id)
    except Exception:
        logger.exception("The webhook payload of %s %s could not be built.", *minimal.values())
        return minimal


def listening(reseller_id: int, type: str) -> list[int]:
    rows = WebhookEndpoint.objects.filter(reseller_id=reseller_id, enabled=True).values_list(
        "pk", "events"
    )
    return [pk for pk, events in rows if type in (events or [])]


def emit(
    type: str, obj: models.Model, *, key: object = None, reseller=None, extra: dict | None = None
) -> WebhookEvent | None:
    """Emit the event `type` about `obj` (of `obj.reseller` unless `reseller` is given: a
    transfer concerns two). `key` tells apart several facts of one type about one object (a
    seat change, a renewal's term); `extra` adds fields to `data` (the seats before a change)."""
    if type not in EVENT_TYPES:
        raise ValueError(f"{type} is not an event type (webhooks/catalog.py).")
    reseller_id = getattr(reseller, "pk", reseller) if reseller is not None else obj.reseller_id  # type: ignore[attr-defined]
    with scopes_disabled():
        endpoints = listening(reseller_id, type)
        if not endpoints:
            return None
        eid = event_id(reseller_id=reseller_id, type=type, identity=identity_of(obj, key))
        existing = WebhookEvent.objects.filter(reseller_id=reseller_id, event_id=eid).first()
        if existing is not None:
            return existing
        now = timezone.now()
        envelope = {
            "id": eid,
            "type": type,
            "created_at": now.isoformat().replace("+00:00", "Z"),
            "reseller_id": reseller_id,
            "data": {**build_data(obj, reseller_id=reseller_id), **(extra or {})},
        }
        body = json.dumps(envelope, cls=DjangoJSONEncoder, separators=(",", ":"))
        try:
            with transaction.atomic():  # a savepoint: a concurrent emit of the same fact wins
                event = WebhookEvent.objects.create(
                    reseller_id=reseller_id, event_id=eid, type=type, body=body, created_at=now
                )
        except IntegrityError:
            return WebhookEvent.objects.get(reseller_id=reseller_id, event_id=eid)
        deliveries = WebhookDelivery.objects.bulk_create(
            [
                WebhookDelivery(
                    reseller_id=reseller_id,
                    endpoint_id=pk,
                    event=event,
                    next_attempt_at=now,
                    created_at=now,
                )
                for pk in endpoints
            ]
        )
    for delivery in deliveries:
        webhook_deliver_task.delay_on_commit(delivery.pk, reseller_id=reseller_id)
    return event
