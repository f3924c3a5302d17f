import hashlib

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models
from django.utils import timezone
from django_scopes import ScopedManager

from portal.models import Reseller
from portal.roles import Role


def key_digest(key: str) -> str:
    """What is stored of a key: its SHA-256 (keys are long random strings, no salt needed)."""
    return hashlib.sha256(key.encode()).hexdigest()


class ApiKey(models.Model):
    """A bearer key of one reseller acting with one role, or an operations key (staff user,
    no reseller) that reads any reseller chosen with `?reseller=`. Only the hash is stored."""

    reseller = models.ForeignKey(
        Reseller, on_delete=models.CASCADE, null=True, blank=True, related_name="api_keys"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="api_keys",
        help_text="Who created it; the actor of what the key does.",
    )
    name = models.CharField(max_length=100)
    role = models.CharField(
        max_length=10, choices=Role.choices, help_text="The membership role the key acts as."
    )
    prefix = models.CharField(max_length=12, db_index=True, help_text="Shown to tell keys apart.")
    key_hash = models.CharField(max_length=64, unique=True, editable=False)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    expires_at = models.DateTimeField(null=True, blank=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    objects = ScopedManager(reseller="reseller")

    class Meta:
        ordering = ["-created_at"]
        verbose_name = "API key"

    def __str__(self):
        return f"{self.name} ({self.prefix}…)"

    @property
    def is_operations(self) -> bool:
        return self.reseller_id is None

    def is_usable(self, now=None) -> bool:
        now = now or timezone.now()
        return self.revoked_at is None and (self.expires_at is None or now < self.expires_at)

    @property
    def state(self) -> str:
        if self.revoked_at:
            return "revoked"
        return "active" if self.is_usable() else "expired"


class IdempotentRequest(models.Model):
    """The first answer to a POST with an `Idempotency-Key`, replayed for the same key and
    reseller; `fingerprint` (method, path and body) tells a different request with that key."""

    reseller = models.ForeignKey(Reseller, on_delete=models.CASCADE, related_name="+")
    key = models.CharField(max_length=255)
    fingerprint = models.CharField(max_length=64)
    status_code = models.PositiveSmallIntegerField(null=True)
    body = models.JSONField(null=True, encoder=DjangoJSONEncoder)
    created_at = models.DateTimeField(default=timezone.now)

    objects = ScopedManager(reseller="reseller")

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["reseller", "key"], name="one_answer_per_idempotency_key"
            )
        ]
        # the hourly prune deletes by age across resellers
        indexes = [models.Index(fields=["created_at"], name="idempotent_request_age")]

    def __str__(self):
        return f"Idempotency-Key {self.key}"
