"""Webhook endpoints through the API: the same services as the Webhooks page."""

import pytest
from django_scopes import scopes_disabled

from portal.roles import Role
from tests import factories
from webhooks.catalog import EVENT_TYPES
from webhooks.models import WebhookEndpoint

pytestmark = pytest.mark.django_db
URL = "http://127.0.0.1:9/psa"


def test_create_shows_the_secret_once_and_a_replay_does_not(api_a):
    body = {"url": URL, "events": ["customer.created", "invoice.finalized"]}
    first = api_a.post("/api/v1/webhooks/", body, idempotency_key="hook-1")
    assert first.status_code == 201, first.content
    data = first.json()
    assert data["secret"].startswith("whsec_")
    assert data["events"] == ["customer.created", "invoice.finalized"] and data["enabled"]
    replay = api_a.post("/api/v1/webhooks/", body, idempotency_key="hook-1")
    assert replay.status_code == 201 and replay.headers["Idempotent-Replayed"] == "true"
    assert "secret" not in replay.json() and replay.json()["id"] == data["id"]
    with scopes_disabled():
        assert WebhookEndpoint.objects.count() == 1
        stored = WebhookEndpoint.objects.get()
        assert data["secret"] not in stored.secret  # kept encrypted


def test_list_change_rotate_and_delete(api_a, owner_a):
    endpoint = factories.WebhookEndpointFactory(reseller=owner_a.reseller)
    assert [e["id"] for e in api_a.get("/api/v1/webhooks/").json()["results"]] == [endpoint.pk]
    changed = api_a.patch(
        f"/api/v1/webhooks/{endpoint.pk}/", {"events": ["ticket.replied"], "enabled": False}
    )
    assert changed.status_code == 200, changed.content
    assert changed.json()["events"] == ["ticket.replied"] and not changed.json()["enabled"]
    rotated = api_a.post(f"/api/v1/webhooks/{endpoint.pk}/rotate-secret/")
    assert rotated.status_code == 200 and rotated.json()["secret"].startswith("whsec_")
    assert api_a.delete(f"/api/v1/webhooks/{endpoint.pk}/").status_code == 204
    with scopes_disabled():
        assert not WebhookEndpoint.objects.exists()


def test_unknown_event_and_bad_url_are_refused_with_problems(api_a):
    bad = api_a.post("/api/v1/webhooks/", {"url": URL, "events": ["customer.deleted"]})
    assert bad.status_code == 400 and bad.json()["code"] == "invalid_request"
    ftp = api_a.post("/api/v1/webhooks/", {"url": "ftp://x.test/", "events": ["ticket.replied"]})
    assert ftp.status_code == 422 and ftp.json()["code"] == "webhooks.not_https"


def test_deliveries_and_redelivery(api_a, owner_a, django_capture_on_commit_callbacks):
    delivery = factories.WebhookDeliveryFactory(endpoint__reseller=owner_a.reseller)
    listed = api_a.get(f"/api/v1/webhooks/{delivery.endpoint_id}/deliveries/")
    assert listed.status_code == 200
    [row] = listed.json()["results"]
    assert row["id"] == delivery.pk and row["event_id"] == delivery.event.event_id
    assert row["payload"]["type"] == "customer.created"
    with django_capture_on_commit_callbacks(execute=True):  # the attempt (nobody listens)
        redone = api_a.post(f"/api/v1/webhooks/deliveries/{delivery.pk}/redeliver/")
    assert redone.status_code == 202
    got = api_a.get(f"/api/v1/webhooks/deliveries/{delivery.pk}/").json()
    assert got["attempts"] == 1 and got["log"][0]["manual"] is True
    assert got["log"][0]["status_code"] is None and got["log"][0]["error"]


def test_event_types_are_listed(api_a):
    types = api_a.get("/api/v1/webhooks/event-types/").json()
    assert [t["type"] for t in types] == list(EVENT_TYPES)


@pytest.mark.parametrize("role", [Role.SALES, Role.BILLING, Role.VIEWER])
def test_only_owners_and_admins_manage_webhooks(owner_a, api_for, role):
    api = api_for(owner_a, role)
    assert api.get("/api/v1/webhooks/").status_code == 403
    assert (
        api.post("/api/v1/webhooks/", {"url": URL, "events": ["ticket.replied"]}).status_code == 403
    )


def test_another_resellers_endpoint_is_not_found(api_b, owner_a):
    delivery = factories.WebhookDeliveryFactory(endpoint__reseller=owner_a.reseller)
    assert api_b.get(f"/api/v1/webhooks/{delivery.endpoint_id}/").status_code == 404
    assert api_b.get(f"/api/v1/webhooks/{delivery.endpoint_id}/deliveries/").status_code == 404
    assert api_b.post(f"/api/v1/webhooks/deliveries/{delivery.pk}/redeliver/").status_code == 404
    assert api_b.get("/api/v1/webhooks/").json()["results"] == []
