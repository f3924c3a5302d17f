"""Watching a customer's Azure spend: anomaly alerts (and their per-reseller thresholds)."""

from decimal import Decimal

from django.core.validators import MinValueValidator
from django.db import models
from django.utils import timezone
from django_scopes import ScopedManager

from billing.insight import anomaly
from portal.models import Reseller
from portal.numbers import money

_DEFAULTS = anomaly.Thresholds()


class InsightSettings(models.Model):
    """A reseller's anomaly thresholds (the defaults until it changes them)."""

    reseller = models.OneToOneField(
        Reseller, on_delete=models.CASCADE, related_name="insight_settings"
    )
    anomaly_score = models.DecimalField(
        "robust score",
        max_digits=6,
        decimal_places=2,
        default=_DEFAULTS.score,
        validators=[MinValueValidator(Decimal(2))],
        help_text="How many robust standard deviations (1.4826 × MAD) above the baseline.",
    )
    anomaly_min_amount = models.DecimalField(
        "minimum rise",
        max_digits=12,
        decimal_places=2,
        default=_DEFAULTS.min_amount,
        validators=[MinValueValidator(Decimal(0))],
        help_text="A day must cost at least this much more than expected (customer currency).",
    )
    anomaly_min_ratio = models.DecimalField(
        "minimum ratio",
        max_digits=6,
        decimal_places=2,
        default=_DEFAULTS.min_ratio,
        validators=[MinValueValidator(Decimal(1))],
        help_text="… and at least this many times the expected cost.",
    )

    objects = ScopedManager(reseller="reseller")

    def __str__(self):
        return f"Insight settings of {self.reseller}"

    def thresholds(self) -> anomaly.Thresholds:
        return anomaly.Thresholds(
            score=self.anomaly_score,
            min_amount=self.anomaly_min_amount,
            min_ratio=self.anomaly_min_ratio,
        )


class AnomalyAlert(models.Model):
    """A day whose Azure cost rose far above the customer's baseline; one per customer-day
    and currency."""

    reseller = models.ForeignKey(Reseller, on_delete=models.PROTECT, related_name="+")
    customer = models.ForeignKey("customers.Customer", on_delete=models.CASCADE, related_name="+")
    day = models.DateField()
    currency = models.CharField(max_length=3)
    amount = models.DecimalField(max_digits=20, decimal_places=2)
    expected = models.DecimalField(max_digits=20, decimal_places=2)
    score = models.DecimalField(max_digits=12, decimal_places=1)
    movers = models.JSONField(
        default=list,
        help_text="Meters that moved most: "
        "[{meter, amount, expected}] as strings, largest rise first.",
    )
    created_at = models.DateTimeField(default=timezone.now)

    objects = ScopedManager(reseller="reseller")

    class Meta:
        ordering = ["-day", "customer__company_name"]
        constraints = [
            models.UniqueConstraint(
                fields=["reseller", "customer", "day", "currency"],
                name="one_anomaly_per_customer_day",
            )
        ]
        indexes = [models.Index(fields=["reseller", "day"])]

    def __str__(self):
        return f"{self.customer}: {money(self.amount, self.currency)} on {self.day}"

    @property
    def top_meter(self) -> str:
        return self.movers[0]["meter"] if self.movers else ""


class Budget(models.Model):
    """A monthly Azure budget of a customer (all its Azure usage) or of one of its Azure plan
    subscriptions, in the customer's currency. A customer's own budget is kept in step with
    Partner Center's usage spending budget where the gateway offers it."""

    reseller = models.ForeignKey(Reseller, on_delete=models.PROTECT, related_name="+")
    customer = models.ForeignKey("customers.Customer", on_delete=models.CASCADE, related_name="+")
    subscription = models.ForeignKey(
        "subscriptions.Subscription",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
    )
    amount = models.DecimalField(
        max_digits=20, decimal_places=2, validators=[MinValueValidator(Decimal("0.01"))]
    )
    currency = models.CharField(max_length=3)
    synced_at = models.DateTimeField(
        null=True, blank=True, help_text="When Partner Center last confirmed the amount."
    )
    updated_at = models.DateTimeField(default=timezone.now)

    objects = ScopedManager(reseller="reseller")

    class Meta:
        ordering = ["customer__company_name", "subscription_id"]
        constraints = [
            models.UniqueConstraint(
                fields=["reseller", "customer"],
                condition=models.Q(subscription=None),
                name="one_budget_per_customer",
            ),
            models.UniqueConstraint(
                fields=["reseller", "subscription"], name="one_budget_per_subscription"
            ),
        ]

    def __str__(self):
        scope = f"subscription {self.subscription_id}" if self.subscription_id else "all Azure"
        return f"{self.customer}: {money(self.amount, self.currency)} a month ({scope})"


class BudgetAlert(models.Model):
    """One alert of a budget in one month: 80 %, 100 % or forecast above; each once."""

    class Kind(models.TextChoices):
        EIGHTY = "80", "80 % of the budget reached"
        FULL = "100", "Budget reached"
        FORECAST = "forecast", "Forecast above the budget"

    reseller = models.ForeignKey(Reseller, on_delete=models.PROTECT, related_name="+")
    budget = models.ForeignKey(Budget, on_delete=models.CASCADE, related_name="alerts")
    month = models.DateField(help_text="First day of the month.")
    kind = models.CharField(max_length=8, choices=Kind.choices)
    spent = models.DecimalField(max_digits=20, decimal_places=2)
    forecast = models.DecimalField(max_digits=20, decimal_places=2)
    created_at = models.DateTimeField(default=timezone.now)

    objects = ScopedManager(reseller="reseller")

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["reseller", "budget", "month", "kind"],
                name="one_budget_alert_per_kind_month",
            )
        ]

    def __str__(self):
        return f"{self.budget.customer} {self.month:%Y-%m}: {self.get_kind_display()}"
