"""Settings for the test suite: production-like (DEBUG off) with fast hashing and eager Celery."""

import os
from urllib.parse import urlsplit, urlunsplit

os.environ.setdefault("SECRET_KEY", "test-only-secret-key")
os.environ.setdefault("SECURE_SSL_REDIRECT", "0")
os.environ.setdefault("STAFF_MFA_REQUIRED", "1")
os.environ.setdefault("LOG_FORMAT", "text")
os.environ.setdefault("REQUEST_LOG_LEVEL", "WARNING")

# pytest-xdist: each worker ("gw0", "gw1", ...) gets its own Redis database, so a real Celery
# worker started by one test process never takes another process's tasks (or cache keys).
# Processes those tests start inherit the environment already moved (hence the marker).
XDIST_WORKER = os.environ.get("PYTEST_XDIST_WORKER", "")
if XDIST_WORKER and os.environ.get("REDIS_URL") and not os.environ.get("TEST_REDIS_PER_WORKER"):
    os.environ["TEST_REDIS_PER_WORKER"] = "1"
    redis_url = urlsplit(os.environ["REDIS_URL"])
    db = int(redis_url.path.strip("/") or 0) + int(XDIST_WORKER.removeprefix("gw")) + 1
    os.environ["REDIS_URL"] = urlunsplit(redis_url._replace(path=f"/{db % 16}"))

from portal.settings import *  # noqa: E402,F403

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
MAILERS = {"default": {"BACKEND": "django.core.mail.backends.locmem.EmailBackend"}}
STORAGES["staticfiles"]["BACKEND"] = "django.contrib.staticfiles.storage.StaticFilesStorage"  # noqa: F405
CELERY_TASK_ALWAYS_EAGER = os.environ.get("CELERY_TASK_ALWAYS_EAGER", "1") == "1"
MEDIA_ROOT = BASE_DIR / f".test-media{XDIST_WORKER}"  # noqa: F405
# Rate limits are proven by their own test, which sets them explicitly.
ACCOUNT_RATE_LIMITS = {**ACCOUNT_RATE_LIMITS, "login_failed": "1000/m/ip,1000/m/key"}  # noqa: F405
# Serve static files straight from the app folders (no collectstatic before tests).
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = True
STATIC_ROOT = None
# Webhook tests deliver to a receiver on 127.0.0.1 over plain http.
WEBHOOK_ALLOW_HTTP = True
WEBHOOK_ALLOW_PRIVATE_URLS = True
