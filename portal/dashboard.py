"""What the dashboard shows: the period's money and what needs attention. Reads only, always
within one reseller, a constant number of queries whatever the data size."""

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import timedelta
from decimal import Decimal

from django.db.models import Sum
from django.utils import timezone

from billing import ledger
from billing.models import UsageLine
from billing.periods import Period, periods_between
from billing.selectors import calendar_overrides, ledger_inputs, reseller_period
from customers.models import Customer, McaStatus
from programs.models import ProgramRequest
from subscriptions import rules
from subscriptions.models import ProductType, Subscription
from support.models import Ticket

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
            Decimal("0.1"))


@dataclass
class Figures:
    period: Period
    money: list[Money] = field(default_factory=list)
    top_customers: list[dict] = field(default_factory=list)


def period_choices(reseller, *, count: int = 12) -> list[Period]:
    """The current billing period and the ones before it, newest first."""
    overrides = calendar_overrides()
    current = reseller_period(reseller, timezone.now().date(), overrides=overrides)
    start = current.start - timedelta(days=31 * count)
    return list(reversed(periods_between(reseller.country, start, current.end,
                                         overrides=overrides)))[:count]


def _period_lines(reseller, period: Period, *, customer_ids=None, product_type=None):
    """The period's ledger lines as billing computes them (charges dated in the period, Azure
    usage of the previous month priced by the price books), optionally filtered."""
    charges, usage = ledger_inputs(reseller, period)
    lines = ledger.compute_lines(charges, usage)
    if customer_ids is not None:
        lines = [line for line in lines if line.customer_id in customer_ids]
    if product_type:
        lines = [line for line in lines if line.product_type == product_type]
    return lines


def figures(reseller, period: Period, *, customer_ids=None, product_type=None) -> Figures:
    """`customer_ids`: only these customers (None: all)."""
    lines = _period_lines(reseller, period, customer_ids=customer_ids, product_type=product_type)
    previous = _period_lines(reseller, period.previous(), customer_ids=customer_ids,
                             product_type=product_type)
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
    names = dict(Customer.objects.filter(pk__in=[cid for (cid, _), _ in top])
                 .values_list("pk", "company_name"))
    return Figures(period=period, money=sorted(money.values(), key=lambda m: m.currency),
                   top_customers=[{"id": cid, "name": names.get(cid, ""), "money": m}
                                  for (cid, _), m in top])


def azure_trend(reseller, *, customer_ids=None, days: int = TREND_DAYS) -> dict:
    """Daily Azure plan consumption (cost, per currency) of the last `days` days with usage."""
    lines = UsageLine.objects.filter(reseller=reseller, is_marketplace=False)
    if customer_ids is not None:
        lines = lines.filter(customer_id__in=customer_ids)
    last = lines.order_by("-usage_date").values_list("usage_date", flat=True).first()
    if last is None:
        return {"labels": [], "series": []}
    first = last - timedelta(days=days - 1)
    rows = (lines.filter(usage_date__range=(first, last))
            .values("usage_date", "currency").annotate(cost=Sum("billing_pre_tax_total"))
            .order_by("usage_date"))
    labels = [(first + timedelta(days=n)).isoformat() for n in range(days)]
    series: dict[str, list[float]] = {}
    for row in rows:
        values = series.setdefault(row["currency"], [0.0] * days)
        # Chart.js wants numbers; amounts are shown rounded to cents
        values[(row["usage_date"] - first).days] = float(round(row["cost"], 2))
    return {"labels": labels, "series": [{"currency": c, "values": v}
                                         for c, v in sorted(series.items())]}


def attention(reseller) -> dict:
    """The lists of things to act on, each at most 5 rows with its total count."""
    now = timezone.now()
    today = now.date()
    active = (Subscription.objects.filter(reseller=reseller, status=Subscription.Status.ACTIVE)
              .select_related("customer", "offer"))
    # open windows that close within 48 hours: opened between 168h and 120h ago
    closing = active.filter(offer__product_type__billing=ProductType.Billing.SEATS,
                            window_opened_at__gt=now - rules.WINDOW,
                            window_opened_at__lte=now - rules.WINDOW + timedelta(hours=48))
    renewals = active.filter(term_end__gte=today - timedelta(days=1),
                             term_end__lt=today + timedelta(days=30)).exclude(
        offer__product_type__billing=ProductType.Billing.ONE_TIME)
    mca = Customer.objects.filter(reseller=reseller, mca_status=McaStatus.SENT)
    programs = ProgramRequest.objects.filter(reseller=reseller,
                                             state=ProgramRequest.State.PENDING)
    tickets = Ticket.objects.filter(reseller=reseller).exclude(
        status__in=[Ticket.Status.RESOLVED, Ticket.Status.CLOSED])
    windows = [{"sub": s, "closes_at": rules.window_closes_at(s.window_opened_at)}
               for s in closing.order_by("window_opened_at")[:5]]
    return {
        "windows": windows, "windows_count": closing.count(),
        "renewals": list(renewals.order_by("term_end")[:5]), "renewals_count": renewals.count(),
        "mca": list(mca.order_by("company_name")[:5]), "mca_count": mca.count(),
        "programs": list(programs.select_related("program")[:5]),
        "programs_count": programs.count(),
        "tickets": list(tickets.order_by("-updated_at")[:5]), "tickets_count": tickets.count(),
    }
