import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone
from django_scopes import ScopedManager

from portal.models import Country, Currency, Reseller, validate_one_line
from portal.validators import domain_validator


class McaStatus(models.TextChoices):
    NOT_SENT = "not_sent", "Not sent"
    SENT = "sent", "Sent"
    ACCEPTED = "accepted", "Accepted"
    LOGGED = "logged", "Logged in Partner Center"


class Customer(models.Model):
    """An end customer (a Microsoft tenant) served by one reseller."""

    reseller = models.ForeignKey(Reseller, on_delete=models.PROTECT, related_name="customers")
    company_name = models.CharField(max_length=200, validators=[validate_one_line])
    country = models.CharField(max_length=2, choices=Country.choices)
    currency = models.CharField(max_length=3, choices=Currency.choices)
    address_line1 = models.CharField("address", max_length=200)
    address_line2 = models.CharField("address (line 2)", max_length=200, blank=True)
    city = models.CharField(max_length=100)
    region = models.CharField("state / province", max_length=100, blank=True)
    postal_code = models.CharField(max_length=20)
    contact_first_name = models.CharField(
        "contact first name", max_length=100, validators=[validate_one_line]
    )
    contact_last_name = models.CharField(
        "contact last name", max_length=100, validators=[validate_one_line]
    )
    contact_email = models.EmailField("contact e-mail")
    contact_phone = models.CharField("contact phone", max_length=40, blank=True)
    # Only from Partner Center's answer (customers.services): never typed by a reseller.
    tenant_id = models.UUIDField("Microsoft tenant ID", null=True, blank=True, editable=False)
    primary_domain = models.CharField(max_length=253, validators=[domain_validator])
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    # Kept by the MCA services so that lists filter and sort on it without joins.
    mca_status = models.CharField(
        "MCA", max_length=10, choices=McaStatus.choices, default=McaStatus.NOT_SENT, editable=False
    )
    # Part of every customer-portal link: rotating it makes all earlier links of this customer
    # stop working.
    portal_key = models.UUIDField(default=uuid.uuid4, editable=False)

    objects = ScopedManager(reseller="reseller")

    class Meta:
        ordering = ["company_name"]
        constraints = [
            models.UniqueConstraint(
                fields=["reseller", "primary_domain"], name="customer_domain_unique_per_reseller"
            ),
            # One Microsoft tenant belongs to one customer, so to one reseller.
            models.UniqueConstraint(fields=["tenant_id"], name="one_customer_per_tenant"),
        ]
        indexes = [
            models.Index(fields=["reseller", "company_name"]),
            # operations' reports of every reseller read the first customers by name (LIMIT)
            models.Index(fields=["company_name"], name="customer_name"),
            models.Index(fields=["reseller", "mca_status"]),
        ]

    def __str__(self):
        return self.company_name

    @property
    def contact_name(self):
        return f"{self.contact_first_name} {self.contact_last_name}"

    @property
    def locality(self) -> str:
        """City, region and postal code in the country's order: "Seattle, WA 98109" in the
        United States and Canada, "75008 Paris" elsewhere."""
        if self.country in ("US", "CA"):
            if self.region:
                return f"{self.city}, {self.region} {self.postal_code}".strip()
            return f"{self.city} {self.postal_code}".strip()
        place = f"{self.postal_code} {self.city}".strip()
        return f"{place}, {self.region}" if self.region else place

    @property
    def mca_accepted(self) -> bool:
        return self.mca_status in (McaStatus.ACCEPTED, McaStatus.LOGGED)


class McaInvitation(models.Model):
    """One MCA click-through link sent to a customer contact. The link is single use."""

    class State(models.TextChoices):
        ACTIVE = "active", "Active"
        USED = "used", "Used"
        REVOKED = "revoked", "Revoked"
        SUPERSEDED = "superseded", "Replaced by a newer link"

    reseller = models.ForeignKey(Reseller, on_delete=models.PROTECT, related_name="+")
    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="mca_invitations")
    nonce = models.UUIDField(default=uuid.uuid4, editable=False)
    sent_to = models.EmailField()
    sent_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    sent_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    state = models.CharField(max_length=10, choices=State.choices, default=State.ACTIVE)
    closed_at = models.DateTimeField(null=True, blank=True)

    objects = ScopedManager(reseller="reseller")

    class Meta:
        ordering = ["-sent_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["customer", "reseller"],
                condition=models.Q(state="active"),
                name="one_active_mca_link_per_customer",
            ),
            models.UniqueConstraint(fields=["nonce", "reseller"], name="mca_link_nonce_unique"),
        ]

    def __str__(self):
        return f"MCA link for {self.customer} sent {self.sent_at:%Y-%m-%d}"


class McaAcceptance(models.Model):
    """The customer's acceptance of the Microsoft Customer Agreement, as recorded by the
    click-through, and its logging (attestation) in Partner Center by the distributor."""

    class LoggedVia(models.TextChoices):
        OPERATIONS = "operations", "Operations (manually)"
        GATEWAY = "gateway", "Partner Center gateway"

    reseller = models.ForeignKey(Reseller, on_delete=models.PROTECT, related_name="+")
    customer = models.OneToOneField(
        Customer, on_delete=models.CASCADE, related_name="mca_acceptance"
    )
    invitation = models.OneToOneField(
        McaInvitation, on_delete=models.PROTECT, related_name="acceptance"
    )
    first_name = models.CharField(max_length=100)
    last_name = models.CharField(max_length=100)
    email = models.EmailField()
    phone = models.CharField(max_length=40, blank=True)
    date_agreed = models.DateTimeField()
    template_id = models.CharField(max_length=64)
    template_version = models.CharField(max_length=40)
    ip_address = models.GenericIPAddressField(null=True, blank=True)
    user_agent = models.CharField(max_length=500, blank=True)
    logged_at = models.DateTimeField(null=True, blank=True)
    logged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    logged_via = models.CharField(max_length=10, choices=LoggedVia.choices, blank=True)
    partner_center_reference = models.CharField(max_length=200, blank=True)
    log_error = models.CharField(
        max_length=500, blank=True, help_text="Last error of the gateway, if logging failed."
    )

    objects = ScopedManager(reseller="reseller")

    class Meta:
        ordering = ["date_agreed"]
        indexes = [models.Index(fields=["logged_at", "date_agreed"])]

    def __str__(self):
        return f"MCA of {self.customer} accepted by {self.first_name} {self.last_name}"

    @property
    def name(self):
        return f"{self.first_name} {self.last_name}"
