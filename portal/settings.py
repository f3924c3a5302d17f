"""Settings, 12-factor: everything that differs between machines comes from the environment.

With no environment at all the portal runs for a newcomer: DEBUG on, SQLite file,
Celery tasks run eagerly, local-memory cache, e-mail printed on the console.
"""

from pathlib import Path

import environ
from django.utils.csp import CSP
from kombu import Queue

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

DEBUG = env.bool("DEBUG", default=False)
# bench/pages_p95.py: a signed-in hello-world page on the server it measures (its floor)
BENCH_HELLO = env.bool("BENCH_HELLO", default=False)
SECRET_KEY = env.str("SECRET_KEY", default="")
if not SECRET_KEY:
    if not DEBUG:
        raise environ.ImproperlyConfigured("SECRET_KEY must be set when DEBUG is off.")
    SECRET_KEY = "dev-only-insecure-key-do-not-use-in-production"  # noqa: S105

ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost"] if DEBUG else [])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])
SITE_URL = env.str("SITE_URL", default="http://127.0.0.1:8000")

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "portal.apps.PortalAdminConfig",
    "allauth",
    "allauth.account",
    "allauth.mfa",
    "django_htmx",
    "django_tables2",
    "django_filters",
    # the portal's apps in DESIGN.md's layer order (the frame asks them in this order)
    "portal",
    "webhooks",  # the events every app emits (webhooks/events.py), delivered to resellers
    "partner_center",
    "programs",
    "customers",
    "subscriptions",
    "support",
    "billing",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "api",  # the top layer: may import every app, none imports it
]

MIDDLEWARE = [
    # /healthz and /readyz answer before host checks and HTTPS redirects (probes come by IP).
    "portal.health.HealthCheckMiddleware",
    "portal.observability.RequestMetricsMiddleware",
    "portal.observability.RequestContextMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django.middleware.csp.ContentSecurityPolicyMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "portal.middleware.TenantScopeMiddleware",
]

ROOT_URLCONF = "portal.urls"
WSGI_APPLICATION = "portal.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.csp",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "portal.context_processors.portal",
            ],
        },
    },
]

