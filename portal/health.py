"""Probes for the load balancer and the orchestrator.

`/healthz`: the process is up and answers (nothing else is touched: no database, no cache).
`/readyz`: the process can serve: the database answers, Redis answers when `REDIS_URL` is set
(and the cache's own Redis when `CACHE_REDIS_URL` names another), and the default storage
(local folder or S3 bucket) is reachable. 200 when all pass, 503 naming the checks that failed.

Both are answered by `HealthCheckMiddleware` ahead of the rest of the stack, so a probe by IP
address over plain HTTP works (no ALLOWED_HOSTS check, no HTTPS redirect, no session).
"""

import logging
import os
import time
from functools import partial

from django.conf import settings
from django.core.files.storage import default_storage
from django.db import connections
from django.http import JsonResponse

logger = logging.getLogger("portal.health")

# A probe must answer quickly: a dependency that does not answer within this fails it.
PROBE_TIMEOUT_SECONDS = 2.0


def check_database() -> None:
    with connections["default"].cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()


def check_redis(url: str | None = None) -> None:
    import redis

    client = redis.Redis.from_url(
        url or settings.REDIS_URL,
        socket_connect_timeout=PROBE_TIMEOUT_SECONDS,
        socket_timeout=PROBE_TIMEOUT_SECONDS,
    )
    try:
        client.ping()
    finally:
        client.close()


def check_storage() -> None:
    bucket_name = getattr(default_storage, "bucket_name", None)
    if bucket_name:  # django-storages S3: the bucket exists and our credentials may use it
        default_storage.connection.meta.client.head_bucket(Bucket=bucket_name)
        return
    location = default_storage.location  # the local folder: it exists (or can) and is writable
    os.makedirs(location, exist_ok=True)
    if not os.access(location, os.W_OK | os.X_OK):
        raise PermissionError(f"{location} is not writable")


def readiness_checks() -> dict:
    checks = {"database": check_database, "storage": check_storage}
    if settings.REDIS_URL:
        checks["redis"] = check_redis
    if settings.CACHE_REDIS_URL and settings.CACHE_REDIS_URL != settings.REDIS_URL:
        checks["cache"] = partial(check_redis, settings.CACHE_REDIS_URL)
    return checks


def run_checks() -> tuple[bool, dict[str, str]]:
    """Run every readiness check; (all passed, {name: "ok" or what failed})."""
    results = {}
    for name, check in readiness_checks().items():
        started = time.monotonic()
        try:
            check()
        except Exception as e:
            # The reason is logged in full; the answer names only the kind of failure.
            logger.warning("readiness check %s failed: %s", name, e, exc_info=True)
            results[name] = f"failed: {type(e).__name__}"
        else:
            results[name] = "ok"
        logger.debug("readiness check %s took %.1f ms", name, (time.monotonic() - started) * 1000)
    return all(v == "ok" for v in results.values()), results


def healthz(request):
    return JsonResponse({"status": "ok"})


def readyz(request):
    ok, results = run_checks()
    return JsonResponse(
        {"status": "ok" if ok else "unavailable", "checks": results}, status=200 if ok else 503
    )


PROBES = {"/healthz": healthz, "/readyz": readyz}


class HealthCheckMiddleware:
    """Answer the probes before host validation, HTTPS redirect, sessions or authentication."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        probe = PROBES.get(request.path_info.rstrip("/") or "/")
        if probe is not None and request.method in ("GET", "HEAD"):
            response = probe(request)
            response["Cache-Control"] = "no-store"
            return response
        return self.get_response(request)
