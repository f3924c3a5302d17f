"""Seat savings of a reseller's subscriptions, from the tenant's licence use where the portal
can read it, from the portal's own seat assignments otherwise."""

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

from django.core.paginator import Page, Paginator
from django.db.models import Case, Count, F, OuterRef, Q, Subquery, Value, When
from django.db.models.functions import Coalesce, Greatest, Round

from subscriptions import rules
from subscriptions.catalog.models import ProductType
from subscriptions.insight.models import LicenceHolder, TenantLicence
from subscriptions.insight.savings import (
    INACTIVE_DAYS,
    Holder,
    Prices,
    Savings,
    Seats,
    savings,
    seat_money,
)
from subscriptions.models import SeatAssignment, Subscription


@dataclass
class Row:
    subscription: Subscription
    savings: Savings
    source: str  # "tenant" or "portal"
    detail_url: str = ""  # the page's links (set by the view)
    decrease_url: str = ""

    @property
    def keep(self) -> int:
        """Seats left after the savable ones are removed (the offer's minimum at least)."""
        return max(
            self.subscription.quantity - self.savings.seats,
            self.subscription.offer.min_quantity or 1,
        )


def seat_subscriptions(reseller, *, customer_id: int | None = None):
    subs = Subscription.objects.filter(
        reseller=reseller,
        status=Subscription.Status.ACTIVE,
        offer__product_type__billing=ProductType.Billing.SEATS,
    ).select_related("customer", "offer", "scheduled_change")
    return subs.filter(customer_id=customer_id) if customer_id else subs


def seats_of(
    sub: Subscription, licence: TenantLicence | None, *, assigned: int | None = None
) -> tuple[Seats, str]:
    if licence is None:
        consumed = sub.assignments.count() if assigned is None else assigned
        return Seats(purchased=sub.quantity, consumed=consumed), "portal"
    holders = tuple(
        Holder(h.display_name, h.enabled, h.last_sign_in) for h in licence.holders.all()
    )
    return Seats(purchased=sub.quantity, consumed=licence.consumed_units, holders=holders), "tenant"


def savings_of(
    sub: Subscription,
    *,
    now: datetime,
    licence: TenantLicence | None = None,
    assigned: int | None = None,
    loaded: bool = False,
) -> Row:
    """`loaded`: the licence (or None) and the assignment count are given (batch reads)."""
    if not loaded:
        licence = TenantLicence.objects.filter(subscription=sub).prefetch_related("holders").first()
    seats, source = seats_of(sub, licence, assigned=assigned)
    return Row(
        sub,
        savings(
            seats,
            Prices(
                unit_price=sub.unit_price,
                unit_cost=sub.unit_cost,
                billing_frequency=sub.billing_frequency,
                term=sub.term,
                term_start=sub.term_start,
            ),
            now=now,
        ),
        source,
    )


def savings_rows(
    reseller, *, now: datetime, customer_id: int | None = None, only_savings: bool = True
) -> list[Row]:
    subs = list(
        seat_subscriptions(reseller, customer_id=customer_id).annotate(
            assigned_count=Count("assignments")
        )
    )
    licences = {
        lic.subscription_id: lic
        for lic in TenantLicence.objects.filter(
            reseller=reseller, subscription__in=[s.pk for s in subs]
        ).prefetch_related("holders")
    }
    rows = [
        savings_of(
            sub, now=now, licence=licences.get(sub.pk), assigned=sub.assigned_count, loaded=True
        )
        for sub in subs
    ]
    rows = [r for r in rows if r.savings.seats] if only_savings else rows
    return sorted(rows, key=lambda r: (-r.savings.monthly_price, r.subscription.pk))


# what the savings' money depends on besides the number of savable seats (`savings.Prices`)
_PRICE_FIELDS = ("unit_price", "unit_cost", "billing_frequency", "term", "term_start")


def _with_savable(subs, reseller, *, now: datetime):
    """`subs` with each subscription's portal seat assignments (`assigned_seats`) and savable
    seats (`savable`) counted by the database, by the rules of `savings.savings`: unused
    seats, by the tenant's consumed units or else the portal's assignments, plus the licence
    holders disabled, never signed in or inactive for INACTIVE_DAYS."""
    licence = TenantLicence.objects.filter(reseller=reseller, subscription=OuterRef("pk"))
    assigned = (
        SeatAssignment.objects.filter(reseller=reseller, subscription=OuterRef("pk"))
        .order_by()
        .values("subscription")
        .annotate(n=Count("pk"))
        .values("n")
    )
    inactive_since = now - timedelta(days=INACTIVE_DAYS)
    reclaimable = (
        LicenceHolder.objects.filter(reseller=reseller, licence__subscription=OuterRef("pk"))
        .filter(
            Q(enabled=False) | Q(last_sign_in__isnull=True) | Q(last_sign_in__lte=inactive_since)
        )
        .order_by()
        .values("licence")
        .annotate(n=Count("pk"))
        .values("n")
    )
    consumed = Coalesce(Subquery(licence.values("consumed_units")), F("assigned_seats"))
    return subs.annotate(assigned_seats=Coalesce(Subquery(assigned), 0)).annotate(
        savable=Greatest(F("quantity") - consumed, 0) + Coalesce(Subquery(reclaimable), 0)
    )