DATABASES = {
    "default": env.db("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}"),
}
DATABASES["default"]["ATOMIC_REQUESTS"] = False
DATABASES["default"]["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=60)
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

REDIS_URL = env.str("REDIS_URL", default="")
# The cache may have a Redis of its own (docker-compose: bounded, least recently used keys
# evicted), so what reports keep can never crowd out Celery's queues; by default REDIS_URL's.
CACHE_REDIS_URL = env.str("CACHE_REDIS_URL", default=REDIS_URL)
if CACHE_REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": CACHE_REDIS_URL,
            "KEY_PREFIX": env.str("CACHE_KEY_PREFIX", default="portal"),
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

AUTH_USER_MODEL = "portal.User"
AUTHENTICATION_BACKENDS = [
    "django.contrib.auth.backends.ModelBackend",
    "allauth.account.auth_backends.AuthenticationBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 10},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "account_login"
LOGIN_REDIRECT_URL = "dashboard"

# django-allauth: e-mail is the login, it must be verified, login is rate limited.
ACCOUNT_USER_MODEL_USERNAME_FIELD = None
ACCOUNT_LOGIN_METHODS = {"email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "password1*", "password2*"]
ACCOUNT_EMAIL_VERIFICATION = "mandatory"
ACCOUNT_UNIQUE_EMAIL = True
ACCOUNT_LOGIN_ON_EMAIL_CONFIRMATION = True
ACCOUNT_CONFIRM_EMAIL_ON_GET = False
ACCOUNT_LOGOUT_ON_PASSWORD_CHANGE = False
ACCOUNT_SESSION_REMEMBER = None
ACCOUNT_ADAPTER = "portal.adapters.AccountAdapter"
ACCOUNT_RATE_LIMITS = {
    # Failed logins: per IP and per account (allauth's own keys and syntax).
    "login_failed": env.str("LOGIN_FAILED_RATE_LIMIT", default="10/m/ip,5/5m/key"),
    "login": "30/m/ip",
    "signup": "20/m/ip",
    "reset_password": "20/m/ip,5/m/key",
    "confirm_email": "1/3m/key",
}
MFA_SUPPORTED_TYPES = ["totp", "recovery_codes"]
MFA_TOTP_ISSUER = env.str("MFA_TOTP_ISSUER", default="Reseller Portal")
# Staff must have MFA before the admin and operations pages open to them.
STAFF_MFA_REQUIRED = env.bool("STAFF_MFA_REQUIRED", default=not DEBUG)

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = env.path("STATIC_ROOT", default=BASE_DIR / "staticfiles")
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_URL = "media/"
MEDIA_ROOT = env.path("MEDIA_ROOT", default=BASE_DIR / "media")
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}


def s3_storage(
    *,
    bucket: str,
    endpoint_url: str = "",
    region: str = "",
    prefix: str = "",
    addressing_style: str = "",
) -> dict:
    """The default storage in an S3 bucket (AWS or any S3-compatible store) via django-storages.
    Credentials come from AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY or the machine's role."""
    return {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": bucket,
            "endpoint_url": endpoint_url or None,
            "region_name": region or None,
            "location": prefix,
            "addressing_style": addressing_style or None,
            "file_overwrite": False,  # a name in use gets a suffix, as in the local folder
            "default_acl": None,  # the bucket's own policy (keep it private)
            "querystring_expire": 300,  # links to private objects last 5 minutes
        },
    }


# Uploaded files and PDFs (invoices, statements, support attachments, usage uploads, logos):
# the local MEDIA_ROOT folder, or an S3 bucket when STORAGE_S3_BUCKET is set.
STORAGE_S3_BUCKET = env.str("STORAGE_S3_BUCKET", default="")
if STORAGE_S3_BUCKET:
    STORAGES["default"] = s3_storage(
        bucket=STORAGE_S3_BUCKET,
        endpoint_url=env.str("STORAGE_S3_ENDPOINT_URL", default=""),
        region=env.str("STORAGE_S3_REGION", default=""),
        prefix=env.str("STORAGE_S3_PREFIX", default=""),
        addressing_style=env.str("STORAGE_S3_ADDRESSING_STYLE", default=""),
    )

# EMAIL_URL, e.g. smtp+tls://user:password@smtp.example.com:587
# (default: printed on the console with DEBUG on, local SMTP relay otherwise).
_email = env.email_url("EMAIL_URL", default="consolemail://" if DEBUG else "smtp://localhost:25")
_SMTP_OPTIONS = {
    "EMAIL_HOST": "host",
    "EMAIL_PORT": "port",
    "EMAIL_HOST_USER": "username",
    "EMAIL_HOST_PASSWORD": "password",
    "EMAIL_USE_TLS": "use_tls",
    "EMAIL_USE_SSL": "use_ssl",
    "EMAIL_TIMEOUT": "timeout",
}
if _email["EMAIL_BACKEND"] == "django.core.mail.backends.console.EmailBackend":
    _email["EMAIL_BACKEND"] = "portal.mail_console.EmailBackend"  # readable, clickable links
MAILERS = {
    "default": {
        "BACKEND": _email["EMAIL_BACKEND"],
        "OPTIONS": {
            opt: _email[key]
            for key, opt in _SMTP_OPTIONS.items()
            if _email.get(key) not in (None, "")
        }
        if _email["EMAIL_BACKEND"].endswith("smtp.EmailBackend")
        else {},
    }
}
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="Reseller Portal <portal@localhost>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL

# Security. Production (DEBUG off) gets the safe values; `manage.py check --deploy` is clean.
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=not DEBUG)
# Only a local load test over plain http turns this off (bench/load.py).
SECURE_COOKIES = env.bool("SECURE_COOKIES", default=not DEBUG)
SESSION_COOKIE_SECURE = SECURE_COOKIES
CSRF_COOKIE_SECURE = SECURE_COOKIES
SESSION_COOKIE_HTTPONLY = True
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=0 if DEBUG else 31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = not DEBUG
SECURE_HSTS_PRELOAD = not DEBUG
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SECURE_CSP = {
    "default-src": [CSP.SELF],
    "script-src": [CSP.SELF, CSP.NONCE],
    "style-src": [CSP.SELF, CSP.NONCE],
    "img-src": [CSP.SELF, "data:"],
    "font-src": [CSP.SELF],
    "connect-src": [CSP.SELF],
    "form-action": [CSP.SELF],
    "frame-ancestors": [CSP.NONE],
    "base-uri": [CSP.SELF],
    "object-src": [CSP.NONE],
}

