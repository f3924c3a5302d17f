import hashlib
import uuid

from django.conf import settings
from django.db import models
from django.db.backends.signals import connection_created
from django.db.models.functions import MD5, Cast
from django.utils import timezone
from django_scopes import ScopedManager

from portal.models import Reseller
from portal.numbers import money


def usage_import_path(instance, filename):
    """A random name: the file is read by the import only, never served."""
    return f"usage_imports/{uuid.uuid4().hex}.csv"


class UsageImport(models.Model):
    """One upload (CSV) or Partner Center fetch of daily rated usage.

    `reseller` is empty for an operations import across resellers; the scoped manager then
    never shows it to any reseller (only staff see it, on the ops pages, unscoped).
    """

    class Source(models.TextChoices):
        CSV = "csv", "CSV upload"
        GATEWAY = "gateway", "Partner Center"
        GRAPH = "graph", "Microsoft Graph export"

    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        VALIDATING = "validating", "Validating"
        IMPORTING = "importing", "Importing"
        DONE = "done", "Done"
        REJECTED = "rejected", "Rejected"
        FAILED = "failed", "Failed"

    FINISHED = (Status.DONE, Status.REJECTED, Status.FAILED)

    reseller = models.ForeignKey(
        Reseller,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        help_text="Empty: an operations import for all resellers.",
    )
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    source = models.CharField(max_length=10, choices=Source.choices, default=Source.CSV)
    file_name = models.CharField(max_length=255, blank=True)
    file = models.FileField(
        upload_to=usage_import_path,
        blank=True,
        help_text="The uploaded CSV, kept until the import finishes.",
    )
    sha256 = models.CharField(max_length=64, blank=True)
    period_start = models.DateField(
        null=True, blank=True, help_text="Partner Center fetch: first day."
    )
    period_end = models.DateField(
        null=True, blank=True, help_text="Partner Center fetch: last day (inclusive)."
    )
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.PENDING)
    task_id = models.CharField("Celery task id", max_length=64, blank=True)
    total_lines = models.PositiveIntegerField(default=0)
    imported_lines = models.PositiveIntegerField(default=0)
    skipped_duplicates = models.PositiveIntegerField(default=0)
    marketplace_lines = models.PositiveIntegerField(default=0)
    errors = models.JSONField(
        default=list, blank=True, help_text='[{"line": n, "field": ..., "message": ...}]'
    )
    export = models.JSONField(
        default=dict, blank=True, help_text='Microsoft Graph export: {"path", "body", "progress"}.'
    )
    notes = models.JSONField(
        default=list,
        blank=True,
        help_text="What the import noticed without refusing the file, "
        "e.g. columns of Partner Center's export not read.",
    )
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


# The stored columns that tell two lines of one subscription and day apart, in the order
# `UsageLine.natural_key` joins them.
KEY_COLUMNS = (
    "meter_id",
    "meter_region",
    "resource_uri",
    "charge_type",
    "product_id",
    "sku_id",
    "availability_id",
    "tags",
)
KEY_SEPARATOR = "\x1f"


class Joined(models.Func):
    """`a || b || …`, flat (Concat nests a COALESCE per pair, deeper than SQLite parses in a
    generated column); the key columns are NOT NULL."""

    template = "(%(expressions)s)"
    arg_joiner = " || "
    output_field = models.TextField()


def natural_key_expression():
    """md5 of the key columns joined by KEY_SEPARATOR, as a uuid (migration 0010's key, kept for
    that migration)."""
    parts: list = []
    for name in KEY_COLUMNS:
        parts += [models.Value(KEY_SEPARATOR), models.F(name)] if parts else [models.F(name)]
    return Cast(MD5(Joined(*parts)), models.UUIDField())


def key_text_expression() -> "Joined":
    """The key columns joined by KEY_SEPARATOR (the text the natural key hashes)."""
    parts: list = []
    for name in KEY_COLUMNS:
        parts += [models.Value(KEY_SEPARATOR), models.F(name)] if parts else [models.F(name)]
    return Joined(*parts)


def key_hash(text: str) -> int:
    """The natural key of a key text on SQLite (`usage_key_hash`, registered on each SQLite
    connection): the first 64 bits of its md5, signed. (PostgreSQL computes its own hash.)"""
    digest = hashlib.md5(text.encode(), usedforsecurity=False).digest()
    return int.from_bytes(digest[:8], "big", signed=True)


class KeyHash(models.Func):
    """A 64-bit hash of the key text, computed by the database as each row is stored:
    PostgreSQL's hashtextextended(text, 0) (the hash of hash partitioning: stable, in C, about
    a tenth of md5()'s cost there, whose OpenSSL context costs ≈5 µs a call); SQLite's
    `usage_key_hash` (`key_hash`). Unique with the reseller, subscription and day, 64 bits
    tell apart the few thousand lines of one subscription and day with room to spare."""

    function = "usage_key_hash"
    output_field = models.BigIntegerField()

    def as_postgresql(self, compiler, connection, **extra_context):
        return self.as_sql(
            compiler, connection, template="hashtextextended(%(expressions)s, 0)", **extra_context
        )


def _register_key_hash(sender, connection, **kwargs):
    if connection.vendor == "sqlite":
        connection.connection.create_function("usage_key_hash", 1, key_hash, deterministic=True)


connection_created.connect(_register_key_hash, dispatch_uid="billing.usage.key_hash")


