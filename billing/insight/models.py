"""Watching a customer's Azure spend: anomaly alerts (and their per-reseller thresholds)."""

from decimal import Decimal

from django.core.validators import MinValueValidator
from django.db import models
from django.utils import timezone
from django_scopes import ScopedManager

from billing.insight import anomaly
from portal.models import Reseller

_DEFAULTS = anomaly.Thresholds()


class InsightSettings(models.Model):
    """A reseller's anomaly thresholds (the defaults until it changes them)."""

    reseller = models.OneToOneField(Reseller, on_delete=models.CASCADE,
                                    related_name="insight_settings")
    anomaly_score = models.DecimalField(
        "robust score", max_digits=6, decimal_places=2, default=_DEFAULTS.score,
        validators=[MinValueValidator(Decimal(2))],
        help_text="How many robust standard deviations (1.4826 × MAD) above the baseline.")
    anomaly_min_amount = models.DecimalField(
        "minimum rise", max_digits=12, decimal_places=2, default=_DEFAULTS.min_amount,
        validators=[MinValueValidator(Decimal(0))],
        help_text="A day must cost at least this much more than expected (customer currency).")
    anomaly_min_ratio = models.DecimalField(
        "minimum ratio", max_digits=6, decimal_places=2, default=_DEFAULTS.min_ratio,
        validators=[MinValueValidator(Decimal(1))],
        help_text="… and at least this many times the expected cost.")

    objects = ScopedManager(reseller="reseller")

    def __str__(self):
        return f"Insight settings of {self.reseller}"

    def thresholds(self) -> anomaly.Thresholds:
        return anomaly.Thresholds(score=self.anomaly_score, min_amount=self.anomaly_min_amount,
                                  min_ratio=self.anomaly_min_ratio)


class AnomalyAlert(models.Model):
    """A day whose Azure cost rose far above the customer's baseline; one per customer-day
    and currency."""

    reseller = models.ForeignKey(Reseller, on_delete=models.PROTECT, related_name="+")
    customer = models.ForeignKey("customers.Customer", on_delete=models.CASCADE,
                                 related_name="+")
    day = models.DateField()
    currency = models.CharField(max_length=3)
    amount = models.DecimalField(max_digits=20, decimal_places=2)
    expected = models.DecimalField(max_digits=20, decimal_places=2)
    score = models.DecimalField(max_digits=12, decimal_places=1)
    movers = models.JSONField(default=list, help_text="Meters that moved most: "
                              "[{meter, amount, expected}] as strings, largest rise first.")
    created_at = models.DateTimeField(default=timezone.now)

    objects = ScopedManager(reseller="reseller")

    class Meta:
        ordering = ["-day", "customer__company_name"]
        constraints = [models.UniqueConstraint(fields=["customer", "day", "currency"],
                                               name="one_anomaly_per_customer_day")]
        indexes = [models.Index(fields=["reseller", "day"])]

    def __str__(self):
        return f"{self.customer}: {self.amount} {self.currency} on {self.day}"

    @property
    def top_meter(self) -> str:
        return self.movers[0]["meter"] if self.movers else ""
