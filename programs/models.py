from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone
from django_scopes import ScopedManager

from portal.models import Country, Reseller


class Program(models.Model):
    """A Microsoft program a reseller asks the distributor for (global, not reseller-owned)."""

    class Status(models.TextChoices):
        AVAILABLE = "available", "Available"
        SUNSET = "sunset", "Sunset"
        UNSUPPORTED = "unsupported", "Not supported"

    code = models.SlugField(max_length=50, unique=True)
    name = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.AVAILABLE)
    reason = models.TextField(blank=True, help_text="Why it is sunset or not supported.")
    requires = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        help_text="Program that must be approved before this one.",
    )
    sort_order = models.PositiveIntegerField(default=0)
    terms = models.TextField(
        blank=True,
        help_text=(
            "What the reseller accepts when it requests the program (the program terms and the "
            "24x365 customer-support obligation)."
        ),
    )
    terms_version = models.CharField(
        max_length=40,
        blank=True,
        help_text=(
            "Change it whenever the terms change: each request records the version accepted."
        ),
    )

    class Meta:
        ordering = ["sort_order", "name"]

    def __str__(self):
        return self.name

    def clean(self):
        if self.status != self.Status.AVAILABLE and not self.reason.strip():
            raise ValidationError({"reason": "Say why the program is not requestable."})
        if self.requires_id and self.requires_id == self.pk:
            raise ValidationError({"requires": "A program cannot require itself."})


class ProgramRequest(models.Model):
    """A reseller's request for access to one program, decided by operations."""

    class State(models.TextChoices):
        PENDING = "pending", "Pending"
        APPROVED = "approved", "Approved"
        REJECTED = "rejected", "Rejected"
        REVOKED = "revoked", "Revoked"

    reseller = models.ForeignKey(
        Reseller, on_delete=models.CASCADE, related_name="program_requests"
    )
    program = models.ForeignKey(Program, on_delete=models.PROTECT, related_name="requests")
    state = models.CharField(
        max_length=10, choices=State.choices, default=State.PENDING, db_index=True
    )
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    requested_at = models.DateTimeField(default=timezone.now)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    reason = models.TextField(blank=True, help_text="Why operations rejected or revoked it.")
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    revoked_at = models.DateTimeField(null=True, blank=True)
    # The reseller's acceptance of the program terms when it asked (who, when, which version).
    terms_version = models.CharField(max_length=40, blank=True)
    terms_accepted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    terms_accepted_at = models.DateTimeField(null=True, blank=True)

    objects = ScopedManager(reseller="reseller")

    class Meta:
        ordering = ["-requested_at", "-id"]
        constraints = [
            # Pending or approved: at most one per program; rejected ones stay as history.
            models.UniqueConstraint(
                fields=["reseller", "program"],
                condition=models.Q(state__in=["pending", "approved"]),
                name="one_open_program_request",
            )
        ]

    def __str__(self):
        return f"{self.program} for {self.reseller} ({self.get_state_display()})"


class CountryProgramLink(models.Model):
    """A link shown on the per-country program links page; `url_template` may contain
    {providerTenantId}, {resellerPartnerId}, {resellerTenantId} and {dap}."""

    class Kind(models.TextChoices):
        INDIRECT_RESELLER = "indirect_reseller", "Indirect reseller relationship request"
        END_CUSTOMER = "end_customer", "End-customer relationship request"
        PARTNER_NETWORK = "partner_network", "Partner network (MPN) portal"

    PLACEHOLDERS = ("providerTenantId", "resellerPartnerId", "resellerTenantId", "dap")

    country = models.CharField(max_length=2, choices=Country.choices)
    kind = models.CharField(max_length=20, choices=Kind.choices)
    label = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    url_template = models.CharField(max_length=500)
    sort_order = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["country", "sort_order", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["country", "kind"], name="one_program_link_per_country_and_kind"
            )
        ]

    def __str__(self):
        return f"{self.get_country_display()}: {self.label}"

    def clean(self):
        from programs.links import asks_for_dap, unknown_placeholders

        if asks_for_dap(self.url_template):
            raise ValidationError(
                {
                    "url_template": "Microsoft retired delegated admin privileges: use "
                    "DAP={dap} (always false); admin access is a GDAP relationship."
                }
            )
        unknown = unknown_placeholders(self.url_template)
        if unknown:
            raise ValidationError(
                {
                    "url_template": (
                        f"Unknown placeholder(s) {', '.join(unknown)}; use "
                        f"{', '.join('{' + p + '}' for p in self.PLACEHOLDERS)}."
                    )
                }
            )
