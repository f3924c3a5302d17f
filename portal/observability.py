"""Operating the portal: metrics for Prometheus (HTTP requests, Celery tasks and queues,
billing runs, usage imports, Partner Center calls) and the `/metrics` page that exports them;
request ids and reseller ids on every log line; Sentry when `SENTRY_DSN` is set.

Metrics are prometheus_client's. With several processes (gunicorn workers, Celery's prefork
children) set `PROMETHEUS_MULTIPROC_DIR` to an empty folder shared by the processes of one
container: every process writes its samples there and `/metrics` (or a worker's metrics port)
adds them up.
"""

import contextlib
import contextvars
import hmac
import logging
import os
import re
import threading
import time
import uuid

from django.conf import settings
from django.http import HttpResponse
from django.views.decorators.http import require_GET
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
    multiprocess,
)
from prometheus_client.core import GaugeMetricFamily

# Seconds: from a quick page to an hour-long batch.
LONG_BUCKETS = (0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600, 1800, 3600)

HTTP_REQUESTS = Counter(
    "portal_http_requests_total",
    "HTTP requests answered, by view and status.",
    ["method", "view", "status"],
)
HTTP_LATENCY = Histogram(
    "portal_http_request_duration_seconds",
    "Time to answer an HTTP request, by view.",
    ["method", "view"],
)

TASKS = Counter(
    "portal_celery_tasks_total",
    "Celery tasks finished, by task and state (succeeded, failed, retried).",
    ["task", "state"],
)
TASK_DURATION = Histogram(
    "portal_celery_task_duration_seconds",
    "Time a Celery task ran, by task.",
    ["task"],
    buckets=LONG_BUCKETS,
)
BILLING_COMPUTE = Histogram(
    "portal_billing_compute_duration_seconds",
    "Time to compute one batch of billing runs (ledgers and draft invoices), by outcome.",
    ["outcome"],
    buckets=LONG_BUCKETS,
)
USAGE_IMPORT = Histogram(
    "portal_usage_import_duration_seconds",
    "Time to validate and load one usage import, by outcome.",
    ["outcome"],
    buckets=LONG_BUCKETS,
)
PARTNER_CENTER_LATENCY = Histogram(
    "portal_partner_center_request_duration_seconds",
    "Partner Center API calls (each attempt),"
    " by method and HTTP status (or timeout / unreachable).",
    ["method", "status"],
)
PARTNER_CENTER_ERRORS = Counter(
    "portal_partner_center_errors_total",
    "Partner Center error answers, by HTTP status and "
    "Partner Center error code (empty when the body had none).",
    ["status", "code"],
)

# Tasks whose run is also a business measure (task name -> histogram).
TASK_MEASURES = {
    "billing.services.billing_runs_compute_task": BILLING_COMPUTE,
    "billing.usage.services.usage_import_task": USAGE_IMPORT,
}


# --- HTTP --------------------------------------------------------------------------------


class RequestMetricsMiddleware:
    """Count and time every request by its URL name (bounded labels, never the raw path)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        started = time.monotonic()
        response = self.get_response(request)
        match = getattr(request, "resolver_match", None)
        view = (match.view_name if match else "") or "unresolved"
        HTTP_LATENCY.labels(request.method, view).observe(time.monotonic() - started)
        HTTP_REQUESTS.labels(request.method, view, str(response.status_code)).inc()
        return response


# --- Request ids and log context ----------------------------------------------------------

request_id_var: contextvars.ContextVar[str | None] = contextvars.ContextVar(
    "request_id", default=None
)
reseller_id_var: contextvars.ContextVar[int | None] = contextvars.ContextVar(
    "reseller_id", default=None
)
# An id sent by the proxy in front is kept when it is a plain token of reasonable length.
_REQUEST_ID = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")
request_logger = logging.getLogger("portal.request")


class LogContextFilter(logging.Filter):
    """Put the current request id and reseller id on every log record."""

    def filter(self, record):
        record.request_id = request_id_var.get()
        record.reseller_id = reseller_id_var.get()
        return True


class RequestContextMiddleware:
    """Take the request id from `X-Request-ID` (or make one), answer with it, log one line
    per request; the signed-in member's reseller id joins once the tenant is known."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        incoming = request.headers.get("X-Request-ID", "")
        request.request_id = incoming if _REQUEST_ID.match(incoming) else uuid.uuid4().hex
        id_token = request_id_var.set(request.request_id)
        reseller_token = reseller_id_var.set(None)
        started = time.monotonic()
        try:
            _sentry_tag("request_id", request.request_id)
            response = self.get_response(request)
            response["X-Request-ID"] = request.request_id
            request_logger.info(
                "%s %s %s",
                request.method,
                request.path,
                response.status_code,
                extra={
                    "method": request.method,
                    "path": request.path,
                    "status": response.status_code,
                    "duration_ms": round((time.monotonic() - started) * 1000, 1),
                },
            )
            return response
        finally:
            reseller_id_var.reset(reseller_token)
            request_id_var.reset(id_token)

    def process_view(self, request, view_func, view_args, view_kwargs):
        reseller = getattr(request, "reseller", None)
        if reseller is not None:
            reseller_id_var.set(reseller.pk)
            _sentry_tag("reseller_id", reseller.pk)


def _sentry_tag(key, value):
    import sentry_sdk

    if sentry_sdk.get_client().is_active():
        sentry_sdk.set_tag(key, value)


