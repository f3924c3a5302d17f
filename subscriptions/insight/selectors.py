"""Seat savings of a reseller's subscriptions, from the tenant's licence use where the portal
can read it, from the portal's own seat assignments otherwise."""

from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

from django.core.paginator import Page, Paginator
from django.db import connection
from django.db.models import Count

from portal import frame
from subscriptions.catalog.models import Offer, ProductType
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


def _savable_seats(quantity: int, consumed: int | None, assigned: int, reclaimable: int) -> int:
    """The rules of `savings.savings`: unused seats, by the tenant's consumed units or else the
    portal's assignments, plus the reclaimable licence holders."""
    return max(quantity - (assigned if consumed is None else consumed), 0) + reclaimable


def _tables() -> dict[str, str]:
    return frame.table_names(
        subscription=Subscription,
        offer=Offer,
        product_type=ProductType,
        licence=TenantLicence,
        holder=LicenceHolder,
        assignment=SeatAssignment,
    )


# The reseller's active seat subscriptions with what their savable seats are counted from, in
# one statement (plain SQL: the ORM's three correlated subqueries took longer to compile than
# the statement to run): the tenant's consumed units (None without a licence read), the
# portal's seat assignments and the licence holders disabled, never signed in or inactive
# since the given instant, each counted by a join with the counts grouped per subscription.
_SEAT_COUNTS = (
    "SELECT s.id, s.quantity, l.consumed_units, COALESCE(a.n, 0), COALESCE(h.n, 0), "
    "s.unit_price, s.unit_cost, s.billing_frequency, s.term, s.term_start, s.currency "
    "FROM {subscription} s "
    "INNER JOIN {offer} o ON o.id = s.offer_id "
    "INNER JOIN {product_type} t ON t.id = o.product_type_id "
    "LEFT JOIN {licence} l ON l.subscription_id = s.id AND l.reseller_id = %(reseller)s "
    "LEFT JOIN (SELECT subscription_id, COUNT(*) AS n FROM {assignment} "
    "WHERE reseller_id = %(reseller)s GROUP BY subscription_id) a ON a.subscription_id = s.id "
    "LEFT JOIN (SELECT hl.subscription_id, COUNT(*) AS n FROM {holder} h "
    "INNER JOIN {licence} hl ON hl.id = h.licence_id WHERE h.reseller_id = %(reseller)s "
    "AND (NOT h.enabled OR h.last_sign_in IS NULL OR h.last_sign_in <= %(inactive_since)s) "
    "GROUP BY hl.subscription_id) h ON h.subscription_id = s.id "
    "WHERE s.reseller_id = %(reseller)s AND s.status = %(active)s AND t.billing = %(seats)s"
)
_PRICE_COLUMNS = tuple(Subscription._meta.get_field(name) for name in _PRICE_FIELDS)


def _savable(reseller, *, now: datetime, customer_id: int | None = None) -> list[tuple]:
    """(id, savable seats, prices, currency, portal seat assignments) of the seat
    subscriptions with seats to save (those of `seat_subscriptions`), as plain values read in
    one query (the database counts the seats, `_SEAT_COUNTS`); `prices` is a tuple of
    `savings.Prices`' fields."""
    params = {
        "reseller": reseller.pk,
        "active": Subscription.Status.ACTIVE.value,
        "seats": ProductType.Billing.SEATS.value,
        "inactive_since": connection.ops.adapt_datetimefield_value(
            now - timedelta(days=INACTIVE_DAYS)
        ),
    }
    sql = _SEAT_COUNTS.format(**_tables())
    if customer_id:
        sql += " AND s.customer_id = %(customer)s"
        params["customer"] = customer_id
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    # PostgreSQL returns the fields' own types; SQLite numbers and text, made them here
    convert = connection.vendor != "postgresql"
    out = []
    for pk, quantity, consumed, assigned, reclaimable, *prices, currency in rows:
        n = _savable_seats(quantity, consumed, assigned, reclaimable)
        if n:
            if convert:
                prices = [f.to_python(v) for f, v in zip(_PRICE_COLUMNS, prices, strict=True)]
            out.append((pk, n, tuple(prices), currency, assigned))
    return out


def _money(rows: list[tuple], today) -> dict[tuple, tuple]:
    """The pure rules' money (`savings.seat_money`) of each distinct (seats, prices): computed
    once for all the subscriptions alike."""
    money: dict[tuple, tuple] = {}
    for _, seats, prices, _, _ in rows:
        if (seats, prices) not in money:
            money[seats, prices] = seat_money(seats, Prices(*prices), today=today)
    return money


def _totals_of(rows: list[tuple], money: dict[tuple, tuple]) -> list[dict]:
    """Per currency, the sums over the rows: added once per group of subscriptions alike (n
    times an amount is exactly the sum of n of them)."""
    groups = Counter((currency, seats, prices) for _, seats, prices, currency, _ in rows)
    by_currency: dict[str, dict] = defaultdict(_zero_totals)
    for (currency, seats, prices), n in groups.items():
        t = by_currency[currency]
        t["seats"] += seats * n
        t["subscriptions"] += n
        for key, amount in zip(_MONEY_KEYS, money[seats, prices], strict=True):
            t[key] += amount * n
    return [{"currency": c, **t} for c, t in sorted(by_currency.items())]


def savings_totals(reseller, *, now: datetime, customer_id: int | None = None) -> list[dict]:
    """`totals(savings_rows(reseller, now=now))` for the dashboard's card and the savings
    page, without a model instance per subscription: the same sums of the same rounded
    amounts."""
    rows = _savable(reseller, now=now, customer_id=customer_id)
    return _totals_of(rows, _money(rows, now.date()))


_MONEY_KEYS = ("monthly_price", "monthly_cost", "until_renewal_price", "until_renewal_cost")


def _zero_totals() -> dict:
    return {"seats": 0, "subscriptions": 0, **{key: Decimal(0) for key in _MONEY_KEYS}}


SAVINGS_PER_PAGE = 25  # as the other lists


def savings_page(
    reseller, *, now: datetime, customer_id: int | None = None, page_number=None
) -> tuple[Page, list[dict]]:
    """One page of `savings_rows` (largest monthly saving first, then the oldest) and the
    totals of all rows, from one read of every subscription's savable seats (plain values);
    model instances (customer, offer, scheduled change) are read for the page's rows only,
    whose savings the pure rules compute."""
    rows = _savable(reseller, now=now, customer_id=customer_id)
    money = _money(rows, now.date())
    rows.sort(key=lambda row: (-money[row[1], row[2]][0], row[0]))
    assigned = {row[0]: row[4] for row in rows}
    page = Paginator([row[0] for row in rows], SAVINGS_PER_PAGE).get_page(page_number)
    subs = seat_subscriptions(reseller).in_bulk(page)
    licences = {
        lic.subscription_id: lic
        for lic in TenantLicence.objects.filter(
            reseller=reseller, subscription__in=list(page)
        ).prefetch_related("holders")
    }
    page.object_list = [
        savings_of(
            subs[pk],
            now=now,
            licence=licences.get(pk),
            assigned=assigned[pk],
            loaded=True,
        )
        for pk in page
        if pk in subs  # cancelled in the meantime
    ]
    return page, _totals_of(rows, money)


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
