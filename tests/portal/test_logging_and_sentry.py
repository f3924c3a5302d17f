"""Production logs: one JSON object per line with the request id (X-Request-ID in and out)
and the reseller id; Sentry only when SENTRY_DSN is set."""

import gzip
import io
import json
import logging
import os
import re
import subprocess
import sys

import pytest
import sentry_sdk
from django.conf import settings as django_settings

from portal import observability
from portal.roles import Role


@pytest.fixture
def json_log():
    """The production JSON formatter on the per-request logger; yields the lines written."""
    config = dict(django_settings.LOGGING["formatters"]["json"])
    formatter_class = config.pop("()")
    module, name = formatter_class.rsplit(".", 1)
    formatter = getattr(__import__(module, fromlist=[name]), name)(**config)
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(formatter)
    handler.addFilter(observability.LogContextFilter())
    logger = logging.getLogger("portal.request")
    level = logger.level
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    lines = []
    try:
        yield lambda: lines or [json.loads(x) for x in stream.getvalue().splitlines()]
    finally:
        logger.removeHandler(handler)
        logger.setLevel(level)


def envelope(request) -> bytes:
    """The body Sentry's SDK posted (compressed with brotli when it can, else gzip)."""
    data = request.get_data()
    encoding = request.headers.get("Content-Encoding")
    if encoding == "br":
        import brotli

        return brotli.decompress(data)
    return gzip.decompress(data) if encoding == "gzip" else data


def log_a_warning(**env) -> str:
    """What a process with these settings prints when it logs a warning."""
    code = (
        "import django, logging; django.setup(); "
        "logging.getLogger('portal.test').warning('disk %s full', 'media')"
    )
    base = {k: v for k, v in os.environ.items() if k not in ("LOG_FORMAT", "DEBUG")}
    done = subprocess.run(  # noqa: S603 - this interpreter, our own code
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=django_settings.BASE_DIR,
        env={**base, "DJANGO_SETTINGS_MODULE": "portal.settings", "SECRET_KEY": "x", **env},
    )
    assert done.returncode == 0, done.stderr
    return done.stderr.strip()


def test_production_logs_one_json_object_per_line():
    line = json.loads(log_a_warning(DEBUG="0"))
    assert (line["level"], line["logger"], line["message"]) == (
        "WARNING",
        "portal.test",
        "disk media full",
    )
    assert line["request_id"] is None and line["reseller_id"] is None
    assert line["time"].endswith("+00:00")


def test_development_logs_are_text():
    assert log_a_warning(DEBUG="1").endswith("WARNING portal.test [None] disk media full")


@pytest.mark.django_db
def test_a_request_id_from_the_proxy_is_kept_and_answered(client):
    response = client.get("/help/", HTTP_X_REQUEST_ID="lb-7f3a-0042")
    assert response["X-Request-ID"] == "lb-7f3a-0042"


@pytest.mark.django_db
def test_a_missing_or_odd_request_id_is_replaced_by_a_new_one(client):
    first = client.get("/help/")["X-Request-ID"]
    odd = client.get("/help/", HTTP_X_REQUEST_ID="<script>alert(1)</script>")["X-Request-ID"]
    assert re.fullmatch(r"[0-9a-f]{32}", first)
    assert re.fullmatch(r"[0-9a-f]{32}", odd) and odd != first


@pytest.mark.django_db
def test_each_request_logs_one_json_line_with_request_and_reseller_ids(
    client_for, reseller_a, member_of, json_log
):
    client = client_for(member_of(reseller_a, Role.OWNER))
    response = client.get("/dashboard/", HTTP_X_REQUEST_ID="req-1")
    assert response.status_code == 200

    [line] = [x for x in json_log() if x["path"] == "/dashboard/"]
    assert line["request_id"] == "req-1"
    assert line["reseller_id"] == reseller_a.pk
    assert (line["level"], line["logger"], line["message"]) == (
        "INFO",
        "portal.request",
        "GET /dashboard/ 200",
    )
    assert line["status"] == 200 and line["duration_ms"] >= 0
    assert line["time"].endswith("+00:00")


@pytest.mark.django_db
def test_anonymous_requests_log_no_reseller(client, json_log):
    client.get("/help/", HTTP_X_REQUEST_ID="req-2")
    [line] = json_log()
    assert (line["request_id"], line["reseller_id"]) == ("req-2", None)


def test_a_task_queued_during_a_request_carries_its_request_id():
    headers = {}
    token = observability.request_id_var.set("req-3")
    try:
        observability.task_published(headers=headers)
    finally:
        observability.request_id_var.reset(token)
    assert headers == {"request_id": "req-3"}


def test_sentry_is_off_without_a_dsn():
    assert not django_settings.SENTRY_DSN
    assert not sentry_sdk.get_client().is_active()


@pytest.mark.django_db
def test_with_a_dsn_errors_reach_sentry_tagged_with_the_request_id(
    httpserver, client, settings, reseller_a, member_of
):
    settings.ROOT_URLCONF = "tests.portal.failing_urls"
    httpserver.expect_request("/api/1/envelope/", method="POST").respond_with_data("{}")
    member = member_of(reseller_a, Role.OWNER)
    client.force_login(member.user)
    client.raise_request_exception = False
    observability.init_sentry(
        dsn=f"http://public@{httpserver.host}:{httpserver.port}/1",
        environment="test",
        release="",
        traces_sample_rate=0.0,
    )
    try:
        response = client.get("/fail/", HTTP_X_REQUEST_ID="req-4")
        sentry_sdk.flush(timeout=5)
    finally:
        sentry_sdk.get_global_scope().set_client(None)  # off again for the other tests
    assert response.status_code == 500
    assert not sentry_sdk.get_client().is_active()
    [event] = [
        json.loads(item)
        for request, _ in httpserver.log
        for item in envelope(request).splitlines()
        if b'"exception"' in item
    ]
    assert event["exception"]["values"][-1]["value"] == "billing run failed"
    assert event["environment"] == "test"
    assert event["tags"]["request_id"] == "req-4"
    assert str(event["tags"]["reseller_id"]) == str(reseller_a.pk)
    # no personal data: no cookies, no e-mail address
    assert member.user.email not in json.dumps(event)
    assert "sessionid" not in json.dumps(event)
