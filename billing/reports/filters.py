"""Report filters. Customer search and subscription choices only ever match the reseller's own
rows; operations choose the reseller first. The period is the reseller's billing period
(country)."""

from datetime import date
from functools import cached_property

import django_filters
from dateutil.relativedelta import relativedelta
from django import forms
from django.utils.choices import BaseChoiceIterator

from billing.periods import Period, billing_period, periods_between, usage_month
from customers.models import Customer
from portal.models import Reseller
from portal.widgets import FastSelect
from subscriptions.catalog.models import ProductType
from subscriptions.models import Subscription

PERIODS_BACK = 24  # months of periods offered in the period filter
SUBSCRIPTION_CHOICES = 200  # subscriptions listed for a customer search at most


class Lazy(BaseChoiceIterator):
    """Select options computed on first use (when the form is rendered), then kept."""

    def __init__(self, compute):
        self.compute = compute

    @cached_property
    def items(self) -> list:
        return list(self.compute())

    def __iter__(self):
        return iter(self.items)


def period_options(country: str, today: date, overrides) -> tuple[dict[str, Period], str]:
    """The period filter's options from two years back to the current period, latest first,
    by start date (ISO), and the current period's key (the default)."""
    start = today - relativedelta(months=PERIODS_BACK)
    periods = reversed(periods_between(country, start, today, overrides=overrides))
    current = billing_period(country, today, overrides=overrides).start.isoformat()
    return {p.start.isoformat(): p for p in periods}, current


def selected_period(data, periods: dict[str, Period], current: str) -> Period | None:
    """The period the query asks for (the current one when absent), None when unknown."""
    return periods.get(data.get("period", current))


# filters that pick customers' rows (not the period, the meter category or the reseller)
ROW_FILTERS = ("customer_name", "customer", "product_type", "subscription")


