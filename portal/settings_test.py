"""Settings for the test suite: production-like (DEBUG off) with fast hashing and eager Celery."""

import os

os.environ.setdefault("SECRET_KEY", "test-only-secret-key")
os.environ.setdefault("SECURE_SSL_REDIRECT", "0")
os.environ.setdefault("STAFF_MFA_REQUIRED", "1")
os.environ.setdefault("LOG_FORMAT", "text")
os.environ.setdefault("REQUEST_LOG_LEVEL", "WARNING")

from portal.settings import *  # noqa: E402,F403

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
MAILERS = {"default": {"BACKEND": "django.core.mail.backends.locmem.EmailBackend"}}
STORAGES["staticfiles"]["BACKEND"] = "django.contrib.staticfiles.storage.StaticFilesStorage"  # noqa: F405
CELERY_TASK_ALWAYS_EAGER = os.environ.get("CELERY_TASK_ALWAYS_EAGER", "1") == "1"
MEDIA_ROOT = BASE_DIR / ".test-media"  # noqa: F405
# Rate limits are proven by their own test, which sets them explicitly.
ACCOUNT_RATE_LIMITS = {**ACCOUNT_RATE_LIMITS, "login_failed": "1000/m/ip,1000/m/key"}  # noqa: F405
# Serve static files straight from the app folders (no collectstatic before tests).
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = True
STATIC_ROOT = None
# Webhook tests deliver to a receiver on 127.0.0.1 over plain http.
WEBHOOK_ALLOW_HTTP = True
WEBHOOK_ALLOW_PRIVATE_URLS = True
