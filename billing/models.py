from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models

from billing.periods import FIXED_START_DAYS, MAX_START_DAY, MIN_START_DAY
from portal.models import Country


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