def init_sentry(*, dsn: str, environment: str, release: str, traces_sample_rate: float) -> None:
    """Errors (and sampled traces) of the web and worker processes to Sentry; the Django and
    Celery integrations turn on by themselves. Sentry's defaults send no personal data (no
    cookies, user e-mail or IP address); requests are tagged with request and reseller ids."""
    import sentry_sdk

    sentry_sdk.init(
        dsn=dsn,
        environment=environment or None,
        release=release or None,
        traces_sample_rate=traces_sample_rate,
    )


# --- Celery ------------------------------------------------------------------------------

_started: dict[str, float] = {}
_started_lock = threading.Lock()


_context_tokens: dict[str, contextvars.Token] = {}


def task_published(headers=None, **kwargs):
    """A task queued while serving a request carries the request id to its worker."""
    request_id = request_id_var.get()
    if headers is not None and request_id and "request_id" not in headers:
        headers["request_id"] = request_id


def task_started(task_id=None, task=None, **kwargs):
    with _started_lock:
        _started[task_id] = time.monotonic()
    request_id = (
        (getattr(task.request, "request_id", None) if task else None)
        or request_id_var.get()
        or task_id
    )
    _context_tokens[task_id] = request_id_var.set(request_id)


def task_finished(task_id=None, task=None, state=None, **kwargs):
    # An eager task that raises (tests, `make run`) ends with no state.
    outcome = {"SUCCESS": "succeeded", "RETRY": "retried", "FAILURE": "failed", None: "failed"}.get(
        state, str(state).lower()
    )
    name = getattr(task, "name", None) or "unknown"
    with _started_lock:
        started = _started.pop(task_id, None)
    token = _context_tokens.pop(task_id, None)
    if token is not None:
        # set in another context (a thread pool): nothing to restore
        with contextlib.suppress(ValueError):
            request_id_var.reset(token)
    TASKS.labels(name, outcome).inc()
    if started is not None:
        seconds = time.monotonic() - started
        TASK_DURATION.labels(name).observe(seconds)
        measure = TASK_MEASURES.get(name)
        if measure is not None:
            measure.labels("ok" if outcome == "succeeded" else outcome).observe(seconds)


def connect_celery_signals():
    """Called from portal.celery: count and time every task in the process that runs it."""
    from celery import signals

    signals.before_task_publish.connect(
        task_published, weak=False, dispatch_uid="portal-request-id"
    )
    signals.task_prerun.connect(task_started, weak=False, dispatch_uid="portal-metrics-start")
    signals.task_postrun.connect(task_finished, weak=False, dispatch_uid="portal-metrics-end")


def start_worker_metrics_server(**kwargs):
    """A Celery worker serves its metrics on CELERY_METRICS_PORT (when set)."""
    port = settings.CELERY_METRICS_PORT
    if port:
        from prometheus_client import start_http_server

        start_http_server(port, registry=metrics_registry(queues=False))


class QueueLengthCollector:
    """Messages waiting in each declared Celery queue, read from the Redis broker at scrape."""

    def collect(self):
        gauge = GaugeMetricFamily(
            "portal_celery_queue_length", "Messages waiting in a Celery queue.", labels=["queue"]
        )
        if settings.REDIS_URL:
            import redis

            client = redis.Redis.from_url(
                settings.CELERY_BROKER_URL, socket_timeout=2, socket_connect_timeout=2
            )
            try:
                for queue in queue_names():
                    gauge.add_metric([queue], client.llen(queue))
            except redis.RedisError:
                pass  # readiness reports Redis; metrics stay available without it
            finally:
                client.close()
        yield gauge


def queue_names() -> list[str]:
    queues = getattr(settings, "CELERY_TASK_QUEUES", None) or ()
    names = [getattr(q, "name", q) for q in queues]
    return names or [getattr(settings, "CELERY_TASK_DEFAULT_QUEUE", "celery")]


# --- Partner Center ----------------------------------------------------------------------


def partner_center_call(method: str, status, seconds: float) -> None:
    PARTNER_CENTER_LATENCY.labels(method, str(status)).observe(seconds)


def partner_center_error(status, code) -> None:
    PARTNER_CENTER_ERRORS.labels(str(status), "" if code is None else str(code)).inc()


# --- /metrics ----------------------------------------------------------------------------


def metrics_registry(*, queues: bool = True) -> CollectorRegistry:
    """This process's metrics (all the container's processes' in multiprocess mode), plus the
    queue lengths read at scrape time."""
    registry = CollectorRegistry()
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        multiprocess.MultiProcessCollector(registry)
    else:
        registry.register(REGISTRY)
    if queues:
        registry.register(QueueLengthCollector())
    return registry


def _bearer_ok(request) -> bool:
    token = settings.METRICS_TOKEN
    header = request.headers.get("Authorization", "")
    if not token or not header.startswith("Bearer "):
        return False
    return hmac.compare_digest(header.removeprefix("Bearer ").strip().encode(), token.encode())


@require_GET
def metrics(request):
    """Prometheus exposition: for a scraper with `Authorization: Bearer <METRICS_TOKEN>`, or a
    signed-in operations user."""
    from portal.decorators import staff_mfa_missing

    user = request.user
    staff = user.is_authenticated and user.is_staff and not staff_mfa_missing(user)
    if not (_bearer_ok(request) or staff):
        response = HttpResponse(
            "Metrics need operations staff or the metrics token.\n",
            status=401 if not user.is_authenticated else 403,
            content_type="text/plain",
        )
        if not user.is_authenticated:
            response["WWW-Authenticate"] = 'Bearer realm="metrics"'
        return response
    return HttpResponse(generate_latest(metrics_registry()), content_type=CONTENT_TYPE_LATEST)