# Celery: Redis broker from REDIS_URL; without it tasks run eagerly in the web process.
CELERY_BROKER_URL = REDIS_URL or "memory://"
CELERY_RESULT_BACKEND = REDIS_URL or "cache+memory://"
CELERY_TASK_ALWAYS_EAGER = env.bool("CELERY_TASK_ALWAYS_EAGER", default=not REDIS_URL)
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_TRACK_STARTED = True
CELERY_TIMEZONE = "UTC"
# A task lives beside the service that enqueues it; a worker imports these modules (besides each
# app's tasks.py of beat jobs, found by autodiscovery) so that it knows every task.
CELERY_IMPORTS = [
    "portal.services",
    "portal.notifications",
    "customers.services",
    "subscriptions.services",
    "subscriptions.catalog.sync",
    "billing.services",
    "billing.statements",
    "billing.usage.services",
    "webhooks.services",
]
# Workers log through LOGGING below (JSON lines in production), not Celery's own set-up.
CELERY_WORKER_HIJACK_ROOT_LOGGER = False
# A message taken by a worker that dies unacknowledged is redelivered after this many seconds.
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "visibility_timeout": env.int("CELERY_VISIBILITY_TIMEOUT", default=3600)
}
# Queues by kind of work, so that one kind cannot starve another: docker-compose.yml runs a
# worker per queue. Every task is routed here by name (tests/portal/test_celery_routes.py).
CELERY_TASK_DEFAULT_QUEUE = "default"
CELERY_TASK_QUEUES = [
    Queue("default"),
    Queue("billing"),
    Queue("pdf"),
    Queue("partner_center"),
    Queue("webhooks"),  # calls to resellers' servers: a slow receiver holds up no other work
]
CELERY_TASK_ROUTES = {
    **dict.fromkeys(
        [
            "billing.usage.services.usage_import_task",
            "billing.services.billing_runs_fan_out_task",
            "billing.services.billing_runs_compute_task",
            "billing.tasks.start_due_billing_runs",
            "billing.tasks.pull_unbilled_usage",
            "billing.tasks.detect_cost_anomalies",
            "billing.tasks.check_budgets",
            "billing.tasks.create_usage_partitions",
            "billing.tasks.fold_report_changes",
            "billing.tasks.pull_billed_reconciliation",
        ],
        {"queue": "billing"},
    ),
    **dict.fromkeys(
        [
            "billing.services.document_pdf_task",
            "billing.services.invoice_detail_pdf_task",
            "billing.statements.statement_pdf_task",
        ],
        {"queue": "pdf"},
    ),
    **dict.fromkeys(
        [
            "customers.services.mca_attest_task",
            "subscriptions.services.provision_task",
            "subscriptions.tasks.sync_tenant_licences",
            "customers.tasks.poll_gdap_relationships",
            "subscriptions.catalog.sync.catalog_sync_task",
            "subscriptions.tasks.sync_catalog",
        ],
        {"queue": "partner_center"},
    ),
    **dict.fromkeys(
        [
            "webhooks.services.webhook_deliver_task",
            "webhooks.tasks.deliver_due_webhooks",
            "webhooks.tasks.prune_webhook_events",
        ],
        {"queue": "webhooks"},
    ),
    **dict.fromkeys(
        [
            "customers.services.mca_link_email_task",
            "customers.services.portal_link_email_task",
            "portal.notifications.email_notifications_task",
            "portal.notifications.email_operations_task",
            "portal.services.invitation_email_task",
            "portal.tasks.expire_invitations",
            "subscriptions.tasks.daily_upkeep",
            "subscriptions.tasks.expire_transfers",
            "support.tasks.notify_sla_breaches",
            "support.tasks.close_resolved_tickets",
            "api.tasks.prune_idempotency_records",
        ],
        {"queue": "default"},
    ),
}
# django-celery-beat does not support Django 6.1: the schedule lives here.
CELERY_BEAT_SCHEDULE = {
    "portal-expire-invitations": {
        "task": "portal.tasks.expire_invitations",
        "schedule": 3600.0,
    },
    "support-sla-breaches": {
        "task": "support.tasks.notify_sla_breaches",
        "schedule": 300.0,
    },
    "support-close-resolved": {
        "task": "support.tasks.close_resolved_tickets",
        "schedule": 3600.0,
    },
    # renewals happen the day after the term's last day; hourly so a missed run catches up
    "subscriptions-daily-upkeep": {
        "task": "subscriptions.tasks.daily_upkeep",
        "schedule": 3600.0,
    },
    "subscriptions-expire-transfers": {
        "task": "subscriptions.tasks.expire_transfers",
        "schedule": 3600.0,
    },
    "subscriptions-sync-catalog": {
        "task": "subscriptions.tasks.sync_catalog",
        "schedule": 3600.0 * 24,
    },
    # usage lines are partitioned by month on PostgreSQL: three months' partitions ahead
    "billing-create-usage-partitions": {
        "task": "billing.tasks.create_usage_partitions",
        "schedule": 3600.0 * 24,
    },
    # Microsoft's invoice is out early in the month: its billed reconciliation, once
    "billing-pull-billed-reconciliation": {
        "task": "billing.tasks.pull_billed_reconciliation",
        "schedule": 3600.0 * 24,
    },
    "billing-pull-unbilled-usage": {
        "task": "billing.tasks.pull_unbilled_usage",
        "schedule": 3600.0 * 24,  # idempotent: a re-pull adds no line
    },
    # usage arrives late: each run re-checks the last three days (one alert per customer-day)
    "billing-detect-cost-anomalies": {
        "task": "billing.tasks.detect_cost_anomalies",
        "schedule": 3600.0 * 6,
    },
    # licence use read from customers' tenants (Microsoft Graph), each customer on its own
    "subscriptions-sync-tenant-licences": {
        "task": "subscriptions.tasks.sync_tenant_licences",
        "schedule": 3600.0 * 24,
    },
    # GDAP relationships: Microsoft's status, access assignment, reminders before the end
    "customers-poll-gdap-relationships": {
        "task": "customers.tasks.poll_gdap_relationships",
        "schedule": 3600.0,
    },
    # the notes of report data changes, folded into one per reseller (billing/reports/cache.py:
    # each state read sums a reseller's notes, so they are kept few)
    "billing-fold-report-changes": {
        "task": "billing.tasks.fold_report_changes",
        "schedule": 600.0,
    },
    "billing-check-budgets": {
        "task": "billing.tasks.check_budgets",
        "schedule": 3600.0 * 6,
    },
    # retries of webhook deliveries whose next attempt is due (longer waits than a countdown)
    "webhooks-deliver-due": {
        "task": "webhooks.tasks.deliver_due_webhooks",
        "schedule": 60.0,
    },
    "webhooks-prune-events": {
        "task": "webhooks.tasks.prune_webhook_events",
        "schedule": 3600.0 * 24,
    },
    # stored answers of API POSTs (Idempotency-Key) are kept API_IDEMPOTENCY_KEEP_HOURS
    "api-prune-idempotency-records": {
        "task": "api.tasks.prune_idempotency_records",
        "schedule": 3600.0,
    },
    "billing-start-due-runs": {
        "task": "billing.tasks.start_due_billing_runs",
        "schedule": 3600.0 * 6,  # idempotent; runs the day a reseller's period closes
    },
}

