"""`Idempotency-Key` on every POST of the schema (found from the schema itself, so a new POST
is covered when it is added): required, a replay returns the first answer, another request
with the same key is 409; stored answers are pruned after API_IDEMPOTENCY_KEEP_HOURS."""

import uuid
from datetime import timedelta

import pytest
from django.test import Client
from django.urls import resolve
from django.utils import timezone
from django_scopes import scopes_disabled

from api import services
from api.models import IdempotentRequest
from portal.models import AuditEvent
from tests.api.isolation import _resource, objects_of

pytestmark = pytest.mark.django_db


def _post_operations(schema) -> list[tuple[str, dict]]:
    return [(path, ops["post"]) for path, ops in schema["paths"].items() if "post" in ops]


def _url(path: str, ids: dict) -> str:
    return path.replace("{id}", str(ids[_resource(path)])) if "{id}" in path else path


def test_every_post_documents_a_required_idempotency_key_and_refuses_none(owner_a, api_a):
    schema = Client().get("/api/v1/schema/?format=json").json()
    posts = _post_operations(schema)
    assert len(posts) >= 10
    ids = objects_of(owner_a.reseller)
    with scopes_disabled():
        audit_before = AuditEvent.objects.count()
    for path, operation in posts:
        header = [
            p
            for p in operation.get("parameters", [])
            if p["in"] == "header" and p["name"] == "Idempotency-Key"
        ]
        assert header and header[0]["required"], f"POST {path} does not document the key"
        assert {"400", "409"} <= operation["responses"].keys(), path
        response = api_a.generic("POST", _url(path, ids), "{}", content_type="application/json")
        assert response.status_code == 400, (path, response.content)
        assert response.json()["code"] == "idempotency_key_required", path
    with scopes_disabled():
        assert AuditEvent.objects.count() == audit_before  # nothing ran


def test_every_post_replays_its_first_answer_and_refuses_another_body(owner_a, api_a):
    schema = Client().get("/api/v1/schema/?format=json").json()
    ids = objects_of(owner_a.reseller)
    for path, _ in _post_operations(schema):
        url, key = _url(path, ids), str(uuid.uuid4())
        first = api_a.post(url, {"probe": 1}, idempotency_key=key)
        assert first.status_code < 500, (path, first.content)
        again = api_a.post(url, {"probe": 1}, idempotency_key=key)
        # a secret shown once (a webhook's) is not stored, so not replayed
        hidden = getattr(resolve(url).func.cls, "unreplayable_fields", ())
        expected = first.json()
        if isinstance(expected, dict):
            expected = {k: v for k, v in expected.items() if k not in hidden}
        assert (again.status_code, again.json()) == (first.status_code, expected), path
        assert again["Idempotent-Replayed"] == "true", path
        other = api_a.post(url, {"probe": 2}, idempotency_key=key)
        assert other.status_code == 409, path
        assert other.json()["code"] == "idempotency_key_reused", path
        assert other["Content-Type"] == "application/problem+json", path


def test_stored_answers_older_than_the_retention_are_pruned(owner_a, api_a, settings):
    settings.API_IDEMPOTENCY_KEEP_HOURS = 24
    body = {"subject": "Hello", "category": "billing", "description": "Question"}
    first = api_a.post("/api/v1/tickets/", body, idempotency_key="old-key")
    assert first.status_code == 201
    assert api_a.post("/api/v1/tickets/", body, idempotency_key="new-key").status_code == 201
    with scopes_disabled():
        IdempotentRequest.objects.filter(key="old-key").update(
            created_at=timezone.now() - timedelta(hours=25)
        )
        IdempotentRequest.objects.filter(key="new-key").update(
            created_at=timezone.now() - timedelta(hours=23)
        )

    assert services.idempotent_requests_prune() == 1

    with scopes_disabled():
        assert list(IdempotentRequest.objects.values_list("key", flat=True)) == ["new-key"]
    # after pruning the old key is a new request (a second ticket); the new one still replays
    again = api_a.post("/api/v1/tickets/", body, idempotency_key="old-key")
    assert again.status_code == 201 and again.json()["id"] != first.json()["id"]
    assert "Idempotent-Replayed" not in again
    replay = api_a.post("/api/v1/tickets/", body, idempotency_key="new-key")
    assert replay["Idempotent-Replayed"] == "true"


def test_the_prune_job_is_scheduled_by_beat(settings):
    from api.tasks import prune_idempotency_records

    assert "api.tasks.prune_idempotency_records" in {
        entry["task"] for entry in settings.CELERY_BEAT_SCHEDULE.values()
    }
    assert prune_idempotency_records() == 0


def test_a_refusal_echoing_a_nul_character_is_answered_not_a_server_error(api_a):
    """PostgreSQL's jsonb cannot store U+0000: the 400 that echoes a bad choice is answered
    (and again on a replay) instead of failing while its answer is stored (found by the fuzz)."""
    body = {"company_name": "Contoso", "country": "\u0000X"}
    for _ in range(2):
        response = api_a.post("/api/v1/customers/", body, idempotency_key="nul-key")
        assert response.status_code == 400, response.content
        assert response.json()["errors"][0]["field"] in {"country", "primary_domain"}
    with scopes_disabled():
        assert not IdempotentRequest.objects.filter(key="nul-key").exists()
