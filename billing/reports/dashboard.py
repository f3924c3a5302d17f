"""The dashboard's billing widget: the period's money (revenue, cost, margin, top customers) and
the Azure trend, filtered by period, customer name and product type. Reads only, always within
one reseller, a constant number of queries whatever the data size."""

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import timedelta
from decimal import Decimal

from django.core.cache import cache
from django.db.models import Count, Max, Sum
from django.utils import timezone

from billing import ledger
from billing.models import BillingLine
from billing.periods import Period, periods_between
from billing.selectors import (
    calendar_overrides_for,
    finalized_runs,
    last_finalized_of,
    ledger_inputs,
    reseller_period,
)
from billing.usage.models import UsageImport, UsageLine
from customers.models import Customer
from portal.frame import Widget
from portal.roles import role_can
from subscriptions.catalog.models import ProductType

TREND_DAYS = 30


@dataclass
class Money:
    """Cost (what the reseller owes), price (what its customers are charged) of one currency."""

    currency: str
    cost: Decimal = Decimal(0)
    price: Decimal = Decimal(0)
    previous_price: Decimal | None = None

    @property
    def margin(self) -> Decimal:
        return self.price - self.cost

    @property
    def margin_percent(self) -> Decimal | None:
        return (self.margin / self.price * 100).quantize(Decimal("0.1")) if self.price else None

    @property
    def change_percent(self) -> Decimal | None:
        if not self.previous_price:
            return None
        return ((self.price - self.previous_price) / abs(self.previous_price) * 100).quantize(
            Decimal("0.1")
        )


@dataclass
class Figures:
    period: Period
    money: list[Money] = field(default_factory=list)
    top_customers: list[dict] = field(default_factory=list)


def period_choices(reseller, *, count: int = 12) -> list[Period]:
    """The current billing period and the ones before it, newest first."""
    overrides = calendar_overrides_for(reseller.country)
    current = reseller_period(reseller, timezone.now().date(), overrides=overrides)
    start = current.start - timedelta(days=31 * count)
    return list(
        reversed(periods_between(reseller.country, start, current.end, overrides=overrides))
    )[:count]


def _period_lines(
    reseller, period: Period, *, runs: list[tuple], customer_ids=None, product_type=None
):
    """The period's ledger lines, optionally filtered: a `finalized` period's as its run billed
    them (a charge that arrived later is the next period's adjustment, a price book changed
    since applies from the next period); any other period's as billing computes them now
    (charges dated in the period and late ones, Azure usage of the previous period priced by
    the price books). `runs`: `finalized_runs(reseller, through=period)` or later."""
    if any(start == period.start for start, _, _ in runs):
        rows = BillingLine.objects.filter(
            run__reseller=reseller, run__period_start=period.start
        ).values_list(*ledger.Line._fields)
        lines = [ledger.Line(*row) for row in rows]
    else:
        charges, usage = ledger_inputs(
            reseller, period, last_finalized=last_finalized_of(reseller, period, runs)
        )
        lines = ledger.compute_lines(charges, usage)
    if customer_ids is not None:
        lines = [line for line in lines if line.customer_id in customer_ids]
    if product_type:
        lines = [line for line in lines if line.product_type == product_type]
    return lines


def figures(reseller, period: Period, *, customer_ids=None, product_type=None) -> Figures:
    """`customer_ids`: only these customers (None: all)."""
    # one query says which of the two periods are finalized and, for one that is not, which
    # run was finalized last before it (its late charges are that period's adjustments)
    runs = finalized_runs(reseller, through=period)
    lines, previous = (
        _period_lines(
            reseller,
            p,
            runs=runs,
            customer_ids=customer_ids,
            product_type=product_type,
        )
        for p in (period, period.previous())
    )
    money: dict[str, Money] = {}
    for line in lines:
        m = money.setdefault(line.currency, Money(line.currency))
        m.cost += line.cost_amount
        m.price += line.price_amount
    for line in previous:
        m = money.setdefault(line.currency, Money(line.currency))
        m.previous_price = (m.previous_price or Decimal(0)) + line.price_amount
    by_customer: dict[tuple, Money] = defaultdict(lambda: Money(""))
    for line in lines:
        m = by_customer[line.customer_id, line.currency]
        m.currency = line.currency
        m.cost += line.cost_amount
        m.price += line.price_amount
    top = sorted(by_customer.items(), key=lambda item: item[1].price, reverse=True)[:5]
    names = dict(
        Customer.objects.filter(pk__in=[cid for (cid, _), _ in top]).values_list(
            "pk", "company_name"
        )
    )
    return Figures(
        period=period,
        money=sorted(money.values(), key=lambda m: m.currency),
        top_customers=[{"id": cid, "name": names.get(cid, ""), "money": m} for (cid, _), m in top],
    )


# the whole reseller's trend is kept this long at most (its key changes with every import)
TREND_CACHE_SECONDS = 600


