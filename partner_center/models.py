"""State of the sandbox Partner Center (SandboxGateway). Not reseller-owned: this is what
Partner Center itself would hold, for every reseller of the distributor."""

import uuid

from django.db import models
from django.utils import timezone


def _new_id():
    return str(uuid.uuid4())


class SandboxCustomer(models.Model):
    tenant_id = models.CharField(max_length=36, unique=True, default=_new_id)
    company_name = models.CharField(max_length=200)
    domain = models.CharField(max_length=253, unique=True)
    country = models.CharField(max_length=2)
    currency = models.CharField(max_length=3)
    reseller_mpn_id = models.CharField(max_length=10)
    # Further indirect resellers whose relationship request the customer accepted.
    related_mpn_ids = models.JSONField(default=list, blank=True)
    profile = models.JSONField(default=dict, help_text="Address and contact as sent.")
    created_at = models.DateTimeField(default=timezone.now)
    usage_budget = models.DecimalField(
        max_digits=20,
        decimal_places=2,
        null=True,
        blank=True,
        help_text="Monthly usage spending budget; empty: none.",
    )

    def __str__(self):
        return f"{self.company_name} ({self.tenant_id})"


class SandboxAttestation(models.Model):
    customer = models.OneToOneField(
        SandboxCustomer, on_delete=models.CASCADE, related_name="attestation"
    )
    first_name = models.CharField(max_length=100)
    last_name = models.CharField(max_length=100)
    email = models.EmailField()
    phone = models.CharField(max_length=40, blank=True)
    date_agreed = models.DateTimeField()
    template_id = models.CharField(max_length=100)
    created_at = models.DateTimeField(default=timezone.now)

    def __str__(self):
        return f"MCA of {self.customer_id} agreed {self.date_agreed:%Y-%m-%d}"


class SandboxSubscription(models.Model):
    subscription_id = models.CharField(max_length=36, unique=True, default=_new_id)
    customer = models.ForeignKey(
        SandboxCustomer, on_delete=models.CASCADE, related_name="subscriptions"
    )
    offer = models.ForeignKey("subscriptions.Offer", on_delete=models.PROTECT, related_name="+")
    quantity = models.PositiveIntegerField()
    term = models.CharField(max_length=3)
    billing_frequency = models.CharField(max_length=10)
    auto_renew = models.BooleanField(default=True)
    status = models.CharField(max_length=10, default="active")
    created_at = models.DateTimeField()
    term_start = models.DateField()
    term_end = models.DateField()
    # Purchase or latest renewal instant: opens the cancellation window.
    term_started_at = models.DateTimeField()
    ended_on = models.DateField(null=True, blank=True)
    # Partner Center's scheduledNextTermInstructions: {"quantity", "term", "billing_frequency"}
    # applied at renewal; empty when nothing is scheduled.
    next_term = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["subscription_id"]

    def __str__(self):
        return f"{self.offer_id} × {self.quantity} ({self.subscription_id})"


class SandboxSeatBatch(models.Model):
    """Seats added by one event (purchase, renewal, increase) and when its window opened."""

    subscription = models.ForeignKey(
        SandboxSubscription, on_delete=models.CASCADE, related_name="batches"
    )
    quantity = models.PositiveIntegerField()
    opened_at = models.DateTimeField()

    class Meta:
        ordering = ["opened_at", "id"]

    def __str__(self):
        return f"{self.quantity} seats from {self.opened_at:%Y-%m-%d %H:%M}"


class SandboxTransfer(models.Model):
    transfer_id = models.CharField(max_length=36, unique=True, default=_new_id)
    customer = models.ForeignKey(
        SandboxCustomer, on_delete=models.CASCADE, related_name="transfers"
    )
    # create-a-transfer: the sourcing partner's tenant and name, the customer's e-mail
    source_partner_tenant_id = models.CharField(max_length=36, blank=True)
    source_partner_name = models.CharField(max_length=200, blank=True)
    customer_email = models.CharField(max_length=254, blank=True)
    # the receiving indirect reseller's PartnerID (partnerOnRecord)
    source_partner_mpn_id = models.CharField(max_length=10, blank=True)
    subscription_ids = models.JSONField(default=list)
    status = models.CharField(max_length=10, default="Active", help_text="Microsoft's status.")
    created_at = models.DateTimeField()
    expires_at = models.DateTimeField()
    completed_at = models.DateTimeField(null=True, blank=True)

    def __str__(self):
        return f"Transfer {self.transfer_id} ({self.status})"