INVITATION_MAX_AGE_DAYS = env.int("INVITATION_MAX_AGE_DAYS", default=7)
TRANSFER_EXPIRY_DAYS = env.int("TRANSFER_EXPIRY_DAYS", default=30)

# Logs on standard output: one JSON object per line in production (LOG_FORMAT=json, the
# default with DEBUG off), readable text in development; each line carries the request id
# (X-Request-ID) and the reseller id of the request or task it belongs to.
LOG_FORMAT = env.str("LOG_FORMAT", default="text" if DEBUG else "json")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"context": {"()": "portal.observability.LogContextFilter"}},
    "formatters": {
        "text": {"format": "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"},
        "json": {
            "()": "pythonjsonlogger.json.JsonFormatter",
            "fmt": "%(levelname)s %(name)s %(message)s %(request_id)s %(reseller_id)s",
            "rename_fields": {"levelname": "level", "name": "logger"},
            "timestamp": "time",
        },
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": LOG_FORMAT,
            "filters": ["context"],
        }
    },
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    "loggers": {
        # one line per request (method, path, status, duration_ms) in production; in
        # development runserver logs requests itself
        "portal.request": {
            "level": env.str("REQUEST_LOG_LEVEL", default="WARNING" if DEBUG else "INFO")
        },
        # PDF rendering: fontTools reports every subset font and WeasyPrint every step at
        # INFO, which buries `make run`'s demo logins; in development eager tasks say each
        # run at INFO too
        "fontTools": {"level": "ERROR"},
        "weasyprint": {"level": "ERROR" if DEBUG else "WARNING"},
        "celery.app.trace": {"level": "WARNING" if DEBUG else "INFO"},
        # eager tasks without REDIS_URL: kombu's "No hostname was supplied" after the logins
        "kombu.connection": {"level": "ERROR" if DEBUG else "WARNING"},
    },
}

