from datetime import date, timedelta
from decimal import Decimal

from django.db.models import Count, IntegerField, OuterRef, Prefetch, Subquery, Sum
from django.db.models.functions import Coalesce
from django.shortcuts import get_object_or_404
from django_scopes import scopes_disabled

from customers.models import Customer
from customers.selectors import Missing, order_readiness
from portal.permissions import require
from portal.roles import role_can
from programs.defaults import BASE as BASE_PROGRAM
from programs.gates import ProgramRequired, programs_for_product, require_programs
from subscriptions import proration, rules
from subscriptions.catalog.models import Offer, OfferPrice, PriceBook, PriceRule, ProductType
from subscriptions.catalog.pricing import PricingError, Resolved, Rule, cycle_price, resolve_price
from subscriptions.models import ChargeEvent, ScheduledChange, SeatAssignment, Subscription


def catalog_offers():
    """Every active offer with its product type and all its prices (3 queries)."""
    return (
        Offer.objects.filter(is_active=True)
        .select_related("product_type", "cap_group")
        .prefetch_related(
            Prefetch(
                "prices",
                queryset=OfferPrice.objects.order_by("term", "currency", "-effective_from"),
            )
        )
    )


def product_types():
    return ProductType.objects.all()


def cost_on(offer: Offer, term: str, currency: str, on: date) -> OfferPrice | None:
    """The offer's price row in force on `on` (uses prefetched prices when present)."""
    rows = [
        p
        for p in offer.prices.all()
        if p.term == term and p.currency == currency and p.effective_from <= on
    ]
    return max(rows, key=lambda p: p.effective_from, default=None)


def require_price_access(member) -> None:
    """Price books are read by those who edit them or may see money (cost is in them)."""
    if not (
        role_can(member.role, "pricebooks.edit") or role_can(member.role, "billing.view_money")
    ):
        require(member, "pricebooks.edit")


def price_books_of(reseller):
    return PriceBook.objects.filter(reseller=reseller).select_related("customer")


def price_book_get(*, member, price_book_id: int) -> PriceBook:
    return get_object_or_404(price_books_of(member.reseller), pk=price_book_id)


def price_rule_get(*, member, price_rule_id: int) -> PriceRule:
    return get_object_or_404(
        PriceRule.objects.filter(reseller=member.reseller).select_related("book"), pk=price_rule_id
    )


def rules_of(book: PriceBook | None) -> list[Rule]:
    if book is None:
        return []
    return [
        _as_rule(r)
        for r in PriceRule.objects.filter(book=book).select_related("offer", "product_type")
    ]


def _as_rule(r: PriceRule) -> Rule:
    return Rule(
        kind=r.kind,
        effective_from=r.effective_from,
        offer_id=r.offer_id,
        product_type_id=r.product_type_id,
        percent=r.percent,
        term=r.term,
        fixed_price=r.fixed_price,
        currency=r.currency,
        label=str(r),
        id=r.pk,
    )


def default_book(reseller) -> PriceBook | None:
    return PriceBook.objects.filter(reseller=reseller, customer__isnull=True).first()


def books_for_customer(customer: Customer) -> tuple[list[Rule], list[Rule]]:
    """(customer-book rules, default-book rules) for the resolver: two small queries."""
    customer_book = PriceBook.objects.filter(customer=customer).first()
    return rules_of(customer_book), rules_of(default_book(customer.reseller))


def customer_cycle_price(
    *,
    customer: Customer,
    offer: Offer,
    term: str,
    frequency: str,
    on: date,
    rules=None,
    currency: str | None = None,
) -> Resolved | None:
    """Cost and customer price of one billing cycle of one unit, in `currency` (default the
    customer's); None when the offer has no price in that currency on that date."""
    row = cost_on(offer, term, currency or customer.currency, on)
    if row is None:
        return None
    customer_rules, default_rules = rules if rules is not None else books_for_customer(customer)
    unit = resolve_price(
        cost=row.cost,
        currency=row.currency,
        offer_id=offer.pk,
        product_type_id=offer.product_type_id,
        term=term,
        on=on,
        customer_rules=customer_rules,
        default_rules=default_rules,
    )
    return Resolved(
        price=cycle_price(unit.price, term, frequency),
        cost=cycle_price(unit.cost, term, frequency),
        currency=unit.currency,
        source=unit.source,
    )


def price_preview(*, book: PriceBook, currency: str, on: date) -> list[dict]:
    """Every sellable offer and term priced by this book (with the default book behind a
    customer book): cost, price and margin per base period. Constant query count."""
    is_customer_book = book.customer_id is not None
    own = rules_of(book)
    fallback = rules_of(default_book(book.reseller)) if is_customer_book else []
    customer_rules, default_rules = (own, fallback) if is_customer_book else ([], own)
    rows = []
    offers = (
        catalog_offers()
        .filter(product_type__status=ProductType.Status.SELLABLE)
        .exclude(product_type__billing=ProductType.Billing.USAGE)
    )
    for offer in offers:
        for term in offer.term_list:
            price_row = cost_on(offer, term, currency, on)
            if price_row is None:
                continue
            try:
                resolved = resolve_price(
                    cost=price_row.cost,
                    currency=currency,
                    offer_id=offer.pk,
                    product_type_id=offer.product_type_id,
                    term=term,
                    on=on,
                    customer_rules=customer_rules,
                    default_rules=default_rules,
                )
            except PricingError as exc:
                rows.append({"offer": offer, "term": term, "error": str(exc)})
            else:
                rows.append({"offer": offer, "term": term, "resolved": resolved})
    return rows


