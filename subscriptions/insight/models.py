"""Licence use read from the customer's tenant (Microsoft Graph, through GDAP): per
subscription, the tenant's consumed units and who holds a licence, with last sign-in."""

from django.db import models
from django.utils import timezone
from django_scopes import ScopedManager

from portal.models import Reseller


class TenantLicence(models.Model):
    """The tenant's licence (subscribedSku) matching a subscription, as of the last sync."""

    reseller = models.ForeignKey(Reseller, on_delete=models.PROTECT, related_name="+")
    subscription = models.ForeignKey(
        "subscriptions.Subscription", on_delete=models.CASCADE, related_name="+"
    )
    sku_id = models.CharField(max_length=36)
    part_number = models.CharField(max_length=100, blank=True)
    enabled_units = models.PositiveIntegerField()
    consumed_units = models.PositiveIntegerField()
    synced_at = models.DateTimeField(default=timezone.now)

    objects = ScopedManager(reseller="reseller")

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["reseller", "subscription"], name="one_tenant_licence_per_subscription"
            )
        ]

    def __str__(self):
        return f"{self.part_number}: {self.consumed_units} of {self.enabled_units} used"


class LicenceHolder(models.Model):
    """A tenant user holding the subscription's licence."""

    reseller = models.ForeignKey(Reseller, on_delete=models.PROTECT, related_name="+")
    licence = models.ForeignKey(TenantLicence, on_delete=models.CASCADE, related_name="holders")
    user_id = models.CharField(max_length=36)
    display_name = models.CharField(max_length=200)
    user_principal_name = models.CharField(max_length=200)
    enabled = models.BooleanField()
    last_sign_in = models.DateTimeField(null=True, blank=True)

    objects = ScopedManager(reseller="reseller")

    class Meta:
        ordering = ["display_name"]
        constraints = [
            models.UniqueConstraint(
                fields=["reseller", "licence", "user_id"], name="one_holder_per_user_and_licence"
            )
        ]

    def __str__(self):
        return f"{self.display_name} <{self.user_principal_name}>"
