"""Endpoint secrets (`whsec_` + base64 of 24 random bytes, as Standard Webhooks), kept encrypted
at rest (Fernet: WEBHOOK_SECRET_KEY, else a key derived from SECRET_KEY), and the signed
headers of one request."""

import base64
import hashlib
import secrets
from datetime import datetime

from cryptography.fernet import Fernet
from django.conf import settings
from standardwebhooks.webhooks import Webhook

SECRET_PREFIX = "whsec_"  # noqa: S105 (the format's prefix, not a secret)


def new_secret() -> str:
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(24)).decode()


def _fernet() -> Fernet:
    key = settings.WEBHOOK_SECRET_KEY
    if not key:
        digest = hashlib.sha256(f"webhook-secrets:{settings.SECRET_KEY}".encode()).digest()
        key = base64.urlsafe_b64encode(digest).decode()
    return Fernet(key)


def encrypt(secret: str) -> str:
    return _fernet().encrypt(secret.encode()).decode() if secret else ""


def decrypt(stored: str) -> str:
    return _fernet().decrypt(stored.encode()).decode() if stored else ""


def headers(*, event_id: str, at: datetime, body: bytes, secrets_: list[str]) -> dict[str, str]:
    """The Standard Webhooks headers: one `v1,` signature per secret (the current one, and the
    previous one for a day after a rotation), space-separated."""
    signatures = " ".join(Webhook(s).sign(event_id, at, body) for s in secrets_ if s)
    return {
        "webhook-id": event_id,
        "webhook-timestamp": str(int(at.timestamp())),
        "webhook-signature": signatures,
    }
