from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils import timezone
from django_scopes import ScopedManager

from billing.periods import FIXED_START_DAYS, MAX_START_DAY, MIN_START_DAY, Period
from portal.models import Country, Reseller
from subscriptions.models import ChargeEvent


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


class TaxRate(models.Model):
    """A tax rate of one country or one region of it, effective-dated; edited by operations
    (not tenant-owned). See billing/tax.py for how rates combine."""

    country = models.CharField(max_length=2, choices=Country.choices)
    region = models.CharField(max_length=3, blank=True,
                              help_text="Province or state code; empty: the whole country.")
    name = models.CharField(max_length=40, help_text="As printed: GST, HST, PST, QST, "
                                                     "Sales tax …")
    rate = models.DecimalField(max_digits=6, decimal_places=3,
                               validators=[MinValueValidator(0), MaxValueValidator(100)],
                               help_text="Percent, e.g. 9.975.")
    includes_country_tax = models.BooleanField(
        default=False, help_text="This region's tax replaces the country-wide one (Canada's HST "
                                 "includes the GST).")
    effective_from = models.DateField()
    effective_to = models.DateField(null=True, blank=True,
                                    help_text="Last day in force; empty: until further notice.")

    class Meta:
        ordering = ["country", "region", "name", "-effective_from"]

    def __str__(self):
        where = f"{self.country}-{self.region}" if self.region else self.country
        return f"{self.name} {self.rate} % ({where}) from {self.effective_from}"

    def clean(self):
        if self.effective_to and self.effective_to < self.effective_from:
            raise ValidationError({"effective_to": "The last day cannot be before the first."})
        clash = TaxRate.objects.filter(country=self.country, region=self.region,
                                       name=self.name).exclude(pk=self.pk)
        for other in clash:
            if (other.effective_to is None or other.effective_to >= self.effective_from) and (
                    self.effective_to is None or self.effective_to >= other.effective_from):
                raise ValidationError(f"{other} is in force on some of the same days: end it "
                                      "first (its last day).")