def azure_trend(reseller, *, customer_ids=None, days: int = TREND_DAYS) -> dict:
    """Daily Azure plan consumption (cost, per currency) of the last `days` days with usage.
    The whole reseller's (the dashboard as it opens) is cached under a key that changes with
    every usage import of the reseller (their number, last id and last finish: usage lines
    are written only by imports, in the transaction that finishes them), so it reads some
    50,000 daily lines once per import rather than at every visit; a customer search reads
    them."""
    if customer_ids is not None:
        return _azure_trend(reseller, customer_ids=customer_ids, days=days)
    version = UsageImport.objects.filter(reseller=reseller).aggregate(
        n=Count("pk"), last=Max("pk"), finished=Max("finished_at")
    )
    key = "dashboard-trend:{}:{}:{n}:{last}:{finished}".format(
        reseller.pk,
        days,
        n=version["n"],
        last=version["last"],
        finished=version["finished"].isoformat() if version["finished"] else "",
    )
    trend = cache.get(key)
    if trend is None:
        trend = _azure_trend(reseller, customer_ids=None, days=days)
        cache.set(key, trend, TREND_CACHE_SECONDS)
    return trend


def _azure_trend(reseller, *, customer_ids, days: int) -> dict:
    lines = UsageLine.objects.filter(reseller=reseller, is_marketplace=False)
    if customer_ids is not None:
        lines = lines.filter(customer_id__in=customer_ids)
    last = lines.order_by("-usage_date").values_list("usage_date", flat=True).first()
    if last is None:
        return {"labels": [], "series": []}
    first = last - timedelta(days=days - 1)
    rows = (
        lines.filter(usage_date__range=(first, last))
        .values("usage_date", "currency")
        .annotate(cost=Sum("billing_pre_tax_total"))
        .order_by("usage_date")
    )
    labels = [(first + timedelta(days=n)).isoformat() for n in range(days)]
    series: dict[str, list[float]] = {}
    for row in rows:
        values = series.setdefault(row["currency"], [0.0] * days)
        # Chart.js wants numbers; amounts are shown rounded to cents
        values[(row["usage_date"] - first).days] = float(round(row["cost"], 2))
    return {
        "labels": labels,
        "series": [{"currency": c, "values": v} for c, v in sorted(series.items())],
    }


FILTERS = ("period", "customer", "product_type")


def dashboard_widgets(request) -> list[Widget]:
    """The figures widget (its filters in the address bar; htmx swaps `#figures`). As the
    dashboard opens (no filter chosen) its figures load once the page shows, by their own
    request (`views.dashboard_figures`): the two periods' ledger is the page's costliest read
    and the rest of the page need not wait for it; without JavaScript a link shows them in the
    page."""
    context = _filters(request)
    deferred = not request.htmx and not any(name in request.GET for name in FILTERS)
    if not deferred:
        context.update(_figures(request, context))
    return [
        Widget(
            "billing/reports/_dashboard.html",
            {**context, "deferred": deferred},
            section="figures",
            partial="billing/reports/_dashboard_figures.html",
        )
    ]


def figures_context(request) -> dict:
    """The context of `_dashboard_figures.html` for the request's filters (the deferred
    figures of the dashboard as it opens): the filters without the product types to choose
    from (the form is the page's)."""
    context = _filters(request, choices=False)
    context.update(_figures(request, context))
    return context


def _filters(request, *, choices: bool = True) -> dict:
    """The chosen period, customer search and product type; with `choices`, the product types
    the form offers (without, a chosen one is checked by itself)."""
    reseller = request.membership.reseller
    periods = period_choices(reseller)
    period = next(
        (p for p in periods if p.start.isoformat() == request.GET.get("period")), periods[0]
    )
    sellable = ProductType.objects.filter(status=ProductType.Status.SELLABLE)
    wanted = request.GET.get("product_type")
    if choices:
        product_types = list(sellable.values_list("name", flat=True))
        product_type = wanted if wanted in product_types else None
    else:
        product_types = []
        product_type = wanted if wanted and sellable.filter(name=wanted).exists() else None
    return {
        "periods": periods,
        "period": period,
        "customer_q": request.GET.get("customer", "").strip(),
        "product_types": product_types,
        "product_type": product_type,
        "show_money": role_can(request.membership.role, "billing.view_money"),
    }


def _figures(request, filters: dict) -> dict:
    reseller = request.membership.reseller
    customer_q = filters["customer_q"]
    # a reseller may have thousands of customers: the filter is a name search, not a list
    customer_ids = (
        set(
            Customer.objects.filter(
                reseller=reseller, company_name__icontains=customer_q
            ).values_list("pk", flat=True)[:500]
        )
        if customer_q
        else None
    )
    return {
        "figures": figures(
            reseller,
            filters["period"],
            customer_ids=customer_ids,
            product_type=filters["product_type"],
        ),
        "trend": azure_trend(reseller, customer_ids=customer_ids),
    }