class SandboxIdempotencyRecord(models.Model):
    """The result of one logical operation, returned again when its key is replayed."""

    key = models.CharField(max_length=200, unique=True)
    operation = models.CharField(max_length=200)
    fingerprint = models.CharField(max_length=64, help_text="SHA-256 of the request.")
    result = models.JSONField()
    created_at = models.DateTimeField(default=timezone.now)
    # An order's status checks answered "pending" so far (PARTNER_CENTER_SANDBOX_ORDER_CHECKS).
    checks = models.PositiveIntegerField(default=0)

    def __str__(self):
        return f"{self.operation} {self.key}"


class StoredToken(models.Model):
    """Partner Center credentials of the Secure Application Model, encrypted with Fernet
    (partner_center.auth): the refresh token from the consent flow and the current access
    token. Never shown, never logged."""

    name = models.CharField(max_length=50, unique=True)
    refresh_token = models.TextField(blank=True)
    access_token = models.TextField(blank=True)
    expires_at = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self):
        return f"{self.name} token (expires {self.expires_at})"


class PlacedOrder(models.Model):
    """Our record of one purchase placed in Partner Center (HttpGateway.create_order): the cart
    and the orders its checkout made, under our idempotency key, so a retry resumes the same
    purchase (polling its order) instead of buying again."""

    key = models.CharField(max_length=200, unique=True)
    tenant_id = models.CharField(max_length=36)
    fingerprint = models.CharField(max_length=64, help_text="SHA-256 of the request.")
    cart_id = models.CharField(max_length=64, blank=True)
    order_ids = models.JSONField(default=list)
    subscription_id = models.CharField(max_length=64, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self):
        return f"Order {self.key} ({', '.join(self.order_ids) or self.cart_id or 'new'})"


class AdminCredential(models.Model):
    """The customer's first admin account from Partner Center's answer to its creation
    (userCredentials), password encrypted (Fernet), until the reseller has seen it once
    (partner_center.auth.take_admin_credentials deletes it)."""

    tenant_id = models.CharField(max_length=36, unique=True)
    user_name = models.CharField(max_length=200)
    password = models.TextField(help_text="Fernet-encrypted.")
    created_at = models.DateTimeField(default=timezone.now)

    def __str__(self):
        return f"Admin account of {self.tenant_id}"


class SandboxTenantSku(models.Model):
    """A licence (subscribedSku) of a simulated customer tenant."""

    tenant_id = models.CharField(max_length=36, db_index=True)
    sku_id = models.CharField(max_length=36)
    part_number = models.CharField(max_length=100)
    enabled_units = models.PositiveIntegerField()
    subscription_ids = models.JSONField(default=list)

    def __str__(self):
        return f"{self.part_number} × {self.enabled_units} in {self.tenant_id}"


class SandboxTenantUser(models.Model):
    """A user of a simulated customer tenant with its licences and last sign-in."""

    tenant_id = models.CharField(max_length=36, db_index=True)
    user_id = models.CharField(max_length=36, default=_new_id)
    display_name = models.CharField(max_length=200)
    user_principal_name = models.CharField(max_length=200)
    enabled = models.BooleanField(default=True)
    sku_ids = models.JSONField(default=list)
    last_sign_in = models.DateTimeField(null=True, blank=True)

    def __str__(self):
        return self.user_principal_name


# --- GDAP (partner_center.gdap.SandboxGdap) -------------------------------------------------


class SandboxAdminRelationship(models.Model):
    """A delegated admin relationship (GDAP) as Microsoft Graph would hold it, with its access
    assignments ({id, group_id, role_ids, status, created}) in `assignments`."""

    relationship_id = models.CharField(max_length=80, unique=True)
    display_name = models.CharField(max_length=50, unique=True)
    duration = models.CharField(max_length=10)
    customer_tenant_id = models.CharField(max_length=36, db_index=True)
    customer_name = models.CharField(max_length=200, blank=True)
    role_ids = models.JSONField(default=list)
    auto_extend_duration = models.CharField(max_length=10, default="PT0S")
    status = models.CharField(max_length=24)
    created_at = models.DateTimeField()
    modified_at = models.DateTimeField()
    activated_at = models.DateTimeField(null=True, blank=True)
    ends_at = models.DateTimeField(null=True, blank=True)
    version = models.PositiveIntegerField(default=1, help_text="The etag's value.")
    assignments = models.JSONField(default=list, blank=True)

    def __str__(self):
        return f"{self.display_name} ({self.status})"
