"""Probes for the load balancer: /healthz (process up) and /readyz (dependencies reachable)."""

import socket

import pytest


def closed_port() -> int:
    """A localhost port nothing listens on (bound, then released)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_healthz_answers_without_touching_the_database(client):
    # no database fixture: any query would raise
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


@pytest.mark.django_db
def test_probes_answer_a_load_balancer_calling_by_ip_over_plain_http(client, settings):
    settings.ALLOWED_HOSTS = ["portal.example.com"]
    settings.SECURE_SSL_REDIRECT = True
    assert client.get("/healthz", HTTP_HOST="10.0.0.7").status_code == 200
    assert client.get("/readyz", HTTP_HOST="10.0.0.7").status_code == 200
    # every other page still refuses an unknown host
    assert client.get("/", HTTP_HOST="10.0.0.7").status_code == 400


@pytest.mark.django_db
def test_readyz_passes_on_the_running_services(client, tmp_path, settings):
    settings.MEDIA_ROOT = tmp_path / "media"
    response = client.get("/readyz")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok"
    assert body["checks"]["database"] == "ok"
    assert body["checks"]["storage"] == "ok"
    # Redis is checked when the portal uses it (CI: REDIS_URL is set)
    if settings.REDIS_URL:
        assert body["checks"]["redis"] == "ok"
    else:
        assert "redis" not in body["checks"]


@pytest.mark.django_db
def test_readyz_fails_when_redis_is_down(client, settings):
    settings.REDIS_URL = f"redis://127.0.0.1:{closed_port()}/0"
    response = client.get("/readyz")
    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "unavailable"
    assert body["checks"]["redis"] == "failed: ConnectionError"
    assert body["checks"]["database"] == "ok"
    assert response["Cache-Control"] == "no-store"


@pytest.mark.django_db
def test_readyz_fails_when_the_caches_own_redis_is_down(client, settings):
    """With CACHE_REDIS_URL naming a Redis of its own (docker-compose), it is checked too."""
    settings.REDIS_URL = ""
    settings.CACHE_REDIS_URL = f"redis://127.0.0.1:{closed_port()}/0"
    response = client.get("/readyz")
    assert response.status_code == 503
    assert response.json()["checks"]["cache"] == "failed: ConnectionError"
    assert "redis" not in response.json()["checks"]


@pytest.mark.django_db
def test_readyz_fails_when_the_storage_folder_cannot_be_used(client, tmp_path, settings):
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where the media folder should be")
    settings.MEDIA_ROOT = blocker
    response = client.get("/readyz")
    assert response.status_code == 503
    assert response.json()["checks"]["storage"].startswith("failed: ")
    assert response.json()["checks"]["database"] == "ok"


def test_readyz_fails_when_the_database_is_down(client, monkeypatch):
    from portal import health

    def refused():
        raise health.connections["default"].Database.OperationalError("connection refused")

    monkeypatch.setattr(health, "check_database", refused)
    response = client.get("/readyz")
    assert response.status_code == 503
    assert response.json()["checks"]["database"] == "failed: OperationalError"
