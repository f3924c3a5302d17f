import uuid

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils import timezone
from django_scopes import ScopedManager

from billing.periods import FIXED_START_DAYS, MAX_START_DAY, MIN_START_DAY, Period
from portal.exceptions import ServiceError
from portal.models import Country, Reseller
from portal.numbers import money
from subscriptions.models import ChargeEvent


# Stored files get random names (a name never tells a reseller or customer, nor can it be
# guessed); they are served only by views that check the member's reseller.
def document_pdf_path(instance, filename):
    return f"billing/pdf/{uuid.uuid4().hex}.pdf"


def statement_pdf_path(instance, filename):
    return f"billing/statements/{uuid.uuid4().hex}.pdf"


class BillingCalendar(models.Model):
    """Operations' choice of billing-period start day for one country (not tenant-owned).

    US (calendar month) and Canada (20th–19th) are fixed by DESIGN and cannot be overridden;
    a country without a row uses calendar months.
    """

    country = models.CharField(max_length=2, choices=Country.choices, unique=True)
    period_start_day = models.PositiveSmallIntegerField(
        validators=[MinValueValidator(MIN_START_DAY), MaxValueValidator(MAX_START_DAY)],
        help_text=f"Day of the month billing periods start on ({MIN_START_DAY}–{MAX_START_DAY}); "
        f"1 means calendar months.",
    )
    note = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["country"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(
                    period_start_day__gte=MIN_START_DAY, period_start_day__lte=MAX_START_DAY
                ),
                name="billing_calendar_start_day_1_28",
            )
        ]

    def __str__(self):
        return f"{self.get_country_display()}: periods start on day {self.period_start_day}"

    def clean(self):
        if self.country in FIXED_START_DAYS:
            raise ValidationError(
                {
                    "country": (
                        f"{self.get_country_display()} billing periods are fixed (start day "
                        f"{FIXED_START_DAYS[self.country]}) and cannot be changed here."
                    )
                }
            )


class TaxRate(models.Model):
    """A tax rate of one country or one region of it, effective-dated; edited by operations
    (not tenant-owned). See billing/tax.py for how rates combine."""

    country = models.CharField(max_length=2, choices=Country.choices)
    region = models.CharField(
        max_length=3, blank=True, help_text="Province or state code; empty: the whole country."
    )
    name = models.CharField(max_length=40, help_text="As printed: GST, HST, PST, QST, Sales tax …")
    rate = models.DecimalField(
        max_digits=6,
        decimal_places=3,
        validators=[MinValueValidator(0), MaxValueValidator(100)],
        help_text="Percent, e.g. 9.975.",
    )
    includes_country_tax = models.BooleanField(
        default=False,
        help_text="This region's tax replaces the country-wide one (Canada's HST "
        "includes the GST).",
    )
    effective_from = models.DateField()
    effective_to = models.DateField(
        null=True, blank=True, help_text="Last day in force; empty: until further notice."
    )

    class Meta:
        ordering = ["country", "region", "name", "-effective_from"]

    def __str__(self):
        where = f"{self.country}-{self.region}" if self.region else self.country
        return f"{self.name} {self.rate} % ({where}) from {self.effective_from}"

    def clean(self):
        if self.effective_to and self.effective_to < self.effective_from:
            raise ValidationError({"effective_to": "The last day cannot be before the first."})
        clash = TaxRate.objects.filter(
            country=self.country, region=self.region, name=self.name
        ).exclude(pk=self.pk)
        for other in clash:
            if (other.effective_to is None or other.effective_to >= self.effective_from) and (
                self.effective_to is None or self.effective_to >= other.effective_from
            ):
                raise ValidationError(
                    f"{other} is in force on some of the same days: end it first (its last day)."
                )


class TaxExemption(models.Model):
    """A reseller's tax exemption (a resale certificate): honoured while not expired, for its
    region (or the whole country when empty). Recorded by operations from the certificate."""

    reseller = models.ForeignKey(Reseller, on_delete=models.CASCADE, related_name="+")
    certificate_number = models.CharField(max_length=60)
    region = models.CharField(
        max_length=3, blank=True, help_text="State or province the certificate is for; empty: all."
    )
    expires_on = models.DateField()
    note = models.CharField(max_length=200, blank=True)

    objects = ScopedManager(reseller="reseller")

    class Meta:
        ordering = ["reseller", "-expires_on"]

    def __str__(self):
        return f"{self.reseller}: certificate {self.certificate_number} through {self.expires_on}"


