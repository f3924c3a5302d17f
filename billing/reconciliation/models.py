"""A reconciliation of one billing period and the differences it found (see services.py)."""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django_scopes import ScopedManager

from portal.models import Reseller


class ReconciliationRun(models.Model):
    """The last reconciliation of the billing periods starting on `period_start` (every
    reseller whose period starts that day). Running it again replaces its differences."""

    period_start = models.DateField(unique=True)
    period_end = models.DateField()
    started_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    finished_at = models.DateTimeField(default=timezone.now)
    microsoft_lines = models.PositiveIntegerField(
        default=0, help_text="Microsoft's charges compared."
    )
    ledger_lines = models.PositiveIntegerField(default=0)
    document_lines = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["-period_start"]

    def __str__(self):
        return f"Reconciliation {self.period_start} – {self.period_end}"


class Difference(models.Model):
    """One difference between two sides of a period: Microsoft's billed usage ↔ the portal's
    cost ledger, the ledger ↔ the reseller's invoice, the invoice ↔ the customers'
    statements."""

    class Leg(models.TextChoices):
        MICROSOFT = "microsoft", "Microsoft ↔ ledger"
        INVOICE = "invoice", "Ledger ↔ reseller invoice"
        STATEMENT = "statement", "Reseller invoice ↔ customer statements"

    class Reason(models.TextChoices):
        MISSING_IN_PORTAL = "missing_in_portal", "Missing in the portal"
        MISSING_AT_MICROSOFT = "missing_at_microsoft", "Missing at Microsoft"
        MISSING_ON_INVOICE = "missing_on_invoice", "Missing on the invoice"
        MISSING_IN_LEDGER = "missing_in_ledger", "Missing in the ledger"
        MISSING_ON_STATEMENT = "missing_on_statement", "Missing on the customer's statement"
        QUANTITY = "quantity", "Quantity differs"
        UNIT_PRICE = "unit_price", "Unit price differs"
        PERIOD = "period", "Period differs"
        CURRENCY = "currency", "Currency differs"
        ROUNDING = "rounding", "Rounding within tolerance"

    run = models.ForeignKey(ReconciliationRun, on_delete=models.CASCADE, related_name="differences")
    reseller = models.ForeignKey(Reseller, on_delete=models.PROTECT, related_name="+")
    leg = models.CharField(max_length=10, choices=Leg.choices)
    reason = models.CharField(max_length=24, choices=Reason.choices)
    product_type = models.CharField(max_length=100, blank=True)
    customer = models.ForeignKey(
        "customers.Customer",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        db_constraint=False,
    )
    subscription = models.ForeignKey(
        "subscriptions.Subscription",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        db_constraint=False,
    )
    billing_line = models.ForeignKey(
        "billing.BillingLine",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        db_constraint=False,
    )
    usage_month = models.DateField(
        null=True, blank=True, help_text="First day of the usage period compared."
    )
    description = models.CharField(max_length=300)
    currency = models.CharField(max_length=3)
    amount = models.DecimalField(
        max_digits=20,
        decimal_places=2,
        null=True,
        blank=True,
        help_text="Right side − left side, to the cent; empty between currencies.",
    )
    left_period = models.DateField(null=True, blank=True)
    left_quantity = models.DecimalField(max_digits=28, decimal_places=10, null=True, blank=True)
    left_amount = models.DecimalField(max_digits=28, decimal_places=10, null=True, blank=True)
    left_currency = models.CharField(max_length=3, blank=True)
    right_period = models.DateField(null=True, blank=True)
    right_quantity = models.DecimalField(max_digits=28, decimal_places=10, null=True, blank=True)
    right_amount = models.DecimalField(max_digits=28, decimal_places=10, null=True, blank=True)
    right_currency = models.CharField(max_length=3, blank=True)

    objects = ScopedManager(reseller="reseller")

    class Meta:
        ordering = ["run", "leg", "reason", "reseller_id", "description", "pk"]
        indexes = [models.Index(fields=["run", "reseller"])]

    def __str__(self):
        return f"{self.get_reason_display()}: {self.description}"

    @property
    def is_rounding(self) -> bool:
        return self.reason == self.Reason.ROUNDING


class MicrosoftInvoice(models.Model):
    """One Microsoft invoice whose billed invoice reconciliation (the licence-based and New
    Commerce line items: seats, cycle fees, prorations) was pulled through Microsoft Graph
    (`POST /reports/partners/billing/reconciliation/billed/export`). Operations-wide: one
    invoice of Microsoft's spans the distributor's resellers."""

    class Status(models.TextChoices):
        PULLED = "pulled", "Pulled"
        FAILED = "failed", "Failed"

    invoice_id = models.CharField(max_length=40, unique=True, help_text="e.g. G016907411")
    billing_period_start = models.DateField(null=True, blank=True)
    billing_period_end = models.DateField(null=True, blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PULLED)
    lines = models.PositiveIntegerField(default=0, help_text="Line items kept.")
    unknown_lines = models.PositiveIntegerField(
        default=0, help_text="Line items naming no subscription of the portal."
    )
    error = models.CharField(max_length=300, blank=True)
    progress = models.JSONField(default=dict, blank=True)
    pulled_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-pulled_at"]

    def __str__(self):
        return f"Microsoft invoice {self.invoice_id}"


class MicrosoftCharge(models.Model):
    """One line item of a Microsoft invoice's billed reconciliation that names a subscription
    of the portal: what Microsoft charged the distributor for it (field names in
    billing/reconciliation/services.py, `_charge`)."""

    invoice = models.ForeignKey(MicrosoftInvoice, on_delete=models.CASCADE, related_name="charges")
    reseller = models.ForeignKey(
        Reseller, on_delete=models.PROTECT, related_name="+", db_index=False, db_constraint=False
    )
    customer = models.ForeignKey(
        "customers.Customer", on_delete=models.PROTECT, related_name="+", db_constraint=False
    )
    subscription = models.ForeignKey(
        "subscriptions.Subscription",
        on_delete=models.PROTECT,
        related_name="+",
        db_constraint=False,
    )
    position = models.PositiveIntegerField(help_text="Line of the export (from 1).")
    order_id = models.CharField(max_length=100, blank=True)
    product_id = models.CharField(max_length=64, blank=True)
    sku_id = models.CharField(max_length=64, blank=True)
    availability_id = models.CharField(max_length=64, blank=True)
    sku_name = models.CharField(max_length=200, blank=True)
    charge_type = models.CharField(max_length=100, blank=True)
    term_and_billing_cycle = models.CharField(max_length=100, blank=True)
    charge_start = models.DateField()
    charge_end = models.DateField(null=True, blank=True)
    quantity = models.DecimalField(max_digits=28, decimal_places=10)
    unit_price = models.DecimalField(max_digits=38, decimal_places=22)
    subtotal = models.DecimalField(
        max_digits=28, decimal_places=10, help_text="Amount after discount, before tax."
    )
    currency = models.CharField(max_length=3)

    objects = ScopedManager(reseller="reseller")

    class Meta:
        ordering = ["invoice", "position"]
        constraints = [
            models.UniqueConstraint(
                fields=["reseller", "invoice", "position"],
                name="one_microsoft_charge_per_invoice_line",
            )
        ]
        indexes = [models.Index(fields=["reseller", "charge_start"])]

    def __str__(self):
        return f"{self.invoice_id} line {self.position}: {self.sku_name} × {self.quantity}"
