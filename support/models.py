import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone
from django_scopes import ScopedManager

from customers.models import Customer
from portal.models import Reseller, validate_one_line


class SupportPlan(models.Model):
    """A reseller's support offer to its customers: how and when they get help."""

    reseller = models.ForeignKey(Reseller, on_delete=models.CASCADE, related_name="support_plans")
    name = models.CharField(max_length=100)
    description = models.TextField(blank=True)
    chat_url = models.URLField("chat link", blank=True)
    email = models.EmailField(blank=True)
    phone = models.CharField(max_length=40, blank=True)
    hours = models.CharField(
        "hours / coverage", max_length=200, help_text="e.g. Mon–Fri 8:00–18:00 Eastern, or 24x7"
    )
    response_urgent = models.CharField("response target, urgent", max_length=50, blank=True)
    response_high = models.CharField("response target, high", max_length=50, blank=True)
    response_normal = models.CharField("response target, normal", max_length=50, blank=True)
    response_low = models.CharField("response target, low", max_length=50, blank=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    objects = ScopedManager(reseller="reseller")

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["reseller", "name"], name="support_plan_name_unique")
        ]

    def __str__(self):
        return self.name


class PlanAssignment(models.Model):
    """Which plan a customer tenant has; history is kept (ended_at set when replaced)."""

    reseller = models.ForeignKey(Reseller, on_delete=models.CASCADE, related_name="+")
    customer = models.ForeignKey(
        Customer, on_delete=models.CASCADE, related_name="support_assignments"
    )
    plan = models.ForeignKey(
        SupportPlan,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="assignments",
        help_text="Empty: the plan was removed (customer has none).",
    )
    assigned_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    started_at = models.DateTimeField(default=timezone.now)
    ended_at = models.DateTimeField(null=True, blank=True)

    objects = ScopedManager(reseller="reseller")

    class Meta:
        ordering = ["-started_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["customer", "reseller"],
                condition=models.Q(ended_at__isnull=True),
                name="one_current_support_plan_per_customer",
            )
        ]

    def __str__(self):
        return f"{self.customer}: {self.plan or 'no plan'}"


class Ticket(models.Model):
    class Category(models.TextChoices):
        BILLING = "billing", "Billing"
        PROVISIONING = "provisioning", "Provisioning"
        AGREEMENTS = "agreements", "MCA / agreements"
        TRANSFERS = "transfers", "Transfers"
        TECHNICAL = "technical", "Technical"
        OTHER = "other", "Other"

    class Priority(models.TextChoices):
        URGENT = "urgent", "Urgent"
        HIGH = "high", "High"
        NORMAL = "normal", "Normal"
        LOW = "low", "Low"

    class Status(models.TextChoices):
        OPEN = "open", "Open"
        WAITING_ON_RESELLER = "waiting_reseller", "Waiting on reseller"
        WAITING_ON_OPERATIONS = "waiting_ops", "Waiting on operations"
        RESOLVED = "resolved", "Resolved"
        CLOSED = "closed", "Closed"

    reseller = models.ForeignKey(Reseller, on_delete=models.PROTECT, related_name="tickets")
    subject = models.CharField(max_length=200, validators=[validate_one_line])
    category = models.CharField(max_length=20, choices=Category.choices)
    priority = models.CharField(max_length=10, choices=Priority.choices, default=Priority.NORMAL)
    customer = models.ForeignKey(
        Customer, on_delete=models.SET_NULL, null=True, blank=True, related_name="tickets"
    )
    status = models.CharField(
        max_length=20, choices=Status.choices, default=Status.OPEN, db_index=True
    )
    opened_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    assigned_to = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="assigned_tickets",
        limit_choices_to={"is_staff": True},
    )
    opened_at = models.DateTimeField(default=timezone.now)
    first_response_due_at = models.DateTimeField(db_index=True)
    first_response_at = models.DateTimeField(null=True, blank=True)
    breach_notified_at = models.DateTimeField(null=True, blank=True)
    resolved_at = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(default=timezone.now)

    objects = ScopedManager(reseller="reseller")

    class Meta:
        ordering = ["-opened_at", "-id"]

    def __str__(self):
        return f"#{self.pk} {self.subject}"

    @property
    def is_open(self):
        return self.status not in (self.Status.RESOLVED, self.Status.CLOSED)

    def is_overdue(self, now=None):
        return (
            self.first_response_at is None
            and self.is_open
            and (now or timezone.now()) >= self.first_response_due_at
        )


class TicketMessage(models.Model):
    """One entry of a ticket's thread. Internal notes are for operations only."""

    reseller = models.ForeignKey(Reseller, on_delete=models.PROTECT, related_name="+")
    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="messages")
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    from_operations = models.BooleanField(default=False)
    internal = models.BooleanField(default=False)
    body = models.TextField()
    created_at = models.DateTimeField(default=timezone.now)

    objects = ScopedManager(reseller="reseller")

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self):
        return f"Message on {self.ticket_id} by {self.author}"


def attachment_path(instance, filename):
    """Stored under a random name: the uploader's file name is only shown, never trusted."""
    return f"support/{instance.reseller_id}/{uuid.uuid4().hex}"


class TicketAttachment(models.Model):
    reseller = models.ForeignKey(Reseller, on_delete=models.PROTECT, related_name="+")
    message = models.ForeignKey(TicketMessage, on_delete=models.CASCADE, related_name="attachments")
    file = models.FileField(upload_to=attachment_path)
    original_name = models.CharField(max_length=200)
    size = models.PositiveIntegerField()

    objects = ScopedManager(reseller="reseller")

    def __str__(self):
        return self.original_name


class DistributorSupport(models.Model):
    """The distributor's own support desk (one row): shown to resellers (Support page, help
    page and menu) and, next to a customer's support plan, in the customer portal. Operations
    edit it in the admin ("Distributor support")."""

    name = models.CharField("desk name", max_length=100, default="Distributor support")
    chat_url = models.URLField("chat link", blank=True)
    email = models.EmailField("e-mail", blank=True)
    phone = models.CharField(max_length=40, blank=True)
    hours = models.CharField(
        "hours / coverage", max_length=200, blank=True, default="24 hours a day, 365 days a year"
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = verbose_name_plural = "distributor support"
        constraints = [models.CheckConstraint(condition=models.Q(pk=1), name="one_support_desk")]

    def __str__(self):
        return self.name

    def save(self, *args, **kwargs):
        self.pk = 1
        super().save(*args, **kwargs)

    @classmethod
    def load(cls) -> "DistributorSupport":
        desk, _ = cls.objects.get_or_create(pk=1)
        return desk

    @property
    def published(self) -> bool:
        return bool(self.chat_url or self.email or self.phone)