# Metrics (/metrics, Prometheus): a scraper sends `Authorization: Bearer <METRICS_TOKEN>`;
# operations staff may open the page signed in. A Celery worker serves its own task metrics
# on CELERY_METRICS_PORT when set (see README "Operating it").
METRICS_TOKEN = env.str("METRICS_TOKEN", default="")
CELERY_METRICS_PORT = env.int("CELERY_METRICS_PORT", default=0)

# Sentry: errors of the web and worker processes, only when SENTRY_DSN is set.
SENTRY_DSN = env.str("SENTRY_DSN", default="")
if SENTRY_DSN:
    from portal.observability import init_sentry

    init_sentry(
        dsn=SENTRY_DSN,
        environment=env.str("SENTRY_ENVIRONMENT", default=""),
        release=env.str("SENTRY_RELEASE", default=""),
        traces_sample_rate=env.float("SENTRY_TRACES_SAMPLE_RATE", default=0.0),
    )

DJANGO_TABLES2_TEMPLATE = "django_tables2/table.html"
ADMIN_URL = env.str("ADMIN_URL", default="admin/")
ACCOUNT_ALLOW_SIGNUP = env.bool("ACCOUNT_ALLOW_SIGNUP", default=True)

# Support: first-response targets per priority ("4h" clock hours, "1bd" business days, UTC).
SUPPORT_SLA_TARGETS = env.dict(
    "SUPPORT_SLA_TARGETS", default={"urgent": "1h", "high": "4h", "normal": "1bd", "low": "3bd"}
)
SUPPORT_REOPEN_DAYS = env.int("SUPPORT_REOPEN_DAYS", default=14)
SUPPORT_ATTACHMENT_MAX_BYTES = env.int("SUPPORT_ATTACHMENT_MAX_BYTES", default=10 * 1024 * 1024)
SUPPORT_ATTACHMENT_MAX_FILES = env.int("SUPPORT_ATTACHMENT_MAX_FILES", default=5)
# Largest usage CSV accepted (bytes); bigger files are rejected with a clear message.
USAGE_IMPORT_MAX_BYTES = env.int("USAGE_IMPORT_MAX_BYTES", default=50 * 1024 * 1024)
# Where new tickets and SLA breaches are announced (default: every active staff user).
SUPPORT_OPS_EMAILS = env.list("SUPPORT_OPS_EMAILS", default=[])

# Customers: MCA click-through and the customer portal.
MCA_LINK_MAX_AGE_DAYS = env.int("MCA_LINK_MAX_AGE_DAYS", default=14)
MCA_TEMPLATE_ID = env.str("MCA_TEMPLATE_ID", default="mca-2024-04")
MCA_TEMPLATE_VERSION = env.str("MCA_TEMPLATE_VERSION", default="April 2024")
# Attest an acceptance through the Partner Center gateway as soon as the customer accepts.
MCA_ATTEST_VIA_GATEWAY = env.bool("MCA_ATTEST_VIA_GATEWAY", default=True)
CUSTOMER_PORTAL_LINK_MAX_AGE_DAYS = env.int("CUSTOMER_PORTAL_LINK_MAX_AGE_DAYS", default=30)
# The distributor's own Microsoft tenant (providerTenantId of relationship links).
PARTNER_CENTER_PROVIDER_TENANT_ID = env.str(
    "PARTNER_CENTER_PROVIDER_TENANT_ID", default="5f0b1c2d-3e4f-4a5b-8c6d-7e8f9a0b1c2d"
)