# Billing runs, the charge ledger, invoices and credit notes (DESIGN.md "Billing runs and
# invoices"). Ledger lines are recomputed and diffed while a run is a draft; invoices and credit
# notes are immutable once finalized.


class Immutable(ServiceError):
    def __init__(self, message: str):
        super().__init__(message, code="billing.document_immutable")


class BillingRun(models.Model):
    """The billing of one reseller for one of its periods."""

    class Status(models.TextChoices):
        DRAFT = "draft", "Draft"
        FINALIZED = "finalized", "Finalized"

    reseller = models.ForeignKey(Reseller, on_delete=models.PROTECT, related_name="+")
    period_start = models.DateField()
    period_end = models.DateField()
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.DRAFT)
    started_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    started_at = models.DateTimeField(default=timezone.now)
    finished_at = models.DateTimeField(
        null=True,
        blank=True,
        help_text="Last successful computation; empty while the run is queued or computing.",
    )
    finalized_at = models.DateTimeField(null=True, blank=True)
    task_id = models.CharField("Celery task id", max_length=64, blank=True)
    error = models.TextField(blank=True)

    objects = ScopedManager(reseller="reseller")

    class Meta:
        ordering = ["-period_start", "reseller__name"]
        constraints = [
            models.UniqueConstraint(
                fields=["reseller", "period_start"], name="one_billing_run_per_reseller_period"
            )
        ]

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
    Kind = models.TextChoices(
        "Kind",
        [
            *((kind.name, (kind.value, kind.label)) for kind in ChargeEvent.Kind),
            ("USAGE", ("usage", "Azure plan usage (previous month)")),
            ("ADJUSTMENT", ("adjustment", "Adjustment: late charges of invoiced periods")),
        ],
    )

    # reseller and subscription are indexed by the (reseller, period_start) index and the
    # unique (subscription, kind, period_start) one: no single-column index to maintain for
    # every line a run writes. No foreign key is checked by the database:
    # lines are written only by the billing run, in the transaction that holds its run locked,
    # from ids it has just read (the run and its reseller, the charge events' and usage sums'
    # customers and subscriptions); runs and ledger lines are never deleted but by that run
    # (read-only in the admin), and Django PROTECTs the rest. A check per line and key at
    # commit cost more than computing the line (≈70 µs a ledger line with its invoice line).
    reseller = models.ForeignKey(
        Reseller, on_delete=models.PROTECT, related_name="+", db_index=False, db_constraint=False
    )
    run = models.ForeignKey(
        BillingRun, on_delete=models.PROTECT, related_name="lines", db_constraint=False
    )
    period_start = models.DateField()
    period_end = models.DateField()
    customer = models.ForeignKey(
        "customers.Customer", on_delete=models.PROTECT, related_name="+", db_constraint=False
    )
    subscription = models.ForeignKey(
        "subscriptions.Subscription",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        db_index=False,
        db_constraint=False,
    )
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
            models.UniqueConstraint(
                fields=["subscription", "kind", "period_start", "reseller"],
                condition=models.Q(subscription__isnull=False),
                name="one_ledger_line_per_subscription_kind_period",
            ),
            models.UniqueConstraint(
                fields=["customer", "kind", "period_start", "reseller"],
                condition=models.Q(subscription__isnull=True),
                name="one_ledger_line_per_customer_kind_period",
            ),
        ]
        indexes = [models.Index(fields=["reseller", "period_start"])]

    def __str__(self):
        return f"{self.description}: {money(self.cost_amount, self.currency)}"


class DocumentCounter(models.Model):
    """The last number used in one series (issuer, kind, year); locked while allocating."""

    issuer = models.CharField(max_length=40)
    prefix = models.CharField(max_length=10)
    year = models.PositiveIntegerField()
    last_number = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["issuer", "prefix", "year"], name="one_counter_per_series"
            )
        ]

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
    tax_lines = models.JSONField(
        default=list,
        blank=True,
        help_text='Per jurisdiction and rate: [{"name", "jurisdiction", '
        '"rate", "amount"}]; tax_amount is their sum.',
    )
    tax_note = models.CharField(
        max_length=200, blank=True, help_text="e.g. the resale certificate that exempts it."
    )
    total = models.DecimalField(max_digits=20, decimal_places=2, default=0)
    pdf = models.FileField(upload_to=document_pdf_path, blank=True)
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
                    raise Immutable(
                        f"{self} is finalized and cannot be changed; issue a credit note instead."
                    )
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        if self.is_finalized:
            raise Immutable(f"{self} is finalized and cannot be deleted.")
        return super().delete(*args, **kwargs)

    @property
    def is_finalized(self):
        return self.status == self.Status.FINALIZED