def savings_totals(reseller, *, now: datetime, customer_id: int | None = None) -> list[dict]:
    """`totals(savings_rows(reseller, now=now))` for the dashboard's card and the savings
    page. The database counts each subscription's savable seats (`_with_savable`) and groups
    the subscriptions by those seats and what their money depends on; the money of each group
    is computed once by the pure rules (`savings.seat_money`) and counted as many times as the
    group has subscriptions: the same sums of the same rounded amounts, without a Python
    object per subscription."""
    subs = seat_subscriptions(reseller, customer_id=customer_id).select_related(None).order_by()
    groups = (
        _with_savable(subs, reseller, now=now)
        .values("savable", *_PRICE_FIELDS, "currency")
        .annotate(subscriptions=Count("pk"))
    )
    by_currency: dict[str, dict] = defaultdict(_zero_totals)
    today = now.date()
    for g in groups:
        if not g["savable"]:  # (skipped here: a WHERE on it would count them twice)
            continue
        money = seat_money(g["savable"], Prices(*(g[name] for name in _PRICE_FIELDS)), today=today)
        t, n = by_currency[g["currency"]], g["subscriptions"]
        t["seats"] += g["savable"] * n
        t["subscriptions"] += n
        for key, amount in zip(_MONEY_KEYS, money, strict=True):
            t[key] += amount * n
    return [{"currency": c, **t} for c, t in sorted(by_currency.items())]


_MONEY_KEYS = ("monthly_price", "monthly_cost", "until_renewal_price", "until_renewal_cost")


def _zero_totals() -> dict:
    return {"seats": 0, "subscriptions": 0, **{key: Decimal(0) for key in _MONEY_KEYS}}


SAVINGS_PER_PAGE = 25  # as the other lists


def savings_page(
    reseller, *, now: datetime, customer_id: int | None = None, page_number=None
) -> tuple[Page, list[dict]]:
    """One page of `savings_rows` (largest monthly saving first, then the oldest) and the
    totals of all rows. The database counts the savable seats, orders and pages the
    subscriptions by their monthly saving (savable seats × the cycle price ÷ the cycle's
    months, rounded half-up to the cent as `savings.seat_money` rounds it); the savings of
    the page's rows are computed by the pure rules."""
    months = Case(
        *(When(billing_frequency=f, then=Value(m)) for f, m in rules.CYCLE_MONTHS.items()),
        default=Value(1),
    )
    subs = (
        _with_savable(seat_subscriptions(reseller, customer_id=customer_id), reseller, now=now)
        .filter(savable__gt=0)
        .annotate(monthly=Round(F("savable") * F("unit_price") / months, 2))
        .order_by("-monthly", "pk")
    )
    totals = savings_totals(reseller, now=now, customer_id=customer_id)
    paginator = Paginator(subs, SAVINGS_PER_PAGE)
    paginator.count = sum(t["subscriptions"] for t in totals)  # counted by the totals' query
    page = paginator.get_page(page_number)
    licences = {
        lic.subscription_id: lic
        for lic in TenantLicence.objects.filter(
            reseller=reseller, subscription__in=[s.pk for s in page]
        ).prefetch_related("holders")
    }
    page.object_list = [
        savings_of(
            sub, now=now, licence=licences.get(sub.pk), assigned=sub.assigned_seats, loaded=True
        )
        for sub in page
    ]
    return page, totals


def totals(rows: list[Row]) -> list[dict]:
    """Per currency: seats, subscriptions, money per month and until renewal (price and
    cost)."""
    by_currency: dict[str, dict] = defaultdict(_zero_totals)
    for r in rows:
        t = by_currency[r.subscription.currency]
        t["seats"] += r.savings.seats
        t["subscriptions"] += 1
        for key in _MONEY_KEYS:
            t[key] += getattr(r.savings, key)
    return [{"currency": c, **t} for c, t in sorted(by_currency.items())]
