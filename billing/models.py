from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils import timezone
from django_scopes import ScopedManager

from billing.periods import FIXED_START_DAYS, MAX_START_DAY, MIN_START_DAY
from portal.models import Country, Reseller


class BillingCalendar(models.Model):
    """Operations' choice of billing-period start day for one country (not tenant-owned).

    US (calendar month) and Canada (20th–19th) are fixed by DESIGN and cannot be overridden;
    a country without a row uses calendar months.
    """

    country = models.CharField(max_length=2, choices=Country.choices, unique=True)
    period_start_day = models.PositiveSmallIntegerField(
        validators=[MinValueValidator(MIN_START_DAY), MaxValueValidator(MAX_START_DAY)],
        help_text=f"Day of the month billing periods start on ({MIN_START_DAY}–{MAX_START_DAY}); "
                  f"1 means calendar months.")
    note = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["country"]
        constraints = [models.CheckConstraint(
            condition=models.Q(period_start_day__gte=MIN_START_DAY,
                               period_start_day__lte=MAX_START_DAY),
            name="billing_calendar_start_day_1_28")]

    def __str__(self):
        return f"{self.get_country_display()}: periods start on day {self.period_start_day}"

    def clean(self):
        if self.country in FIXED_START_DAYS:
            raise ValidationError({"country": (
                f"{self.get_country_display()} billing periods are fixed (start day "
                f"{FIXED_START_DAYS[self.country]}) and cannot be changed here.")})


class UsageImport(models.Model):
    """One upload (CSV) or Partner Center fetch of daily rated usage.

    `reseller` is empty for an operations import across resellers; the scoped manager then
    never shows it to any reseller (only staff see it, on the ops pages, unscoped).
    """

    class Source(models.TextChoices):
        CSV = "csv", "CSV upload"
        GATEWAY = "gateway", "Partner Center"

    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        VALIDATING = "validating", "Validating"
        IMPORTING = "importing", "Importing"
        DONE = "done", "Done"
        REJECTED = "rejected", "Rejected"
        FAILED = "failed", "Failed"

    FINISHED = (Status.DONE, Status.REJECTED, Status.FAILED)

    reseller = models.ForeignKey(Reseller, on_delete=models.PROTECT, null=True, blank=True,
                                 related_name="+",
                                 help_text="Empty: an operations import for all resellers.")
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                    null=True, blank=True, related_name="+")
    source = models.CharField(max_length=10, choices=Source.choices, default=Source.CSV)
    file_name = models.CharField(max_length=255, blank=True)
    file = models.FileField(upload_to="usage_imports/%Y/%m/", blank=True,
                            help_text="The uploaded CSV, kept until the import finishes.")
    sha256 = models.CharField(max_length=64, blank=True)
    period_start = models.DateField(null=True, blank=True,
                                    help_text="Partner Center fetch: first day.")
    period_end = models.DateField(null=True, blank=True,
                                  help_text="Partner Center fetch: last day (inclusive).")
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.PENDING)
    task_id = models.CharField("Celery task id", max_length=64, blank=True)
    total_lines = models.PositiveIntegerField(default=0)
    imported_lines = models.PositiveIntegerField(default=0)
    skipped_duplicates = models.PositiveIntegerField(default=0)
    marketplace_lines = models.PositiveIntegerField(default=0)
    errors = models.JSONField(default=list, blank=True,
                              help_text='[{"line": n, "field": ..., "message": ...}]')
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    finished_at = models.DateTimeField(null=True, blank=True)

    objects = ScopedManager(reseller="reseller")

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["reseller", "-created_at"])]

    def __str__(self):
        return f"Usage import #{self.pk} ({self.get_status_display()})"

    @property
    def is_finished(self):
        return self.status in self.FINISHED


class UsageLine(models.Model):
    """One line of Partner Center's daily rated usage (Azure plan), as sent.

    `natural_key` (sha256 of the identifying fields) is unique, so importing the same file or
    overlapping days again adds nothing. On PostgreSQL this table is meant to be partitioned by
    month of `usage_date` once it grows; a plain table for now.
    """

    # reseller and subscription: indexed by the (…, usage_date) indexes below; no extra index
    # to maintain on every imported line.
    reseller = models.ForeignKey(Reseller, on_delete=models.PROTECT, related_name="+",
                                 db_index=False)
    customer = models.ForeignKey("customers.Customer", on_delete=models.PROTECT, related_name="+")
    subscription = models.ForeignKey("subscriptions.Subscription", on_delete=models.PROTECT,
                                     related_name="usage_lines", db_index=False)
    usage_import = models.ForeignKey(UsageImport, on_delete=models.PROTECT, related_name="lines")
    usage_date = models.DateField()
    meter_category = models.CharField(max_length=200, blank=True)
    meter_sub_category = models.CharField(max_length=200, blank=True)
    meter_name = models.CharField(max_length=200, blank=True)
    meter_id = models.CharField(max_length=64)
    meter_region = models.CharField(max_length=100, blank=True)
    resource_group = models.CharField(max_length=200, blank=True)
    resource_uri = models.TextField(blank=True)
    tags = models.TextField(blank=True, help_text="JSON object as Partner Center sent it.")
    quantity = models.DecimalField(max_digits=28, decimal_places=10)
    unit_of_measure = models.CharField(max_length=100, blank=True)
    unit_price = models.DecimalField(max_digits=28, decimal_places=10)
    billing_pre_tax_total = models.DecimalField(max_digits=28, decimal_places=10)
    currency = models.CharField(max_length=3)
    charge_type = models.CharField(max_length=50)
    product_id = models.CharField(max_length=64, blank=True)
    sku_id = models.CharField(max_length=64, blank=True)
    availability_id = models.CharField(max_length=64, blank=True)
    is_marketplace = models.BooleanField(
        default=False, help_text="Azure Marketplace one-time charge: billed on a separate "
                                 "invoice, not in billing reports.")
    # Hex sha256. On PostgreSQL its column has collation "C" (migration 0004): compared byte by
    # byte, several times faster to index and look up than under a language collation.
    natural_key = models.CharField(max_length=64, unique=True)

    objects = ScopedManager(reseller="reseller")

    class Meta:
        ordering = ["usage_date", "id"]
        indexes = [models.Index(fields=["reseller", "usage_date"]),
                   models.Index(fields=["subscription", "usage_date"])]

    def __str__(self):
        return f"{self.usage_date} {self.meter_name} × {self.quantity}"
