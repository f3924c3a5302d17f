"""/metrics: who may read it, and what it counts (requests, Celery tasks)."""

import pytest
from prometheus_client import REGISTRY
from prometheus_client.parser import text_string_to_metric_families

from portal.roles import Role
from portal.tasks import expire_invitations
from tests.factories import UserFactory

TOKEN = "scrape-token-for-tests"


def sample(name, **labels):
    return REGISTRY.get_sample_value(name, labels) or 0.0


def scraped(response) -> dict:
    """{(sample name, sorted labels): value} of a /metrics answer."""
    return {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(response.content.decode())
        for s in family.samples
    }


@pytest.mark.django_db
def test_metrics_are_for_the_scraper_token_or_operations_staff(
    client, settings, reseller_a, member_of
):
    settings.METRICS_TOKEN = TOKEN
    anonymous = client.get("/metrics")
    assert anonymous.status_code == 401
    assert anonymous["WWW-Authenticate"] == 'Bearer realm="metrics"'
    assert client.get("/metrics", HTTP_AUTHORIZATION="Bearer wrong").status_code == 401

    scraper = client.get("/metrics", HTTP_AUTHORIZATION=f"Bearer {TOKEN}")
    assert scraper.status_code == 200
    assert scraper["Content-Type"].startswith("text/plain; version=")
    assert "portal_http_requests_total" in scraper.content.decode()

    client.force_login(member_of(reseller_a, Role.OWNER).user)
    assert client.get("/metrics").status_code == 403

    settings.STAFF_MFA_REQUIRED = False
    client.force_login(UserFactory(is_staff=True))
    assert client.get("/metrics").status_code == 200


@pytest.mark.django_db
def test_no_token_configured_means_no_token_is_accepted(client):
    # the default: no METRICS_TOKEN in the environment
    assert client.get("/metrics", HTTP_AUTHORIZATION="Bearer ").status_code == 401


@pytest.mark.django_db
def test_requests_are_counted_by_url_name_and_status(client, settings):
    settings.METRICS_TOKEN = TOKEN
    client.get("/help/")
    client.get("/help/")
    client.get("/no-such-page/")
    before = scraped(client.get("/metrics", HTTP_AUTHORIZATION=f"Bearer {TOKEN}"))
    client.get("/help/")
    after = scraped(client.get("/metrics", HTTP_AUTHORIZATION=f"Bearer {TOKEN}"))

    help_ok = (
        "portal_http_requests_total",
        (("method", "GET"), ("status", "200"), ("view", "help")),
    )
    assert after[help_ok] == before[help_ok] + 1
    assert (
        before[
            (
                "portal_http_requests_total",
                (("method", "GET"), ("status", "404"), ("view", "unresolved")),
            )
        ]
        >= 1
    )
    timed = ("portal_http_request_duration_seconds_count", (("method", "GET"), ("view", "help")))
    assert after[timed] == before[timed] + 1
    # queue lengths are read from the broker when there is one
    assert any(name == "portal_celery_queue_length" for name, _ in after) == bool(
        settings.REDIS_URL
    )


@pytest.mark.django_db
def test_celery_tasks_are_counted_and_timed_by_name_and_outcome():
    name = expire_invitations.name
    done = sample("portal_celery_tasks_total", task=name, state="succeeded")
    timed = sample("portal_celery_task_duration_seconds_count", task=name)

    expire_invitations.delay()

    assert sample("portal_celery_tasks_total", task=name, state="succeeded") == done + 1
    assert sample("portal_celery_task_duration_seconds_count", task=name) == timed + 1


@pytest.mark.django_db
def test_a_failing_task_is_counted_as_failed():
    from billing.services import document_pdf_task as render_pdf

    failed = sample("portal_celery_tasks_total", task=render_pdf.name, state="failed")
    with pytest.raises(Exception):  # noqa: B017 - any failure of the task counts
        render_pdf.delay("invoice", 0)
    assert sample("portal_celery_tasks_total", task=render_pdf.name, state="failed") == failed + 1
