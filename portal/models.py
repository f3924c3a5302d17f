import re
import uuid

from django.conf import settings
from django.contrib.auth.models import AbstractUser, BaseUserManager
from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator
from django.db import models
from django.utils import timezone
from django_scopes import ScopedManager

from portal.roles import Role

partner_id_validator = RegexValidator(
    r"^\d{6,10}$", "The MPN/Partner ID is a number of 6 to 10 digits."
)
LINE_BREAKS = re.compile("[\r\n\v\f\x1c\x1d\x1e\x85\u2028\u2029]")


def validate_one_line(value: str) -> None:
    """One-line fields (names, subjects) refuse line breaks: they end up in e-mail subjects,
    file names and exports."""
    if value and LINE_BREAKS.search(value):
        raise ValidationError(
            "Enter this on one line: line breaks are not allowed.", code="line_break"
        )


hex_colour_validator = RegexValidator(
    r"^#[0-9a-fA-F]{6}$", "Enter a colour as #RRGGBB, for example #0b5cad."
)


class UserManager(BaseUserManager):
    use_in_migrations = True

    def _create_user(self, email, password, **extra):
        if not email:
            raise ValueError("An e-mail address is required.")
        user = self.model(email=self.normalize_email(email), **extra)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_user(self, email, password=None, **extra):
        extra.setdefault("is_staff", False)
        extra.setdefault("is_superuser", False)
        return self._create_user(email, password, **extra)

    def create_superuser(self, email, password=None, **extra):
        extra.update(is_staff=True, is_superuser=True)
        return self._create_user(email, password, **extra)


class User(AbstractUser):
    """A person who signs in with an e-mail address. Staff are the distributor's operations."""

    username = None
    email = models.EmailField("e-mail address", unique=True)

    USERNAME_FIELD = "email"
    REQUIRED_FIELDS = []

    objects = UserManager()

    class Meta:
        ordering = ["email"]

    def __str__(self):
        return self.get_full_name() or self.email


class Country(models.TextChoices):
    US = "US", "United States"
    CA = "CA", "Canada"
    GB = "GB", "United Kingdom"
    IE = "IE", "Ireland"
    DE = "DE", "Germany"
    FR = "FR", "France"
    NL = "NL", "Netherlands"
    AU = "AU", "Australia"


class Currency(models.TextChoices):
    USD = "USD", "US dollar"
    CAD = "CAD", "Canadian dollar"
    EUR = "EUR", "Euro"
    GBP = "GBP", "Pound sterling"
    AUD = "AUD", "Australian dollar"


class Reseller(models.Model):
    """A tenant: an indirect reseller buying Microsoft cloud through the distributor."""

    name = models.CharField(max_length=200, validators=[validate_one_line])
    country = models.CharField(max_length=2, choices=Country.choices)
    currency = models.CharField(max_length=3, choices=Currency.choices)
    region = models.CharField(
        "province or state",
        max_length=3,
        blank=True,
        help_text="Two-letter code (ON, BC, QC, AB … or TX, WA …): the distributor's invoices "
        "are taxed by country and region.",
    )
    partner_id = models.CharField(
        "MPN/Partner ID",
        max_length=10,
        unique=True,
        null=True,
        blank=True,
        validators=[partner_id_validator],
        help_text="Your Microsoft Partner Network ID as indirect reseller (6–10 digits).",
    )
    # Operations check the ID belongs to this company (Partner Center's indirect reseller
    # list) before transfers and program requests are allowed; a changed ID is checked again.
    partner_id_verified_at = models.DateTimeField(
        "MPN/Partner ID verified", null=True, blank=True, editable=False
    )
    partner_id_verified_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        editable=False,
        related_name="+",
    )
    mpa_accepted_on = models.DateField(
        "Microsoft Partner Agreement accepted on", null=True, blank=True
    )
    tenant_id = models.UUIDField(
        "Microsoft tenant ID",
        null=True,
        blank=True,
        help_text="The reseller's own Microsoft Entra tenant (GUID).",
    )
    logo = models.ImageField(upload_to="branding/", blank=True)
    brand_colour = models.CharField(
        max_length=7, default="#0b5cad", validators=[hex_colour_validator]
    )
    accent_colour = models.CharField(
        max_length=7, default="#0f766e", validators=[hex_colour_validator]
    )
    support_email = models.EmailField(blank=True)
    support_phone = models.CharField(max_length=40, blank=True)
    support_url = models.URLField("support web page", blank=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["name"]

    def __str__(self):
        return self.name

    @property
    def partner_id_verified(self) -> bool:
        return bool(self.partner_id and self.partner_id_verified_at)

    def clean(self):
        if self.mpa_accepted_on and self.mpa_accepted_on > timezone.now().date():
            raise ValidationError(
                {"mpa_accepted_on": "The agreement date cannot be in the future."}
            )


class Membership(models.Model):
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships"
    )
    reseller = models.ForeignKey(Reseller, on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(max_length=10, choices=Role.choices)
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    objects = ScopedManager(reseller="reseller")

    class Meta:
        ordering = ["reseller__name", "user__email"]
        constraints = [
            models.UniqueConstraint(fields=["user", "reseller"], name="one_membership_per_reseller")
        ]

    def __str__(self):
        return f"{self.user} – {self.reseller} ({self.get_role_display()})"


def _invitation_expiry():
    return timezone.now() + timezone.timedelta(days=settings.INVITATION_MAX_AGE_DAYS)


class Invitation(models.Model):
    """An owner or admin invites a colleague by e-mail; the link makes them a member."""

    class State(models.TextChoices):
        PENDING = "pending", "Pending"
        ACCEPTED = "accepted", "Accepted"
        REVOKED = "revoked", "Revoked"
        EXPIRED = "expired", "Expired"

    reseller = models.ForeignKey(Reseller, on_delete=models.CASCADE, related_name="invitations")
    email = models.EmailField()
    role = models.CharField(max_length=10, choices=Role.choices)
    token = models.UUIDField(default=uuid.uuid4, editable=False)
    invited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    expires_at = models.DateTimeField(default=_invitation_expiry)
    state = models.CharField(max_length=10, choices=State.choices, default=State.PENDING)
    decided_at = models.DateTimeField(null=True, blank=True)

    objects = ScopedManager(reseller="reseller")

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["reseller", "email"],
                condition=models.Q(state="pending"),
                name="one_pending_invitation_per_email",
            ),
            # the link's token (random) first: a token alone still finds its invitation
            models.UniqueConstraint(fields=["token", "reseller"], name="invitation_token_unique"),
        ]

    def __str__(self):
        return f"Invitation of {self.email} to {self.reseller}"

    def is_expired(self, now=None):
        return (now or timezone.now()) >= self.expires_at