class Invoice(_Document):
    """What the distributor invoices one reseller for one period in one currency (cost).
    `pdf` is its summary (totals per product type and customer, the lines attached as CSV and
    XLSX); `detail_pdf`, every line, is rendered only when someone asks for it."""

    run = models.ForeignKey(BillingRun, on_delete=models.PROTECT, related_name="invoices")
    detail_pdf = models.FileField(upload_to=document_pdf_path, blank=True)
    detail_requested_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-period_start", "currency", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["reseller", "period_start", "currency"],
                name="one_invoice_per_reseller_period_currency",
            ),
            # numbers are unique per issuer by their counter (DocumentCounter, taken under a
            # row lock); the constraint carries the reseller so it can be enforced per shard
            models.UniqueConstraint(
                fields=["issuer_code", "number", "reseller"],
                condition=~models.Q(number=""),
                name="invoice_number_unique_per_issuer",
            ),
        ]

    def __str__(self):
        return self.number or f"Draft invoice {self.period_start} {self.currency}"


class CreditNote(_Document):
    """A correction of a finalized invoice: its lines negated (all or some)."""

    invoice = models.ForeignKey(Invoice, on_delete=models.PROTECT, related_name="credit_notes")
    reason = models.CharField(max_length=300)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["-created_at", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["issuer_code", "number", "reseller"],
                condition=~models.Q(number=""),
                name="credit_note_number_unique_per_issuer",
            )
        ]

    def __str__(self):
        return self.number or f"Draft credit note for {self.invoice}"


class _DocumentLine(models.Model):
    # the scope key, the document's reseller (not checked again by the database for every
    # line); lines are read through their document (indexed), never by reseller alone
    reseller = models.ForeignKey(
        Reseller, on_delete=models.PROTECT, related_name="+", db_index=False, db_constraint=False
    )
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
        if (
            type(self._parent())
            .objects.filter(pk=self._parent().pk, status=_Document.Status.FINALIZED)
            .exists()
        ):
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
    invoice = models.ForeignKey(
        Invoice, on_delete=models.CASCADE, related_name="lines", db_constraint=False
    )
    billing_line = models.ForeignKey(
        BillingLine,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        db_constraint=False,
    )

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
    customer = models.ForeignKey("customers.Customer", on_delete=models.PROTECT, related_name="+")
    period_start = models.DateField()
    period_end = models.DateField()
    pdf = models.FileField(upload_to=statement_pdf_path, blank=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    objects = ScopedManager(reseller="reseller")

    class Meta:
        ordering = ["-period_start", "customer_id"]
        constraints = [
            models.UniqueConstraint(
                fields=["customer", "period_start", "reseller"],
                name="one_statement_per_customer_period",
            )
        ]

    def __str__(self):
        return f"Statement {self.reference}"

    @property
    def reference(self) -> str:
        return f"ST-{self.period_start:%Y%m%d}-{self.customer_id}"

    @property
    def period(self) -> Period:
        return Period(self.period_start, self.period_end)


class ReportDataChange(models.Model):
    """One committed change to the data that cached report figures are computed from, written
    by PostgreSQL triggers (migration 0015) after every statement that inserts, updates or
    deletes rows of those tables, whoever writes them (services, the admin, COPY, raw SQL).
    The sum of the weights visible to a reader only grows, one step per committed change:
    it names the state of the data, so a cached figure is kept under it
    (billing/reports/cache.py). A daily job folds the rows into one per reseller; the sums stay
    the same."""

    reseller_id = models.BigIntegerField(null=True, db_index=True)  # None: every reseller's data
    weight = models.BigIntegerField(default=1)

    def __str__(self):
        return f"report data change of reseller {self.reseller_id or 'every'} (×{self.weight})"