# Partner Center gateway: "sandbox" (local, state in the database) or "http".
PARTNER_CENTER_GATEWAY = env.str("PARTNER_CENTER_GATEWAY", default="sandbox")
PARTNER_CENTER_BASE_URL = env.str(
    "PARTNER_CENTER_BASE_URL", default="https://api.partnercenter.microsoft.com"
)
# Azure Resource Manager: Azure Reservations (exchange) are not a Partner Center API.
AZURE_RESOURCE_MANAGER_BASE_URL = env.str(
    "AZURE_RESOURCE_MANAGER_BASE_URL", default="https://management.azure.com"
)
PARTNER_CENTER_TOKEN = env.str("PARTNER_CENTER_TOKEN", default="")
# Secure Application Model (App+User tokens through MSAL; PARTNER_CENTER_TOKEN is then unused):
# the partner's Entra application, the token endpoint's base (tenant included), the refresh
# token used until the consent flow has stored one, and the Fernet key the stored tokens are
# encrypted with (default: derived from SECRET_KEY).
PARTNER_CENTER_CLIENT_ID = env.str("PARTNER_CENTER_CLIENT_ID", default="")
PARTNER_CENTER_CLIENT_SECRET = env.str("PARTNER_CENTER_CLIENT_SECRET", default="")
PARTNER_CENTER_AUTHORITY = env.str(
    "PARTNER_CENTER_AUTHORITY", default="https://login.microsoftonline.com/common"
)
PARTNER_CENTER_REFRESH_TOKEN = env.str("PARTNER_CENTER_REFRESH_TOKEN", default="")
PARTNER_CENTER_TOKEN_KEY = env.str("PARTNER_CENTER_TOKEN_KEY", default="")
PARTNER_CENTER_GRAPH_BASE_URL = env.str(
    "PARTNER_CENTER_GRAPH_BASE_URL", default="https://graph.microsoft.com/v1.0"
)
PARTNER_CENTER_TIMEOUT = env.float("PARTNER_CENTER_TIMEOUT", default=30.0)
# Microsoft Graph partner billing exports (the http gateway): token for PartnerBilling.Read.All
GRAPH_BILLING_URL = env.str("GRAPH_BILLING_URL", default="https://graph.microsoft.com/v1.0")
GRAPH_BILLING_TOKEN = env.str("GRAPH_BILLING_TOKEN", default="")
PARTNER_CENTER_MAX_RETRIES = env.int("PARTNER_CENTER_MAX_RETRIES", default=3)
# Microsoft Graph in customer tenants (licence use): "sandbox" or "http"
GRAPH_GATEWAY = env.str("GRAPH_GATEWAY", default="sandbox")
GRAPH_BASE_URL = env.str("GRAPH_BASE_URL", default="https://graph.microsoft.com/v1.0")
GRAPH_TOKEN = env.str("GRAPH_TOKEN", default="")
# GDAP relationships (Graph, in the partner's tenant): "sandbox" or "http" (default: as
# GRAPH_GATEWAY); the http one uses PARTNER_CENTER_GRAPH_BASE_URL and App+User tokens.
GDAP_GATEWAY = env.str("GDAP_GATEWAY", default="")
PARTNER_CENTER_SANDBOX_SEED = env.int("PARTNER_CENTER_SANDBOX_SEED", default=20181107)
# How many status checks a sandbox order answers "pending" before it completes (0: at once).
PARTNER_CENTER_SANDBOX_ORDER_CHECKS = env.int("PARTNER_CENTER_SANDBOX_ORDER_CHECKS", default=0)

