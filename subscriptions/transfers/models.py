from django.conf import settings
from django.db import models
from django.utils import timezone
from django_scopes import ScopedManager

from customers.models import Customer
from portal.models import Reseller
from subscriptions.catalog.models import Offer
from subscriptions.models import Subscription


class Transfer(models.Model):
    """The target reseller's request to move a customer's subscriptions from its current
    provider (MPN/Partner ID). Each side sees it through its own scoped manager: `objects` for
    the target, `incoming` for a source reseller on the portal. An external source is decided
    by operations."""

    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        COMPLETED = "completed", "Completed"
        DECLINED = "declined", "Declined"
        CANCELED = "canceled", "Canceled"
        EXPIRED = "expired", "Expired"
        FAILED = "failed", "Failed"

    MAX_ITEMS = 25

    target_reseller = models.ForeignKey(Reseller, on_delete=models.PROTECT, related_name="+")
    customer = models.ForeignKey(
        Customer,
        on_delete=models.PROTECT,
        related_name="transfers",
        help_text="The target reseller's customer.",
    )
    source_partner_id = models.CharField("current provider's MPN/Partner ID", max_length=10)
    source_reseller = models.ForeignKey(
        Reseller,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        help_text="Empty: a provider outside the portal.",
    )
    # The current provider as Partner Center names it in a New Commerce transfer
    # (create-a-transfer): its partner tenant (GUID) and name; the customer's e-mail receives
    # Microsoft's notice.
    source_partner_tenant_id = models.UUIDField("current provider's partner tenant ID", null=True)
    source_partner_name = models.CharField("current provider's name", max_length=200, blank=True)
    customer_email = models.EmailField("customer e-mail for Microsoft's notice", blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    # Partner Center's own status of the transfer (Active, Completed, Expired, Rejected, …)
    partner_center_status = models.CharField(max_length=20, blank=True)
    partner_center_transfer_id = models.CharField(max_length=64, unique=True)
    # The customer's Microsoft tenant as Partner Center answered for the target reseller.
    tenant_id = models.UUIDField("Microsoft tenant ID", null=True)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    requested_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    decline_reason = models.TextField(blank=True)
    failure_message = models.TextField(blank=True)
    completed_at = models.DateTimeField(null=True, blank=True)
    idempotency_key = models.CharField(max_length=64, editable=False)

    objects = ScopedManager(reseller="target_reseller")
    incoming = ScopedManager(reseller="source_reseller")

    class Meta:
        ordering = ["-requested_at", "-pk"]
        indexes = [
            models.Index(fields=["target_reseller", "status"]),
            models.Index(fields=["source_reseller", "status"]),
            models.Index(fields=["status", "expires_at"]),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["target_reseller", "idempotency_key"], name="one_transfer_per_request_key"
            )
        ]

    def __str__(self):
        return f"Transfer #{self.pk} of {self.customer} from {self.source_partner_id}"

    @property
    def is_pending(self):
        return self.status == self.Status.PENDING

    @property
    def is_external(self):
        return self.source_reseller_id is None


class TransferItem(models.Model):
    """One Partner Center subscription of a transfer. Reached only through its transfer (whose
    managers are scoped), as it belongs to both sides."""

    transfer = models.ForeignKey(Transfer, on_delete=models.CASCADE, related_name="items")
    partner_center_id = models.CharField("Partner Center subscription ID", max_length=64)
    offer = models.ForeignKey(Offer, on_delete=models.PROTECT, related_name="+")
    quantity = models.PositiveIntegerField()
    source_subscription = models.ForeignKey(
        Subscription, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    target_subscription = models.ForeignKey(
        Subscription, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["transfer", "partner_center_id"],
                name="one_item_per_subscription_per_transfer",
            )
        ]

    def __str__(self):
        return f"{self.offer.name} × {self.quantity} ({self.partner_center_id})"