class ReportFilter(django_filters.FilterSet):
    """Base filter of one report. `date_field` is the field the period applies to;
    usage reports show the previous calendar month's usage (billed in arrears).

    Customers are found by name (`customer_name`, a search like the dashboard's: a reseller may
    have thousands); `customer` (an id, from links) stays as an exact hidden filter. Both only
    ever match the page's resellers' customers."""

    period = django_filters.ChoiceFilter(
        label="Billing period", method="filter_period", empty_label=None, widget=FastSelect
    )
    customer_name = django_filters.CharFilter(
        label="Customer",
        method="filter_customer_name",
        widget=forms.TextInput(
            attrs={
                "type": "search",
                "autocomplete": "off",
                "placeholder": "All customers (type a name)",
            }
        ),
    )
    customer = django_filters.ModelChoiceFilter(
        queryset=Customer.objects.none(), widget=forms.HiddenInput
    )
    product_type = django_filters.ModelChoiceFilter(
        label="Product type",
        field_name="subscription__offer__product_type",
        queryset=ProductType.objects.none(),
        empty_label="All product types",
        widget=FastSelect,
    )
    subscription = django_filters.ModelChoiceFilter(
        queryset=Subscription.objects.none(), empty_label="All subscriptions", widget=FastSelect
    )

    date_field = "charge_date"
    in_arrears = False

    def __init__(
        self,
        data,
        queryset,
        *,
        reseller_ids,
        periods: dict[str, Period],
        current: str,
        product_types: list[tuple[int, str]],
        form=None,
        **kwargs,
    ):
        self.periods = periods
        data = data.copy()
        data.setdefault("period", current)
        super().__init__(data, queryset, **kwargs)
        if form is not None:  # another report filter's form, bound to the same data
            self._form = form
        f = self.filters
        f["period"].extra["choices"] = [(k, self._label(p)) for k, p in periods.items()]
        self.customers = Customer.objects.filter(reseller_id__in=reseller_ids)
        f["customer"].queryset = self.customers
        self.product_types = product_types
        type_ids = [pk for pk, _ in product_types]
        f["product_type"].queryset = ProductType.objects.filter(pk__in=type_ids)
        f["subscription"].queryset = Subscription.objects.filter(
            reseller_id__in=reseller_ids, offer__product_type_id__in=type_ids
        )

    @property
    def form(self):
        """Select options are read as plain values (no model instances), and only when the form
        is rendered; subscriptions are offered for the customer(s) searched for only."""
        if not hasattr(self, "_form"):
            form = super().form
            form.fields["subscription"].widget.choices = Lazy(self._subscription_choices)
            form.fields["product_type"].widget.choices = [
                ("", "All product types"),
                *self.product_types,
            ]
        return self._form

    def filter_queryset(self, queryset):
        # only this filter's fields: a shared form may hold more (the meter category)
        data = self.form.cleaned_data
        for name, f in self.filters.items():
            queryset = f.filter(queryset, data.get(name))
        return queryset

    def _subscription_choices(self):
        subs = self.filters["subscription"].queryset
        customer, name = self.data.get("customer"), self.data.get("customer_name", "").strip()
        chosen = self.data.get("subscription")
        if customer and str(customer).isdigit():
            subs = subs.filter(customer_id=customer)
        elif name:
            subs = subs.filter(customer__in=self.customers.filter(company_name__icontains=name))
        elif chosen and str(chosen).isdigit():
            subs = subs.filter(pk=chosen)
        else:
            return [("", "All subscriptions (search a customer to pick one)")]
        listed = list(
            subs.order_by("customer__company_name", "offer__name", "partner_center_id").values_list(
                "pk", "customer__company_name", "offer__name", "partner_center_id"
            )[: SUBSCRIPTION_CHOICES + 1]
        )
        empty = "All subscriptions"
        if len(listed) > SUBSCRIPTION_CHOICES:
            listed = listed[:SUBSCRIPTION_CHOICES]
            empty += f" (first {SUBSCRIPTION_CHOICES} listed: narrow the customer search)"
        return [("", empty)] + [
            (pk, f"{customer} · {offer} · {pc_id}") for pk, customer, offer, pc_id in listed
        ]

    def _label(self, period: Period) -> str:
        if self.in_arrears:
            month = usage_month(period)
            return f"{period.label} (usage of {month.start:%B %Y})"
        return period.label

    @property
    def period_value(self) -> Period | None:
        key = self.form.cleaned_data.get("period") if self.form.is_valid() else None
        return self.periods.get(key)

    def filter_period(self, queryset, name, value):
        period = self.periods[value]
        if self.in_arrears:
            period = usage_month(period)
        return queryset.filter(**{f"{self.date_field}__range": (period.start, period.end)})

    def filter_customer_name(self, queryset, name, value):
        """Every row of a customer whose name contains `value` (any case), among the page's
        resellers' customers only — no cap, so the page and its exports hold exactly them."""
        value = value.strip()
        if not value:
            return queryset
        return queryset.filter(customer__in=self.customers.filter(company_name__icontains=value))


class UsageFilter(ReportFilter):
    """On `UsageSummary` rows (one per usage month)."""

    meter_category = django_filters.ChoiceFilter(
        choices=[], empty_label="All meter categories", widget=FastSelect
    )
    date_field = "month"
    in_arrears = True

    def __init__(self, *args, meter_categories=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.filters["meter_category"].extra["choices"] = [(c, c) for c in meter_categories]


class DailyFilter(UsageFilter):
    """On the daily `UsageLine`s."""

    date_field = "usage_date"
    meter = django_filters.CharFilter(
        field_name="meter_id", label="Meter ID", widget=forms.HiddenInput
    )


def with_reseller(filter_class):
    """The same filter with a reseller choice in front (operations pages)."""

    class OpsFilter(filter_class):
        reseller = django_filters.ModelChoiceFilter(
            queryset=Reseller.objects.all(), empty_label="All resellers", widget=FastSelect
        )

        @property
        def form(self):
            new = not hasattr(self, "_form")
            form = super().form
            if new:
                names = Reseller.objects.order_by("name").values_list("pk", "name")
                form.fields["reseller"].widget.choices = Lazy(
                    lambda: [("", "All resellers"), *names]
                )
            return form

    OpsFilter.__name__ = f"Ops{filter_class.__name__}"
    # reseller first in the form
    OpsFilter.base_filters = {
        "reseller": OpsFilter.base_filters["reseller"],
        **{k: v for k, v in OpsFilter.base_filters.items() if k != "reseller"},
    }
    return OpsFilter