# Billing: the distributor issuing invoices and credit notes (copied onto each document when it
# is finalized), and the tax rate in percent per reseller country (0 when absent).
BILLING_ISSUER = {
    "code": env.str("BILLING_ISSUER_CODE", default="DIST"),
    "name": env.str("BILLING_ISSUER_NAME", default="Cloud Distribution Inc."),
    "address": env.str(
        "BILLING_ISSUER_ADDRESS", default="100 Distribution Way\nSeattle, WA 98101\nUnited States"
    ),
    "tax_id": env.str("BILLING_ISSUER_TAX_ID", default=""),
}
BILLING_TAX_RATES = env.dict("BILLING_TAX_RATES", default={})
# Billing runs computed together by one task (one transaction, the queries of one run): the
# fan-out packs resellers into batches of about this many subscriptions (a measure of their
# ledger lines; a larger reseller is a batch of its own), spread over the workers.
BILLING_SUBSCRIPTIONS_PER_TASK = env.int("BILLING_SUBSCRIPTIONS_PER_TASK", default=10_000)

# REST API (api/): API keys as bearer tokens, one rate limit per key, RFC 9457 errors.
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [],
    "DEFAULT_PERMISSION_CLASSES": [],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["rest_framework.parsers.JSONParser"],
    "UNAUTHENTICATED_USER": None,
    "DEFAULT_PAGINATION_CLASS": "api.pagination.Cursor",
    "EXCEPTION_HANDLER": "api.errors.exception_handler",
}
# requests per API key (DRF's syntax: N/second, minute, hour or day), counted in the cache
API_RATE_LIMIT = env.str("API_RATE_LIMIT", default="600/minute")
# Webhooks (webhooks/): each event is retried with exponential backoff for WEBHOOK_RETRY_HOURS;
# an endpoint whose every attempt failed for WEBHOOK_DISABLE_AFTER_HOURS is disabled (its owners
# are told). Endpoints must be https and public unless these allow otherwise (development).
WEBHOOK_RETRY_HOURS = env.int("WEBHOOK_RETRY_HOURS", default=24)
WEBHOOK_DISABLE_AFTER_HOURS = env.int("WEBHOOK_DISABLE_AFTER_HOURS", default=24)
WEBHOOK_TIMEOUT = env.float("WEBHOOK_TIMEOUT", default=10.0)
WEBHOOK_RETENTION_DAYS = env.int("WEBHOOK_RETENTION_DAYS", default=30)
WEBHOOK_ALLOW_HTTP = env.bool("WEBHOOK_ALLOW_HTTP", default=DEBUG)
WEBHOOK_ALLOW_PRIVATE_URLS = env.bool("WEBHOOK_ALLOW_PRIVATE_URLS", default=DEBUG)
# the key the endpoints' signing secrets are encrypted with (Fernet; default: from SECRET_KEY)
WEBHOOK_SECRET_KEY = env.str("WEBHOOK_SECRET_KEY", default="")

# how long the first answer to a POST is replayed for its Idempotency-Key (then pruned hourly)
API_IDEMPOTENCY_KEEP_HOURS = env.int("API_IDEMPOTENCY_KEEP_HOURS", default=24)
SPECTACULAR_SETTINGS = {
    "TITLE": "Reseller Portal API",
    "DESCRIPTION": "Customers, subscriptions, catalog, billing documents, usage, programs and "
    "support of one reseller, through the same rules as the portal's pages. Webhook endpoints "
    "(/api/v1/webhooks/) receive signed events (Standard Webhooks: webhook-id, "
    "webhook-timestamp, webhook-signature) as {id, type, created_at, reseller_id, data}; "
    "`data` has the field names of the resource here.",
    "VERSION": "1.0.0",
    "SCHEMA_PATH_PREFIX": "/api/v1/",
    "SERVE_INCLUDE_SCHEMA": False,
    "SERVE_PERMISSIONS": ["rest_framework.permissions.AllowAny"],
    "SERVE_AUTHENTICATION": [],
    # Swagger UI's files come from our own static files (drf-spectacular-sidecar): the CSP
    # allows scripts from 'self' only.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    "ENUM_NAME_OVERRIDES": {"DocumentStatusEnum": "billing.models._Document.Status"},
    # every operation's error answers as RFC 9457 problems (api/errors.py)
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "api.errors.document_problems",
    ],
}
