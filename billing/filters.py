"""Report filters. Choices (customers, subscriptions) only ever list the reseller's own rows;
operations choose the reseller first. The period is the reseller's billing period (country)."""

from datetime import date

import django_filters
from dateutil.relativedelta import relativedelta
from django import forms
from django.forms.utils import flatatt
from django.utils.html import escape
from django.utils.safestring import mark_safe

from billing import reports
from billing.periods import Period, billing_period, periods_between
from customers.models import Customer
from portal.models import Reseller
from subscriptions.models import ProductType, Subscription

PERIODS_BACK = 24  # months of periods offered in the period filter


class FastSelect(forms.Select):
    """A select rendered in one pass: Django renders a template per option, far too slow for
    the hundreds of customers a reseller has."""

    def render(self, name, value, attrs=None, renderer=None):
        final = self.build_attrs(self.attrs, attrs)
        final["name"] = name
        chosen = "" if value is None else str(value)
        parts = []
        for v, label in self.choices:
            v = str(v)
            selected = " selected" if v == chosen else ""
            parts.append(f'<option value="{escape(v)}"{selected}>{escape(label)}</option>')
        return mark_safe(f"<select{flatatt(final)}>{''.join(parts)}</select>")  # noqa: S308


def period_choices(country: str, today: date, overrides) -> list[Period]:
    """The country's periods from two years back to the current one, latest first."""
    start = today - relativedelta(months=PERIODS_BACK)
    return list(reversed(periods_between(country, start, today, overrides=overrides)))


class ReportFilter(django_filters.FilterSet):
    """Base filter of one report. `date_field` is the field the period applies to;
    usage reports show the previous calendar month's usage (billed in arrears)."""

    period = django_filters.ChoiceFilter(label="Billing period", method="filter_period",
                                         empty_label=None, widget=FastSelect)
    customer = django_filters.ModelChoiceFilter(queryset=Customer.objects.none(),
                                                empty_label="All customers", widget=FastSelect)
    product_type = django_filters.ModelChoiceFilter(
        label="Product type", field_name="subscription__offer__product_type",
        queryset=ProductType.objects.none(), empty_label="All product types")
    subscription = django_filters.ModelChoiceFilter(queryset=Subscription.objects.none(),
                                                    empty_label="All subscriptions",
                                                    widget=FastSelect)

    date_field = "charge_date"
    in_arrears = False

    def __init__(self, data, queryset, *, resellers, country: str, product_codes,
                 today: date, overrides, **kwargs):
        self.periods = {p.start.isoformat(): p for p in period_choices(country, today,
                                                                       overrides)}
        current = billing_period(country, today, overrides=overrides).start.isoformat()
        data = data.copy()
        data.setdefault("period", current)
        super().__init__(data, queryset, **kwargs)
        f = self.filters
        f["period"].extra["choices"] = [(k, self._label(p)) for k, p in self.periods.items()]
        f["customer"].queryset = Customer.objects.filter(reseller__in=resellers).order_by(
            "company_name", "pk")
        f["product_type"].queryset = ProductType.objects.filter(code__in=product_codes)
        f["subscription"].queryset = Subscription.objects.filter(
            reseller__in=resellers, offer__product_type__code__in=product_codes).order_by(
            "offer__name", "partner_center_id")

    @property
    def form(self):
        """Options are read as plain values (no model instances); subscriptions are offered
        for the chosen customer only (a reseller may have thousands)."""
        if not hasattr(self, "_form"):
            form = super().form
            customers = self.filters["customer"].queryset
            form.fields["customer"].widget.choices = [("", "All customers")] + list(
                customers.values_list("pk", "company_name"))
            subs = self.filters["subscription"].queryset
            customer, chosen = self.data.get("customer"), self.data.get("subscription")
            if customer and str(customer).isdigit():
                subs = subs.filter(customer_id=customer)
            elif chosen and str(chosen).isdigit():
                subs = subs.filter(pk=chosen)
            else:
                subs = subs.none()
            empty = "All subscriptions" if customer else "All subscriptions (choose a customer " \
                                                        "to pick one)"
            form.fields["subscription"].widget.choices = [("", empty)] + [
                (pk, f"{offer} · {pc_id}") for pk, offer, pc_id in
                subs.values_list("pk", "offer__name", "partner_center_id")]
        return self._form

    def _label(self, period: Period) -> str:
        if self.in_arrears:
            month = reports.usage_month(period)
            return f"{period.label} (usage of {month.start:%B %Y})"
        return period.label

    @property
    def period_value(self) -> Period | None:
        key = self.form.cleaned_data.get("period") if self.form.is_valid() else None
        return self.periods.get(key)

    def filter_period(self, queryset, name, value):
        period = self.periods[value]
        if self.in_arrears:
            period = reports.usage_month(period)
        return queryset.filter(**{f"{self.date_field}__range": (period.start, period.end)})


class UsageFilter(ReportFilter):
    """On `UsageSummary` rows (one per usage month)."""

    meter_category = django_filters.ChoiceFilter(choices=[], empty_label="All meter categories",
                                                 widget=FastSelect)
    date_field = "month"
    in_arrears = True

    def __init__(self, *args, meter_categories=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.filters["meter_category"].extra["choices"] = [(c, c) for c in meter_categories]


class DailyFilter(UsageFilter):
    """On the daily `UsageLine`s."""

    date_field = "usage_date"
    meter = django_filters.CharFilter(field_name="meter_id", label="Meter ID",
                                      widget=forms.HiddenInput)


def with_reseller(filter_class):
    """The same filter with a reseller choice in front (operations pages)."""

    class OpsFilter(filter_class):
        reseller = django_filters.ModelChoiceFilter(queryset=Reseller.objects.order_by("name"),
                                                    empty_label="All resellers")

    OpsFilter.__name__ = f"Ops{filter_class.__name__}"
    # reseller first in the form
    OpsFilter.base_filters = {"reseller": OpsFilter.base_filters["reseller"],
                              **{k: v for k, v in OpsFilter.base_filters.items()
                                 if k != "reseller"}}
    return OpsFilter
