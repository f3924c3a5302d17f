"""GDAP relationships the reseller asked for, per customer: the portal's record of Microsoft's
delegatedAdminRelationship (partner_center.gdap), its access assignment and reminders."""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django_scopes import ScopedManager

from portal.models import Reseller


class AdminRelationship(models.Model):
    class Status(models.TextChoices):
        # Microsoft's delegatedAdminRelationshipStatus values (resources/
        # delegatedadminrelationship.md), kept as Microsoft sends them.
        CREATED = "created", "Created"
        APPROVAL_PENDING = "approvalPending", "Waiting for the customer's approval"
        APPROVED = "approved", "Approved"
        ACTIVATING = "activating", "Activating"
        ACTIVE = "active", "Active"
        EXPIRING = "expiring", "Expiring"
        EXPIRED = "expired", "Expired"
        TERMINATION_REQUESTED = "terminationRequested", "Termination requested"
        TERMINATING = "terminating", "Terminating"
        TERMINATED = "terminated", "Terminated"

    OPEN = (
        Status.CREATED,
        Status.APPROVAL_PENDING,
        Status.APPROVED,
        Status.ACTIVATING,
        Status.ACTIVE,
    )
    ENDED = (Status.EXPIRED, Status.TERMINATED)

    reseller = models.ForeignKey(Reseller, on_delete=models.PROTECT, related_name="+")
    customer = models.ForeignKey(
        "customers.Customer", on_delete=models.CASCADE, related_name="admin_relationships"
    )
    relationship_id = models.CharField("Microsoft relationship ID", max_length=80, blank=True)
    display_name = models.CharField(max_length=50)
    role_ids = models.JSONField(default=list)
    duration = models.CharField(max_length=10, help_text="ISO 8601, e.g. P730D.")
    auto_extend = models.BooleanField(default=False)
    status = models.CharField(max_length=24, choices=Status.choices, default=Status.CREATED)
    security_group_id = models.CharField("security group (object ID)", max_length=36, blank=True)
    assignment_id = models.CharField(max_length=36, blank=True)
    assignment_status = models.CharField(max_length=16, blank=True)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    activated_at = models.DateTimeField(null=True, blank=True)
    ends_at = models.DateTimeField(null=True, blank=True)
    checked_at = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True)
    # Reminders before the end (each once per end date; cleared when the end moves).
    reminded_30_at = models.DateTimeField(null=True, blank=True)
    reminded_7_at = models.DateTimeField(null=True, blank=True)

    objects = ScopedManager(reseller="reseller")

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["reseller", "relationship_id"],
                condition=~models.Q(relationship_id=""),
                name="one_row_per_gdap_relationship",
            )
        ]
        indexes = [models.Index(fields=["reseller", "status"])]

    def __str__(self):
        return f"{self.display_name} ({self.get_status_display()})"

    @property
    def is_open(self) -> bool:
        return self.status in self.OPEN

    @property
    def approval_url(self) -> str:
        from partner_center.gdap import approval_url

        return approval_url(self.relationship_id) if self.relationship_id else ""

    @property
    def role_names(self) -> list[str]:
        from customers.gdap.roles import names

        return names(self.role_ids)
