from datetime import date

from billing.models import BillingCalendar
from billing.periods import Period, billing_period


def calendar_overrides() -> dict[str, int]:
    """Country code → period start day, as operations set it in the admin (one query)."""
    return dict(BillingCalendar.objects.values_list("country", "period_start_day"))


def reseller_period(reseller, on_date: date, *, overrides: dict[str, int] | None = None) -> Period:
    """The billing period of `reseller` (by its country) containing `on_date`. US and CA are
    fixed; other countries use the admin's BillingCalendar (pass `overrides` from
    `calendar_overrides()` to avoid a query per reseller in loops)."""
    if overrides is None:
        overrides = calendar_overrides()
    return billing_period(reseller.country, on_date, overrides=overrides)