# Subscriptions


def subscriptions_of(reseller):
    """The reseller's subscriptions with what list pages show, in one query. The assigned
    seats are counted per row shown (a subquery), not grouped over every subscription before a
    page is cut: a page of 50 of 10,000 subscriptions costs 50 counts."""
    assigned = (
        SeatAssignment.objects.filter(subscription=OuterRef("pk"))
        .order_by()
        .values("subscription")
        .annotate(n=Count("pk"))
        .values("n")
    )
    return (
        Subscription.objects.filter(reseller=reseller)
        .select_related("customer", "offer__product_type")
        .annotate(assigned=Coalesce(Subquery(assigned, output_field=IntegerField()), 0))
    )


def subscription_get(*, member, subscription_id: int) -> Subscription:
    return get_object_or_404(
        subscriptions_of(member.reseller).select_related("offer__cap_group", "created_by"),
        pk=subscription_id,
    )


def assignment_get(*, member, assignment_id: int) -> SeatAssignment:
    return get_object_or_404(
        SeatAssignment.objects.filter(reseller=member.reseller).select_related("subscription"),
        pk=assignment_id,
    )


def scheduled_change_of(subscription: Subscription) -> ScheduledChange | None:
    """What is to happen to the subscription at renewal (or from a later cycle), if anything."""
    return ScheduledChange.objects.filter(subscription=subscription).first()


def renewals_within(reseller, *, days: int, today: date):
    """Active subscriptions renewing (or ending) within `days` days, soonest first."""
    return (
        subscriptions_of(reseller)
        .filter(
            status=Subscription.Status.ACTIVE,
            term_end__gte=today - timedelta(days=1),
            term_end__lt=today + timedelta(days=days),
        )
        .order_by("term_end", "customer__company_name")
    )


def window_state(sub: Subscription, now) -> dict:
    """Whether the 168-hour cancellation window is open and when it closes."""
    closes = rules.window_closes_at(sub.window_opened_at)
    return {
        "open": sub.is_active and rules.window_open(sub.window_opened_at, now),
        "closes_at": closes,
        "left": closes - now,
    }


def cancel_credit(sub: Subscription, now) -> dict | None:
    """What cancelling at `now` credits, as `subscription_cancel` writes it in the ledger:
    {"price", "cost", "currency", "full"} (positive amounts; `full`: the whole cycle is
    refunded, within 24 hours of the purchase or renewal), or None for usage-billed products
    (usage is billed as it comes)."""
    billing, today = sub.offer.product_type.billing, now.date()
    if billing == ProductType.Billing.ONE_TIME:
        price, cost = sub.unit_price * sub.quantity, sub.unit_cost * sub.quantity
        return {
            "price": proration.round_money(price, sub.currency),
            "cost": proration.round_money(cost, sub.currency),
            "currency": sub.currency,
            "full": True,
        }
    if billing != ProductType.Billing.SEATS:
        return None
    start, end = rules.cycle_containing(sub.term_start, sub.billing_frequency, today)
    if rules.full_refund(window_opened_at=sub.window_opened_at, now=now):
        charged = ChargeEvent.objects.filter(subscription=sub, cycle_start=start).aggregate(
            cost=Sum("cost_amount"), price=Sum("price_amount")
        )
        return {
            "price": charged["price"] or Decimal(0),
            "cost": charged["cost"] or Decimal(0),
            "currency": sub.currency,
            "full": True,
        }
    common = {
        "quantity": sub.quantity,
        "event_date": today,
        "cycle_start": start,
        "cycle_end": end,
        "currency": sub.currency,
    }
    return {
        "price": proration.prorate(cycle_price=sub.unit_price, **common),
        "cost": proration.prorate(cycle_price=sub.unit_cost, **common),
        "currency": sub.currency,
        "full": False,
    }


def seat_summary(customer) -> dict:
    """Seats, assigned users and unused seats of a customer's active seat subscriptions."""
    subs = list(
        subscriptions_of(customer.reseller).filter(
            customer=customer,
            status=Subscription.Status.ACTIVE,
            offer__product_type__billing=ProductType.Billing.SEATS,
        )
    )
    seats = sum(s.quantity for s in subs)
    assigned = sum(s.assigned for s in subs)
    return {"seats": seats, "assigned": assigned, "unused": seats - assigned}


def ops_unprovisioned():
    """Operations: orders that failed, are being retried, or still wait (all resellers)."""
    with scopes_disabled():
        return list(
            Subscription.objects.exclude(provisioning=Subscription.Provisioning.PROVISIONED)
            .select_related("reseller", "customer", "offer", "created_by")
            .order_by("-purchased_at")[:200]
        )


def purchase_missing(reseller, customer: Customer, offer: Offer | None = None) -> list[Missing]:
    """What is still missing before the reseller can order for `customer` (and `offer`): its
    programs approved, then what the customer lacks (customers.selectors.order_readiness)."""
    from django.urls import reverse

    missing: list[Missing] = []
    codes = programs_for_product(offer.product_type.code) if offer else (BASE_PROGRAM,)
    try:
        require_programs(reseller, codes, action="order")
    except ProgramRequired as exc:
        missing.append(Missing(str(exc), reverse("programs:list"), "Request it"))
    return missing + order_readiness(customer)
