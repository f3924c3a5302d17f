"""Deliveries to a real HTTP receiver: signed, retried with backoff, logged, redelivered,
and an endpoint that keeps failing is disabled with a word to its owners."""

import json
from datetime import timedelta

import pytest
import time_machine
from django.core import mail
from django.db import transaction
from django.utils import timezone
from django_scopes import scopes_disabled

from portal.models import AuditEvent, Notification
from portal.roles import Role
from tests import factories
from webhooks import services, tasks
from webhooks.events import emit
from webhooks.models import WebhookDelivery, WebhookEndpoint

pytestmark = pytest.mark.django_db


def _emit_committed(django_capture_on_commit_callbacks, obj, type="customer.created"):
    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        return emit(type, obj)


def _delivery():
    with scopes_disabled():
        return WebhookDelivery.objects.get()


def test_fails_twice_then_succeeds_and_is_handled_once_with_a_verified_signature(
    owner_a, endpoint_for, receiver, django_capture_on_commit_callbacks
):
    customer = factories.CustomerFactory(reseller=owner_a.reseller)
    with time_machine.travel(timezone.now(), tick=False) as clock:
        hook = receiver(answers=[500, 503])
        endpoint, secret = endpoint_for(owner_a, hook.url)
        hook.secret = secret
        event = _emit_committed(django_capture_on_commit_callbacks, customer)

        first = _delivery()  # attempted on commit: refused
        assert (first.status, first.attempts, first.last_status_code) == ("pending", 1, 500)
        assert first.next_attempt_at == first.first_attempt_at + timedelta(seconds=30)

        clock.shift(timedelta(seconds=29))
        assert tasks.deliver_due_webhooks() == 0  # not due yet
        clock.shift(timedelta(seconds=1))
        assert tasks.deliver_due_webhooks() == 1
        second = _delivery()
        assert (second.attempts, second.last_status_code) == (2, 503)
        assert second.next_attempt_at == first.first_attempt_at + timedelta(minutes=2, seconds=30)

        clock.shift(timedelta(minutes=2))
        assert tasks.deliver_due_webhooks() == 1
        assert tasks.deliver_due_webhooks() == 0  # finished: nothing more to send

    done = _delivery()
    assert (done.status, done.attempts, done.last_status_code) == ("succeeded", 3, 204)
    assert len(hook.requests) == 3
    assert hook.rejected == []
    assert len(hook.handled) == 1  # processed exactly once, as a success
    payload = hook.handled[0]
    assert payload["id"] == event.event_id and payload["type"] == "customer.created"
    assert payload["reseller_id"] == owner_a.reseller_id
    assert payload["data"]["id"] == customer.pk
    # every attempt carries the same id and the same bytes; the timestamp is the attempt's
    assert {r["headers"]["webhook-id"] for r in hook.requests} == {event.event_id}
    assert {r["body"] for r in hook.requests} == {event.body.encode()}
    assert len({r["headers"]["webhook-timestamp"] for r in hook.requests}) == 3
    assert all(r["headers"]["webhook-signature"].startswith("v1,") for r in hook.requests)
    with scopes_disabled():
        log = list(done.log.order_by("at", "id").values_list("status_code", flat=True))
        assert log == [500, 503, 204]
        assert WebhookEndpoint.objects.get(pk=endpoint.pk).failing_since is None


def test_a_wrong_secret_does_not_verify(
    owner_a, endpoint_for, receiver, django_capture_on_commit_callbacks
):
    hook = receiver()
    endpoint_for(owner_a, hook.url)
    hook.secret = "whsec_" + "QUJDREVGR0hJSktMTU5PUFFSU1RVVldY"  # not the endpoint's
    _emit_committed(
        django_capture_on_commit_callbacks, factories.CustomerFactory(reseller=owner_a.reseller)
    )
    assert hook.rejected == ["No matching signature found"]
    assert _delivery().last_status_code == 401


def test_the_same_fact_emitted_again_is_the_same_event_and_is_not_sent_twice(
    owner_a, endpoint_for, receiver, django_capture_on_commit_callbacks
):
    hook = receiver()
    _, hook.secret = endpoint_for(owner_a, hook.url)
    customer = factories.CustomerFactory(reseller=owner_a.reseller)
    first = _emit_committed(django_capture_on_commit_callbacks, customer)
    again = _emit_committed(django_capture_on_commit_callbacks, customer)
    assert again.pk == first.pk and again.event_id == first.event_id
    assert len(hook.requests) == 1


def test_rotation_signs_with_both_secrets_for_a_day(
    owner_a, endpoint_for, receiver, django_capture_on_commit_callbacks
):
    hook = receiver()
    endpoint, old = endpoint_for(owner_a, hook.url)
    new = services.webhook_endpoint_rotate_secret(member=owner_a, endpoint=endpoint)
    assert new != old and new.startswith("whsec_")
    hook.secret = old  # a receiver that has not switched yet still verifies
    _emit_committed(
        django_capture_on_commit_callbacks, factories.CustomerFactory(reseller=owner_a.reseller)
    )
    assert len(hook.handled) == 1
    assert len(hook.requests[0]["headers"]["webhook-signature"].split(" ")) == 2
    with time_machine.travel(timezone.now() + timedelta(hours=25)):
        hook.secret = new
        _emit_committed(
            django_capture_on_commit_callbacks, factories.CustomerFactory(reseller=owner_a.reseller)
        )
        assert len(hook.requests[1]["headers"]["webhook-signature"].split(" ")) == 1
        assert len(hook.handled) == 2