class AuditEvent(models.Model):
    """Append-only record of every state change, written by services."""

    at = models.DateTimeField(default=timezone.now, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    reseller = models.ForeignKey(
        Reseller, on_delete=models.PROTECT, null=True, blank=True, related_name="audit_events"
    )
    action = models.CharField(max_length=100, db_index=True, help_text='"app.object.verb"')
    object_type = models.CharField(max_length=100, blank=True)
    object_id = models.CharField(max_length=64, blank=True)
    object_repr = models.CharField(max_length=200, blank=True)
    data = models.JSONField(default=dict, blank=True)

    objects = ScopedManager(reseller="reseller")

    class Meta:
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["object_type", "object_id"])]

    def __str__(self):
        return f"{self.at:%Y-%m-%d %H:%M} {self.action} {self.object_repr}"

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise ValidationError("Audit events are append-only.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise ValidationError("Audit events are append-only.")


class Notification(models.Model):
    """In-app message to one user of one reseller (also e-mailed)."""

    reseller = models.ForeignKey(Reseller, on_delete=models.CASCADE, related_name="notifications")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications"
    )
    title = models.CharField(max_length=200)
    body = models.TextField(blank=True)
    url = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    read_at = models.DateTimeField(null=True, blank=True)

    objects = ScopedManager(reseller="reseller")

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["user", "reseller", "read_at"])]

    def __str__(self):
        return self.title


class UpkeepFailure(models.Model):
    """A row a scheduled (beat) job could not process: the job went on with the other rows.
    One open record per job and object; the next failure of the same row counts an attempt
    (its reseller is told once), the next success closes it. Operations list the open ones."""

    job = models.CharField(max_length=100, help_text='"app.job", e.g. "subscriptions.renew"')
    reseller = models.ForeignKey(
        Reseller, on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    object_type = models.CharField(max_length=100)
    object_id = models.CharField(max_length=64)
    object_repr = models.CharField(max_length=200, blank=True)
    reason = models.TextField()
    attempts = models.PositiveIntegerField(default=1)
    first_at = models.DateTimeField(default=timezone.now)
    last_at = models.DateTimeField(default=timezone.now)
    resolved_at = models.DateTimeField(null=True, blank=True)

    objects = ScopedManager(reseller="reseller")

    class Meta:
        ordering = ["-last_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["job", "object_type", "object_id"],
                condition=models.Q(resolved_at=None),
                name="one_open_upkeep_failure_per_job_object",
            )
        ]

    def __str__(self):
        return f"{self.job}: {self.object_repr}: {self.reason[:80]}"