class TaxExemption(models.Model):
    """A reseller's tax exemption (a resale certificate): honoured while not expired, for its
    region (or the whole country when empty). Recorded by operations from the certificate."""

    reseller = models.ForeignKey(Reseller, on_delete=models.CASCADE, related_name="+")
    certificate_number = models.CharField(max_length=60)
    region = models.CharField(max_length=3, blank=True,
                              help_text="State or province the certificate is for; empty: all.")
    expires_on = models.DateField()
    note = models.CharField(max_length=200, blank=True)

    objects = ScopedManager(reseller="reseller")

    class Meta:
        ordering = ["reseller", "-expires_on"]

    def __str__(self):
        return f"{self.reseller}: certificate {self.certificate_number} through {self.expires_on}"


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
    export = models.JSONField(default=dict, blank=True,
                              help_text='Microsoft Graph export: {"path", "body", "progress"}.')
    notes = models.JSONField(default=list, blank=True,
                             help_text="What the import noticed without refusing the file, "
                                       "e.g. columns of Partner Center's export not read.")
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

    `natural_key` (sha256 of the identifying fields) is unique per subscription and day, so
    importing the same file or overlapping days again adds nothing. On PostgreSQL this table is
    meant to be partitioned by month of `usage_date` once it grows; a plain table for now.
    """

    # A million lines a month arrive in bulk, so every per-line cost counts:
    # - two indexes only: (reseller, usage_date) and the unique (subscription, usage_date,
    #   natural_key), which a file sorted by day or subscription fills nearly in order; customer
    #   is not indexed (the reports read UsageSummary), the import only for its few marketplace
    #   lines.
    # - no database foreign-key constraints (db_constraint=False): PostgreSQL would check four
    #   per line at commit (≈30 % of an import). The importer resolves every reference against
    #   the portal's customers and subscriptions in the same transaction and rejects the whole
    #   file otherwise; Django still refuses to delete a referenced row (PROTECT), and those
    #   rows are never deleted anyway (subscriptions end by status).
    reseller = models.ForeignKey(Reseller, on_delete=models.PROTECT, related_name="+",
                                 db_index=False, db_constraint=False)
    customer = models.ForeignKey("customers.Customer", on_delete=models.PROTECT, related_name="+",
                                 db_index=False, db_constraint=False)
    subscription = models.ForeignKey("subscriptions.Subscription", on_delete=models.PROTECT,
                                     related_name="usage_lines", db_index=False,
                                     db_constraint=False)
    usage_import = models.ForeignKey(UsageImport, on_delete=models.PROTECT, related_name="lines",
                                     db_index=False, db_constraint=False)
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
        default=False, help_text="Azure Marketplace one-time charge: billed on a separate "
                                 "invoice, not in billing reports.")
    # The first 128 bits of the sha256 of the identifying fields (usage_csv.natural_key), as a
    # uuid: a quarter of the index a hex text key needs, compared as two integers. The fields
    # include the subscription and the day, so it is unique with them (one index for both).
    natural_key = models.UUIDField()

    objects = ScopedManager(reseller="reseller")

    class Meta:
        ordering = ["usage_date", "id"]
        constraints = [models.UniqueConstraint(fields=["subscription", "usage_date", "natural_key"],
                                               name="one_usage_line_per_key")]
        indexes = [models.Index(fields=["reseller", "usage_date"]),
                   models.Index(fields=["usage_import"], condition=models.Q(is_marketplace=True),
                                name="usage_marketplace_by_import")]

    def __str__(self):
        return f"{self.usage_date} {self.meter_name} × {self.quantity}"


# Billing runs, the charge ledger, invoices and credit notes (DESIGN.md "Billing runs and
# invoices"). Ledger lines are recomputed and diffed while a run is a draft; invoices and credit
# notes are immutable once finalized.

class Immutable(ValidationError):
    pass


class BillingRun(models.Model):
    """The billing of one reseller for one of its periods."""

    class Status(models.TextChoices):
        DRAFT = "draft", "Draft"
        FINALIZED = "finalized", "Finalized"

    reseller = models.ForeignKey(Reseller, on_delete=models.PROTECT, related_name="+")
    period_start = models.DateField()
    period_end = models.DateField()
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.DRAFT)
    started_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                   null=True, blank=True, related_name="+")
    started_at = models.DateTimeField(default=timezone.now)
    finished_at = models.DateTimeField(null=True, blank=True,
                                       help_text="Last successful computation; empty while "
                                                 "the run is queued or computing.")
    finalized_at = models.DateTimeField(null=True, blank=True)
    task_id = models.CharField("Celery task id", max_length=64, blank=True)
    error = models.TextField(blank=True)

    objects = ScopedManager(reseller="reseller")

    class Meta:
        ordering = ["-period_start", "reseller__name"]
        constraints = [models.UniqueConstraint(fields=["reseller", "period_start"],
                                               name="one_billing_run_per_reseller_period")]

    def __str__(self):
        return f"Billing run {self.reseller} {self.period_start} – {self.period_end}"

    @property
    def is_draft(self):
        return self.status == self.Status.DRAFT

    @property
    def period(self) -> Period:
        return Period(self.period_start, self.period_end)

    @property
    def state_label(self):
        if self.status == self.Status.FINALIZED:
            return "Finalized"
        if self.error:
            return "Failed"
        return "Computed (draft)" if self.finished_at else "Computing…"


class BillingLine(models.Model):
    """One line of the charge ledger: what one subscription (or customer) owes for one kind
    of charge in one period. The unique keys make a second run unable to bill twice."""

    # the ledger's kinds: every kind of subscription charge, Azure usage and late adjustments
    Kind = models.TextChoices("Kind", [
        *((kind.name, (kind.value, kind.label)) for kind in ChargeEvent.Kind),
        ("USAGE", ("usage", "Azure plan usage (previous month)")),
        ("ADJUSTMENT", ("adjustment", "Adjustment: late charges of invoiced periods")),
    ])

    # reseller and subscription are indexed by the (reseller, period_start) index and the
    # unique (subscription, kind, period_start) one: no single-column index to maintain for
    # every line a run writes. No foreign key is checked by the database:
    # lines are written only by the billing run, in the transaction that holds its run locked,
    # from ids it has just read (the run and its reseller, the charge events' and usage sums'
    # customers and subscriptions); runs and ledger lines are never deleted but by that run
    # (read-only in the admin), and Django PROTECTs the rest. A check per line and key at
    # commit cost more than computing the line (≈70 µs a ledger line with its invoice line).
    reseller = models.ForeignKey(Reseller, on_delete=models.PROTECT, related_name="+",
                                 db_index=False, db_constraint=False)
    run = models.ForeignKey(BillingRun, on_delete=models.PROTECT, related_name="lines",
                            db_constraint=False)
    period_start = models.DateField()
    period_end = models.DateField()
    customer = models.ForeignKey("customers.Customer", on_delete=models.PROTECT,
                                 related_name="+", db_constraint=False)
    subscription = models.ForeignKey("subscriptions.Subscription", on_delete=models.PROTECT,
                                     null=True, blank=True, related_name="+", db_index=False,
                                     db_constraint=False)
    kind = models.CharField(max_length=16, choices=Kind.choices)
    product_type = models.CharField(max_length=100, blank=True)
    description = models.CharField(max_length=300)
    quantity = models.DecimalField(max_digits=28, decimal_places=10)
    cost_amount = models.DecimalField(max_digits=20, decimal_places=2)
    price_amount = models.DecimalField(max_digits=20, decimal_places=2)
    currency = models.CharField(max_length=3)
    updated_at = models.DateTimeField(default=timezone.now)

    objects = ScopedManager(reseller="reseller")

    class Meta:
        ordering = ["period_start", "customer_id", "subscription_id", "kind"]
        constraints = [
            models.UniqueConstraint(fields=["subscription", "kind", "period_start", "reseller"],
                                    condition=models.Q(subscription__isnull=False),
                                    name="one_ledger_line_per_subscription_kind_period"),
            models.UniqueConstraint(fields=["customer", "kind", "period_start", "reseller"],
                                    condition=models.Q(subscription__isnull=True),
                                    name="one_ledger_line_per_customer_kind_period"),
        ]
        indexes = [models.Index(fields=["reseller", "period_start"])]

    def __str__(self):
        return f"{self.description}: {self.cost_amount} {self.currency}"


class DocumentCounter(models.Model):
    """The last number used in one series (issuer, kind, year); locked while allocating."""

    issuer = models.CharField(max_length=40)
    prefix = models.CharField(max_length=10)
    year = models.PositiveIntegerField()
    last_number = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["issuer", "prefix", "year"],
                                               name="one_counter_per_series")]

    def __str__(self):
        return f"{self.issuer} {self.prefix}-{self.year}: {self.last_number}"


class _Document(models.Model):
    """Fields shared by invoices and credit notes. Issuer and recipient are copied onto the
    document when it is finalized, so a later profile edit never changes it."""

    class Status(models.TextChoices):
        DRAFT = "draft", "Draft"
        FINALIZED = "finalized", "Finalized"

    reseller = models.ForeignKey(Reseller, on_delete=models.PROTECT, related_name="+")
    period_start = models.DateField()
    period_end = models.DateField()
    currency = models.CharField(max_length=3)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.DRAFT)
    number = models.CharField(max_length=30, blank=True)
    issued_on = models.DateField(null=True, blank=True)
    issuer_code = models.CharField(max_length=40, blank=True)
    issuer_name = models.CharField(max_length=200, blank=True)
    issuer_address = models.TextField(blank=True)
    issuer_tax_id = models.CharField(max_length=60, blank=True)
    recipient_name = models.CharField(max_length=200, blank=True)
    recipient_address = models.TextField(blank=True)
    recipient_partner_id = models.CharField(max_length=20, blank=True)
    subtotal = models.DecimalField(max_digits=20, decimal_places=2, default=0)
    tax_rate = models.DecimalField(max_digits=6, decimal_places=3, default=0)
    tax_amount = models.DecimalField(max_digits=20, decimal_places=2, default=0)
    tax_lines = models.JSONField(default=list, blank=True,
                                 help_text='Per jurisdiction and rate: [{"name", "jurisdiction", '
                                           '"rate", "amount"}]; tax_amount is their sum.')
    tax_note = models.CharField(max_length=200, blank=True,
                                help_text="e.g. the resale certificate that exempts it.")
    total = models.DecimalField(max_digits=20, decimal_places=2, default=0)
    pdf = models.FileField(upload_to="billing/pdf/%Y/%m/", blank=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    finalized_at = models.DateTimeField(null=True, blank=True)

    objects = ScopedManager(reseller="reseller")

    class Meta:
        abstract = True

    def save(self, *args, allow_finalized_fields=(), **kwargs):
        """A finalized document never changes, except the fields a service names (the PDF
        rendered after finalization)."""
        if self.pk:
            stored = type(self).objects.filter(pk=self.pk).values("status").first()
            if stored and stored["status"] == self.Status.FINALIZED:
                fields = set(kwargs.get("update_fields") or ())
                if not fields or not fields <= set(allow_finalized_fields):
                    raise Immutable(f"{self} is finalized and cannot be changed; issue a "
                                    "credit note instead.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        if self.is_finalized:
            raise Immutable(f"{self} is finalized and cannot be deleted.")
        return super().delete(*args, **kwargs)

    @property
    def is_finalized(self):
        return self.status == self.Status.FINALIZED


class Invoice(_Document):
    """What the distributor invoices one reseller for one period in one currency (cost)."""

    run = models.ForeignKey(BillingRun, on_delete=models.PROTECT, related_name="invoices")

    class Meta:
        ordering = ["-period_start", "currency", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["reseller", "period_start", "currency"],
                                    name="one_invoice_per_reseller_period_currency"),
            # numbers are unique per issuer by their counter (DocumentCounter, taken under a
            # row lock); the constraint carries the reseller so it can be enforced per shard
            models.UniqueConstraint(fields=["issuer_code", "number", "reseller"],
                                    condition=~models.Q(number=""),
                                    name="invoice_number_unique_per_issuer"),
        ]

    def __str__(self):
        return self.number or f"Draft invoice {self.period_start} {self.currency}"


class CreditNote(_Document):
    """A correction of a finalized invoice: its lines negated (all or some)."""

    invoice = models.ForeignKey(Invoice, on_delete=models.PROTECT, related_name="credit_notes")
    reason = models.CharField(max_length=300)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                   null=True, blank=True, related_name="+")

    class Meta:
        ordering = ["-created_at", "pk"]
        constraints = [models.UniqueConstraint(fields=["issuer_code", "number", "reseller"],
                                               condition=~models.Q(number=""),
                                               name="credit_note_number_unique_per_issuer")]

    def __str__(self):
        return self.number or f"Draft credit note for {self.invoice}"


class _DocumentLine(models.Model):
    # the scope key, the document's reseller (not checked again by the database for every
    # line); lines are read through their document (indexed), never by reseller alone
    reseller = models.ForeignKey(Reseller, on_delete=models.PROTECT, related_name="+",
                                 db_index=False, db_constraint=False)
    position = models.PositiveIntegerField()
    product_type = models.CharField(max_length=100, blank=True)
    customer_name = models.CharField(max_length=200, blank=True)
    description = models.CharField(max_length=300)
    quantity = models.DecimalField(max_digits=28, decimal_places=10)
    amount = models.DecimalField(max_digits=20, decimal_places=2)

    objects = ScopedManager(reseller="reseller")

    class Meta:
        abstract = True

    def __str__(self):
        return f"{self.position}. {self.description}: {self.amount}"

    def save(self, *args, **kwargs):
        if type(self._parent()).objects.filter(pk=self._parent().pk,
                                                status=_Document.Status.FINALIZED).exists():
            raise Immutable("Lines of a finalized document cannot be changed.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        if self._parent().is_finalized:
            raise Immutable("Lines of a finalized document cannot be deleted.")
        return super().delete(*args, **kwargs)

    def _parent(self):
        return getattr(self, self.parent_field)


class InvoiceLine(_DocumentLine):
    # stored when the run is finalized (a draft shows its run's ledger instead), never
    # changed after: no database check per line (see BillingLine)
    invoice = models.ForeignKey(Invoice, on_delete=models.CASCADE, related_name="lines",
                                db_constraint=False)
    billing_line = models.ForeignKey(BillingLine, on_delete=models.SET_NULL, null=True,
                                     blank=True, related_name="+", db_constraint=False)

    parent_field = "invoice"

    class Meta:
        ordering = ["invoice", "position"]


class CreditNoteLine(_DocumentLine):
    credit_note = models.ForeignKey(CreditNote, on_delete=models.CASCADE, related_name="lines")
    invoice_line = models.ForeignKey(InvoiceLine, on_delete=models.PROTECT, related_name="+")

    parent_field = "credit_note"

    class Meta:
        ordering = ["credit_note", "position"]


class Statement(models.Model):
    """The PDF statement of what the reseller charges one end customer for one finalized period
    (price amounts, under the reseller's branding). Not a tax invoice: customer and period are
    its identity. Rendered once, when the run is finalized; the ledger of a finalized run never
    changes, so neither does the statement."""

    reseller = models.ForeignKey(Reseller, on_delete=models.PROTECT, related_name="+")
    run = models.ForeignKey(BillingRun, on_delete=models.PROTECT, related_name="statements")
    customer = models.ForeignKey("customers.Customer", on_delete=models.PROTECT,
                                 related_name="+")
    period_start = models.DateField()
    period_end = models.DateField()
    pdf = models.FileField(upload_to="billing/statements/%Y/%m/", blank=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    objects = ScopedManager(reseller="reseller")

    class Meta:
        ordering = ["-period_start", "customer_id"]
        constraints = [models.UniqueConstraint(fields=["customer", "period_start", "reseller"],
                                               name="one_statement_per_customer_period")]

    def __str__(self):
        return f"Statement {self.reference}"

    @property
    def reference(self) -> str:
        return f"ST-{self.period_start:%Y%m%d}-{self.customer_id}"

    @property
    def period(self) -> Period:
        return Period(self.period_start, self.period_end)


class UsageSummary(models.Model):
    """Non-marketplace usage summed per subscription, meter, currency and calendar month —
    what the reports read, so a month-end report never groups a million daily lines.
    An import adds the sums of its new lines (`billing.usage.pg._add_to_summaries`) or rebuilds
    each (reseller, month) it touches from `UsageLine` (`billing.usage.summary.refresh`); never
    edited by hand."""

    # Written by the usage import with the lines (tens of thousands of rows a file), from
    # references it resolved itself: no database foreign-key checks (as UsageLine); reseller
    # and subscription are indexed by the (reseller, month) index and the unique constraint.
    reseller = models.ForeignKey(Reseller, on_delete=models.CASCADE, related_name="+",
                                 db_index=False, db_constraint=False)
    customer = models.ForeignKey("customers.Customer", on_delete=models.CASCADE,
                                 related_name="+", db_constraint=False)
    subscription = models.ForeignKey("subscriptions.Subscription", on_delete=models.CASCADE,
                                     related_name="+", db_index=False, db_constraint=False)
    product_type = models.ForeignKey("subscriptions.ProductType", on_delete=models.PROTECT,
                                     related_name="+", db_constraint=False)
    month = models.DateField(help_text="First day of the usage month.")
    meter_id = models.CharField(max_length=64)
    meter_category = models.CharField(max_length=200, blank=True)
    meter_sub_category = models.CharField(max_length=200, blank=True)
    meter_name = models.CharField(max_length=200, blank=True)
    unit_of_measure = models.CharField(max_length=100, blank=True)
    currency = models.CharField(max_length=3)
    quantity = models.DecimalField(max_digits=28, decimal_places=10)
    pre_tax_total = models.DecimalField(max_digits=28, decimal_places=10,
                                        help_text="Sum of BillingPreTaxTotal (the cost), "
                                                  "unrounded.")
    lines = models.PositiveIntegerField()

    objects = ScopedManager(reseller="reseller")

    class Meta:
        constraints = [models.UniqueConstraint(
            fields=["subscription", "month", "meter_id", "currency"],
            name="one_usage_summary_per_meter_month")]
        indexes = [models.Index(fields=["reseller", "month"])]

    def __str__(self):
        return f"{self.month:%Y-%m} {self.meter_name}: {self.pre_tax_total} {self.currency}"