def test_manual_redelivery_sends_a_finished_delivery_again(
    owner_a, endpoint_for, receiver, django_capture_on_commit_callbacks
):
    hook = receiver()
    _, hook.secret = endpoint_for(owner_a, hook.url)
    _emit_committed(
        django_capture_on_commit_callbacks, factories.CustomerFactory(reseller=owner_a.reseller)
    )
    delivery = _delivery()
    with django_capture_on_commit_callbacks(execute=True):
        services.webhook_delivery_redeliver(member=owner_a, delivery=delivery)
    assert len(hook.requests) == 2
    assert hook.requests[0]["headers"]["webhook-id"] == hook.requests[1]["headers"]["webhook-id"]
    with scopes_disabled():
        assert [a.manual for a in delivery.log.order_by("at", "id")] == [False, True]
        assert AuditEvent.objects.filter(action="webhooks.delivery.redelivered").count() == 1


def test_an_endpoint_failing_for_24_hours_is_disabled_and_its_owners_are_told(
    owner_a, member_of, endpoint_for, receiver, django_capture_on_commit_callbacks
):
    admin = member_of(owner_a.reseller, Role.ADMIN)
    hook = receiver(answers=[500] * 20)
    with time_machine.travel(timezone.now(), tick=False) as clock:
        endpoint, _ = endpoint_for(owner_a, hook.url)
        start = timezone.now()
        _emit_committed(
            django_capture_on_commit_callbacks, factories.CustomerFactory(reseller=owner_a.reseller)
        )
        while (delivery := _delivery()).status == "pending":
            clock.move_to(delivery.next_attempt_at)
            with django_capture_on_commit_callbacks(execute=True):  # the e-mails go on commit
                tasks.deliver_due_webhooks()
        assert timezone.now() - start == timedelta(hours=24)

    assert delivery.status == "failed" and delivery.attempts == 8
    assert len(hook.requests) == 8
    with scopes_disabled():
        endpoint.refresh_from_db()
        assert not endpoint.enabled
        assert "failed for 24 hours" in endpoint.disabled_reason
        notes = Notification.objects.filter(title__startswith="Webhook endpoint disabled")
        assert [n.user for n in notes] == [owner_a.user]  # owners, not admins
        assert admin.user not in [n.user for n in notes]
        assert AuditEvent.objects.filter(action="webhooks.endpoint.disabled").count() == 1
    assert [m.to for m in mail.outbox] == [[owner_a.user.email]]
    # a disabled endpoint gets no new events
    _emit_committed(
        django_capture_on_commit_callbacks, factories.CustomerFactory(reseller=owner_a.reseller)
    )
    assert len(hook.requests) == 8


def test_a_success_within_the_24_hours_keeps_the_endpoint(
    owner_a, endpoint_for, receiver, django_capture_on_commit_callbacks
):
    hook = receiver(answers=[500] * 7)  # all but the last attempt fail
    _, hook.secret = endpoint_for(owner_a, hook.url)
    with time_machine.travel(timezone.now(), tick=False) as clock:
        _emit_committed(
            django_capture_on_commit_callbacks, factories.CustomerFactory(reseller=owner_a.reseller)
        )
        while (delivery := _delivery()).status == "pending":
            clock.move_to(delivery.next_attempt_at)
            tasks.deliver_due_webhooks()
    assert delivery.status == "succeeded" and delivery.attempts == 8
    with scopes_disabled():
        endpoint = WebhookEndpoint.objects.get()
        assert endpoint.enabled and endpoint.failing_since is None


def test_emitting_for_a_reseller_without_a_listening_endpoint_costs_one_query(
    owner_a, django_assert_num_queries
):
    customer = factories.CustomerFactory(reseller=owner_a.reseller)
    with django_assert_num_queries(1):  # which endpoints listen: none, so nothing is stored
        assert emit("customer.created", customer) is None


def test_an_unknown_event_type_is_a_programming_error(owner_a):
    with pytest.raises(ValueError, match="not an event type"):
        emit("customer.deleted", factories.CustomerFactory(reseller=owner_a.reseller))


def test_a_payload_that_cannot_be_built_does_not_fail_the_service(
    owner_a, endpoint_for, monkeypatch, caplog
):
    from webhooks import events

    def broken(obj, *, reseller_id):
        raise KeyError("a bug in a payload builder")

    monkeypatch.setitem(events.builders(), "customers.customer", broken)
    endpoint_for(owner_a, "http://127.0.0.1:9/hooks")
    customer = factories.CustomerFactory(reseller=owner_a.reseller)
    with transaction.atomic():
        event = emit("customer.created", customer)
        customer.save()  # the transaction goes on
    assert json.loads(event.body)["data"] == {"id": customer.pk, "object": "customers.customer"}
    assert "could not be built" in caplog.text