class UsageLine(models.Model):
    """One line of Partner Center's daily rated usage (Azure plan), as sent.

    `natural_key` (a hash of the identifying columns, computed by the database) is unique per
    reseller, subscription and day, so importing the same file or overlapping days again adds
    nothing. On PostgreSQL the table is partitioned by month of `usage_date`
    (billing/usage/partitions.py; migration 0010); elsewhere (SQLite for `make run`) it is a
    plain table.
    """

    # A million lines a month arrive in bulk, so every per-line cost counts:
    # - one index per monthly partition for the import: the unique (reseller, subscription,
    #   usage_date, natural_key), which a file sorted by day or subscription fills nearly in
    #   order, and which also serves a reseller's lines of a month (the partition is the month);
    #   customer is not indexed (the reports read UsageSummary), the import only for its few
    #   marketplace lines.
    # - no database foreign-key constraints (db_constraint=False): PostgreSQL would check four
    #   per line at commit (≈30 % of an import). The importer resolves every reference against
    #   the portal's customers and subscriptions in the same transaction and rejects the whole
    #   file otherwise; Django still refuses to delete a referenced row (PROTECT), and those
    #   rows are never deleted anyway (subscriptions end by status).
    reseller = models.ForeignKey(
        Reseller, on_delete=models.PROTECT, related_name="+", db_index=False, db_constraint=False
    )
    customer = models.ForeignKey(
        "customers.Customer",
        on_delete=models.PROTECT,
        related_name="+",
        db_index=False,
        db_constraint=False,
    )
    subscription = models.ForeignKey(
        "subscriptions.Subscription",
        on_delete=models.PROTECT,
        related_name="usage_lines",
        db_index=False,
        db_constraint=False,
    )
    usage_import = models.ForeignKey(
        UsageImport,
        on_delete=models.PROTECT,
        related_name="lines",
        db_index=False,
        db_constraint=False,
    )
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
    # Microsoft prices a unit to 16 decimals and more
    unit_price = models.DecimalField(max_digits=38, decimal_places=22)
    billing_pre_tax_total = models.DecimalField(max_digits=28, decimal_places=10)
    currency = models.CharField(max_length=3)
    charge_type = models.CharField(max_length=50)
    product_id = models.CharField(max_length=64, blank=True)
    sku_id = models.CharField(max_length=64, blank=True)
    availability_id = models.CharField(max_length=64, blank=True)
    is_marketplace = models.BooleanField(
        default=False,
        help_text="Azure Marketplace one-time charge: billed on a separate "
        "invoice, not in billing reports.",
    )
    # A 64-bit hash of the identifying columns (KEY_COLUMNS), stored: one integer in the
    # index. Computed by the database (KeyHash: in C as COPY stores the row), so the import
    # hashes nothing in Python; a line of Microsoft's Graph export and the same line of a CSV
    # file have the same key (the day is a column of the unique key, not text in the hash).
    natural_key = models.GeneratedField(
        expression=KeyHash(key_text_expression()),
        output_field=models.BigIntegerField(),
        db_persist=True,
    )

    objects = ScopedManager(reseller="reseller")

    class Meta:
        ordering = ["usage_date", "id"]
        # On PostgreSQL the primary key is (id, usage_date) (a partitioned table's keys carry
        # its partition key); id alone stays unique, taken from one sequence.
        constraints = [
            models.UniqueConstraint(
                fields=["reseller", "subscription", "usage_date", "natural_key"],
                name="one_usage_line_per_key",
            )
        ]
        indexes = [
            models.Index(
                fields=["usage_import"],
                condition=models.Q(is_marketplace=True),
                name="usage_marketplace_by_import",
            ),
        ]

    def __str__(self):
        return f"{self.usage_date} {self.meter_name} × {self.quantity}"


class UsageSummary(models.Model):
    """Non-marketplace usage summed per subscription, meter, currency and calendar month —
    what the reports read, so a month-end report never groups a million daily lines.
    An import adds the sums of its new lines (`billing.usage.pg._add_to_summaries`) or rebuilds
    each (reseller, month) it touches from `UsageLine` (`billing.usage.summary.refresh`); never
    edited by hand."""

    # Written by the usage import with the lines (tens of thousands of rows a file), from
    # references it resolved itself: no database foreign-key checks (as UsageLine); reseller
    # and subscription are indexed by the (reseller, month) index and the unique constraint.
    reseller = models.ForeignKey(
        Reseller, on_delete=models.CASCADE, related_name="+", db_index=False, db_constraint=False
    )
    customer = models.ForeignKey(
        "customers.Customer", on_delete=models.CASCADE, related_name="+", db_constraint=False
    )
    subscription = models.ForeignKey(
        "subscriptions.Subscription",
        on_delete=models.CASCADE,
        related_name="+",
        db_index=False,
        db_constraint=False,
    )
    product_type = models.ForeignKey(
        "subscriptions.ProductType", on_delete=models.PROTECT, related_name="+", db_constraint=False
    )
    month = models.DateField(help_text="First day of the usage month.")
    meter_id = models.CharField(max_length=64)
    meter_category = models.CharField(max_length=200, blank=True)
    meter_sub_category = models.CharField(max_length=200, blank=True)
    meter_name = models.CharField(max_length=200, blank=True)
    unit_of_measure = models.CharField(max_length=100, blank=True)
    currency = models.CharField(max_length=3)
    quantity = models.DecimalField(max_digits=28, decimal_places=10)
    pre_tax_total = models.DecimalField(
        max_digits=28,
        decimal_places=10,
        help_text="Sum of BillingPreTaxTotal (the cost), unrounded.",
    )
    lines = models.PositiveIntegerField()

    objects = ScopedManager(reseller="reseller")

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["reseller", "subscription", "month", "meter_id", "currency"],
                name="one_usage_summary_per_meter_month",
            )
        ]
        indexes = [models.Index(fields=["reseller", "month"])]

    def __str__(self):
        return f"{self.month:%Y-%m} {self.meter_name}: {money(self.pre_tax_total, self.currency)}"
