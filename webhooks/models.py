"""Webhook endpoints of a reseller, the events emitted for it, and their deliveries with every
attempt (the delivery log)."""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django_scopes import ScopedManager

from portal.models import Reseller


class WebhookEndpoint(models.Model):
    """A URL of the reseller's (its PSA, accounting tool) receiving the events it chose, signed
    with its secret (Standard Webhooks, `whsec_…`; stored encrypted, shown once). After a
    rotation the previous secret also signs for a day, so the receiver can switch over."""

    reseller = models.ForeignKey(Reseller, on_delete=models.CASCADE, related_name="+")
    url = models.URLField("URL", max_length=500)
    description = models.CharField(max_length=200, blank=True)
    events = models.JSONField(default=list, help_text="The event types delivered here.")
    secret = models.TextField(editable=False, help_text="Fernet-encrypted whsec_ secret.")
    previous_secret = models.TextField(blank=True, editable=False)
    previous_secret_expires_at = models.DateTimeField(null=True, blank=True, editable=False)
    enabled = models.BooleanField(default=True)
    disabled_at = models.DateTimeField(null=True, blank=True)
    disabled_reason = models.CharField(max_length=300, blank=True)
    failing_since = models.DateTimeField(
        null=True, blank=True, help_text="First failed attempt since the last success."
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    objects = ScopedManager(reseller="reseller")

    class Meta:
        ordering = ["created_at", "id"]
        verbose_name = "webhook endpoint"

    def __str__(self):
        return self.url


class WebhookEvent(models.Model):
    """One fact about the reseller's data, as sent: `body` is the JSON envelope's exact bytes
    (every attempt sends the same), `event_id` is derived from the fact's identity, so the same
    fact emitted again is the same event (unique per reseller) and receivers de-duplicate."""

    reseller = models.ForeignKey(Reseller, on_delete=models.CASCADE, related_name="+")
    event_id = models.CharField(max_length=40)
    type = models.CharField(max_length=60)
    body = models.TextField()
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    objects = ScopedManager(reseller="reseller")

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["event_id", "reseller"], name="one_webhook_event_per_id"
            )
        ]

    def __str__(self):
        return f"{self.type} {self.event_id}"


class WebhookDelivery(models.Model):
    """One event to one endpoint: attempted until a 2xx answer or the retry window closes."""

    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        SUCCEEDED = "succeeded", "Delivered"
        FAILED = "failed", "Failed"

    reseller = models.ForeignKey(Reseller, on_delete=models.CASCADE, related_name="+")
    endpoint = models.ForeignKey(
        WebhookEndpoint, on_delete=models.CASCADE, related_name="deliveries"
    )
    event = models.ForeignKey(WebhookEvent, on_delete=models.CASCADE, related_name="deliveries")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveIntegerField(default=0)
    first_attempt_at = models.DateTimeField(null=True, blank=True)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    # a worker sending it holds it until then (another worker or the sweep leaves it alone)
    lease_until = models.DateTimeField(null=True, blank=True)
    last_status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    last_error = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    finished_at = models.DateTimeField(null=True, blank=True)

    objects = ScopedManager(reseller="reseller")

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name_plural = "webhook deliveries"
        constraints = [
            models.UniqueConstraint(
                fields=["endpoint", "event", "reseller"], name="one_delivery_per_endpoint_event"
            )
        ]
        indexes = [models.Index(fields=["status", "next_attempt_at"])]

    def __str__(self):
        return f"{self.event} → {self.endpoint}"


class WebhookAttempt(models.Model):
    """One HTTP request of a delivery: the answer's status code (none: no answer), how long it
    took, and the start of what the receiver said."""

    reseller = models.ForeignKey(Reseller, on_delete=models.CASCADE, related_name="+")
    delivery = models.ForeignKey(WebhookDelivery, on_delete=models.CASCADE, related_name="log")
    at = models.DateTimeField(default=timezone.now)
    status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    duration_ms = models.PositiveIntegerField(default=0)
    error = models.CharField(max_length=500, blank=True)
    response_body = models.CharField(max_length=1000, blank=True)
    manual = models.BooleanField(default=False, help_text="A redelivery asked by a member.")

    objects = ScopedManager(reseller="reseller")

    class Meta:
        ordering = ["-at", "-id"]

    def __str__(self):
        return f"{self.delivery} at {self.at:%Y-%m-%d %H:%M:%S}: {self.status_code or self.error}"

    @property
    def succeeded(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300
