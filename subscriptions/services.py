"""Catalog, price-book and subscription changes. Atomic, permission- and tenant-checked,
audited."""

import logging
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from celery import shared_task
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F, Q, Sum
from django.urls import reverse
from django.utils import timezone
from django_scopes import scope, scopes_disabled

from customers.models import Customer
from customers.services import require_mca_accepted, require_ready_to_order
from partner_center.errors import GatewayError, RateLimited, Unavailable
from partner_center.gateway import get_gateway
from partner_center.types import OrderRequest
from portal.audit import audit
from portal.exceptions import ServiceError
from portal.idempotency import require_valid_key, scoped_key
from portal.models import AuditEvent, Currency, Membership
from portal.notifications import notify
from portal.numbers import money
from portal.permissions import require, require_staff
from portal.roles import Role
from portal.tasking import ResellerTask
from portal.tenancy import member_service, require_same_reseller
from portal.upkeep import each_row
from programs.gates import require_program_for_product
from subscriptions import proration, rules
from subscriptions.catalog.csv_import import parse_catalog
from subscriptions.catalog.models import (
    Offer,
    OfferPrice,
    PriceBook,
    PriceRule,
    ProductType,
    SeatCapGroup,
)
from subscriptions.catalog.pricing import PricingError, check_term_frequency
from subscriptions.catalog.sync import catalog_item_id
from subscriptions.models import (
    ChargeEvent,
    ScheduledChange,
    SeatAssignment,
    SeatBatch,
    Subscription,
)
from subscriptions.selectors import customer_cycle_price
from webhooks.events import emit

logger = logging.getLogger(__name__)


@dataclass
class CatalogImportResult:
    offers_created: int
    offers_updated: int
    prices_created: int
    prices_updated: int


@transaction.atomic
def catalog_import(*, user, data: bytes, filename: str = "") -> CatalogImportResult:
    """Validate the whole file, then upsert offers and prices; a bad file writes nothing."""
    require_staff(user)
    types = {t.code: t for t in ProductType.objects.all()}
    caps = {c.code: c for c in SeatCapGroup.objects.all()}
    parsed = parse_catalog(
        data, product_types=set(types), cap_groups=set(caps), currencies=set(Currency.values)
    )
    if parsed.errors:
        raise ValidationError(parsed.errors)
    existing = {o.sku: o for o in Offer.objects.filter(sku__in=parsed.offers)}
    created = updated = 0
    for sku, row in parsed.offers.items():
        offer = existing.get(sku) or Offer(sku=sku)
        is_new = offer.pk is None
        offer.name = row["name"]
        offer.product_type = types[row["product_type"]]
        offer.terms, offer.billing_frequencies = row["terms"], row["billing_frequencies"]
        offer.min_quantity, offer.max_quantity = row["min_quantity"], row["max_quantity"]
        offer.cap_group = caps.get(row["cap_group"])
        offer.full_clean()
        offer.save()
        existing[sku] = offer
        created += is_new
        updated += not is_new
    prices_created = prices_updated = 0
    for p in parsed.prices:
        _, was_created = OfferPrice.objects.update_or_create(
            offer=existing[p["sku"]],
            term=p["term"],
            currency=p["currency"],
            effective_from=p["effective_from"],
            defaults={"cost": p["cost"]},
        )
        prices_created += was_created
        prices_updated += not was_created
    result = CatalogImportResult(created, updated, prices_created, prices_updated)
    audit(
        actor=user,
        reseller=None,
        action="subscriptions.catalog.imported",
        data={"file": filename, **result.__dict__},
    )
    return result


@member_service
def price_book_create(*, member, customer=None, name: str = "") -> PriceBook:
    require(member, "pricebooks.edit")
    if customer is not None:
        require_same_reseller(member, customer)
        if PriceBook.objects.filter(customer=customer).exists():
            raise ValidationError(f"{customer} already has its own price book.")
    elif PriceBook.objects.filter(reseller=member.reseller, customer__isnull=True).exists():
        raise ValidationError("The default price book exists already.")
    book = PriceBook(
        reseller=member.reseller,
        customer=customer,
        name=name or (f"{customer} prices" if customer else "Default prices"),
    )
    book.full_clean()
    book.save()
    audit(
        actor=member.user,
        reseller=member.reseller,
        action="subscriptions.pricebook.created",
        obj=book,
        data={"customer": str(customer) if customer else None},
    )
    return book


@member_service
def price_rule_add(
    *,
    member,
    book: PriceBook,
    kind: str,
    effective_from: date,
    offer: Offer | None = None,
    product_type: ProductType | None = None,
    term: str = "",
    percent=None,
    fixed_price=None,
    currency: str = "",
) -> PriceRule:
    """Rules are effective-dated and never edited: a new price is a new rule. A rule cannot
    start in the past, so a period already billed keeps its prices."""
    require(member, "pricebooks.edit")
    require_same_reseller(member, book)
    today = timezone.now().date()
    if effective_from < today:
        raise ValidationError(f"A price change cannot start in the past; choose {today} or later.")
    if kind == PriceRule.Kind.FIXED:
        currency = _fixed_price_currency(book, offer, term, currency or "")
    rule = PriceRule(
        reseller=member.reseller,
        book=book,
        kind=kind,
        offer=offer,
        product_type=product_type,
        term=term,
        percent=percent,
        fixed_price=fixed_price,
        currency=currency if kind == "fixed" else "",
        effective_from=effective_from,
    )
    if offer is not None and term and term not in offer.term_list:
        raise ValidationError(f"{offer} is not sold with a {term} term.")
    rule.full_clean()
    rule.save()
    audit(
        actor=member.user,
        reseller=member.reseller,
        action="subscriptions.pricerule.added",
        obj=rule,
        data={"book": book.name, "rule": str(rule)},
    )
    return rule


def _fixed_price_currency(book: PriceBook, offer: Offer | None, term: str, currency: str) -> str:
    """A fixed price's currency, checked against the customers it applies to: in a customer's
    own book the customer's billing currency (the default); in the default book any currency
    the offer has a cost in (it prices the customers billed in it)."""
    if book.customer is not None:
        expected = book.customer.currency
        if currency and currency != expected:
            raise ValidationError(
                f"{book.customer} is billed in {expected}: a fixed price in its "
                f"book must be in {expected}."
            )
        return expected
    currency = currency or book.reseller.currency
    if (
        offer is not None
        and term
        and not OfferPrice.objects.filter(offer=offer, term=term, currency=currency).exists()
    ):
        raise ValidationError(
            f"{offer.name} has no {term} cost in {currency}: a fixed price in "
            f"{currency} would never apply."
        )
    return currency


def _never_applies(rule: PriceRule) -> bool:
    """A fixed price in another currency than its book's customer is billed in."""
    customer = rule.book.customer
    return bool(
        rule.kind == PriceRule.Kind.FIXED
        and customer is not None
        and rule.currency != customer.currency
    )


@member_service
def price_rule_remove(*, member, rule: PriceRule) -> None:
    """Remove a rule that is not in force yet, or one that never applies (a fixed price in
    another currency than its customer's): neither has priced anything."""
    require(member, "pricebooks.edit")
    require_same_reseller(member, rule)
    if rule.effective_from <= timezone.now().date() and not _never_applies(rule):
        raise ValidationError(
            "This rule is already in force and may have been billed; add a "
            "new rule with a later date instead."
        )
    audit(
        actor=member.user,
        reseller=member.reseller,
        action="subscriptions.pricerule.removed",
        obj=rule,
        data={"book": rule.book.name, "rule": str(rule)},
    )
    rule.delete()


# Subscriptions: purchase, seats, cancel, renewals. Every change goes through Partner Center
# (the gateway) inside the same transaction as the portal's rows and charges, so a refusal by
# either writes nothing here. Idempotency keys come from the form that asked for the change, so
# a double submit or a retried request never orders twice.


class NeedsScheduling(ServiceError):
    """A seat decrease that cannot happen now; it can be scheduled for renewal."""

    def __init__(self, message: str, *, removable_now: int):
        super().__init__(message, code="subscriptions.decrease_needs_scheduling")
        self.removable_now = removable_now


def _gateway_call(call, *args, **kwargs):
    try:
        return call(*args, **kwargs)
    except GatewayError as exc:
        raise ValidationError(f"Partner Center refused it: {exc.message}") from exc


def cycle_key(sub: Subscription, start: date) -> str:
    """The ledger key of the charge of `sub`'s cycle starting on `start`: whoever charges a
    cycle (purchase, renewal, the daily cycle run, a frequency switch, a transfer) uses it, so
    no cycle is charged twice."""
    return f"sub:{sub.pk}:cycle:{start}"


def _emit(
    sub: Subscription, kind: str, *, key: str, on: date, quantity: int, full_cycle: bool = False
) -> ChargeEvent | None:
    """Write one ledger line for `quantity` seats (negative: a credit) from `on` to the end of
    the charge cycle containing it, or for the whole cycle. Usage-billed products have none."""
    billing = sub.offer.product_type.billing
    if billing == ProductType.Billing.USAGE:
        return None
    if billing == ProductType.Billing.ONE_TIME:
        start = end = on
        cost = proration.round_money(sub.unit_cost * quantity, sub.currency)
        price = proration.round_money(sub.unit_price * quantity, sub.currency)
        bdays = cdays = 1
    else:
        start, end = rules.cycle_containing(sub.term_start, sub.billing_frequency, on)
        charged_from = start if full_cycle else on
        cdays = rules.cycle_days(start, end)
        bdays = proration.billing_days(charged_from, end)
        common = {
            "quantity": quantity,
            "event_date": charged_from,
            "cycle_start": start,
            "cycle_end": end,
            "currency": sub.currency,
        }
        cost = proration.prorate(cycle_price=sub.unit_cost, **common)  # type: ignore[arg-type]
        price = proration.prorate(cycle_price=sub.unit_price, **common)  # type: ignore[arg-type]
        on = charged_from
    return ChargeEvent.objects.create(
        reseller_id=sub.reseller_id,
        customer_id=sub.customer_id,
        subscription=sub,
        kind=kind,
        key=key,
        charge_date=on,
        cycle_start=start,
        cycle_end=end,
        quantity=quantity,
        billing_days=bdays,
        cycle_days=cdays,
        unit_cost=sub.unit_cost,
        unit_price=sub.unit_price,
        cost_amount=cost,
        price_amount=price,
        currency=sub.currency,
    )


def _seats_in_cap_group(customer, offer, *, excluding=None) -> int:
    if offer.cap_group_id is None:
        return 0
    subs = Subscription.objects.filter(
        customer=customer, status=Subscription.Status.ACTIVE, offer__cap_group_id=offer.cap_group_id
    )
    if excluding is not None:
        subs = subs.exclude(pk=excluding.pk)
    return subs.aggregate(n=Sum("quantity"))["n"] or 0


def _check_seats(customer, offer, quantity: int, *, existing=None) -> None:
    try:
        rules.check_quantity(
            quantity, min_quantity=offer.min_quantity, max_quantity=offer.max_quantity
        )
        if offer.cap_group_id:
            others = _seats_in_cap_group(customer, offer, excluding=existing)
            rules.check_cap(
                existing_seats=others,
                new_seats=quantity,
                cap=offer.cap_group.max_seats,
                cap_name=offer.cap_group.name,
            )
    except rules.RuleError as exc:
        raise ValidationError(exc.message) from None


def check_sellable(offer: Offer) -> None:
    status = offer.product_type.status
    if status == ProductType.Status.UNSUPPORTED:
        raise ValidationError(
            f"{offer.product_type.name} is not supported: {offer.product_type.reason}"
        )
    if status == ProductType.Status.SUNSET or not offer.is_active:
        reason = offer.product_type.reason or "it is no longer sold"
        raise ValidationError(f"{offer.name} cannot be bought: {reason}")


def _check_sold(offer: Offer, term: str, billing_frequency: str) -> None:
    """The offer is sold on this term, billed this way, and the cycle fits the term."""
    if term not in offer.term_list:
        raise ValidationError(
            f"{offer.name} is sold on {', '.join(offer.term_list)} terms, not {term}."
        )
    if billing_frequency not in offer.frequency_list:
        raise ValidationError(f"{offer.name} cannot be billed {billing_frequency}.")
    try:
        check_term_frequency(term, billing_frequency)
    except PricingError as exc:
        raise ValidationError(str(exc)) from None


def _locked_prices(customer, offer, term, frequency, on: date, currency: str | None = None):
    """Cost and price of one cycle, in `currency` (a running subscription's own, which
    Partner Center keeps billing; default the customer's, for a purchase)."""
    currency = currency or customer.currency
    try:
        resolved = customer_cycle_price(
            customer=customer, offer=offer, term=term, frequency=frequency, on=on, currency=currency
        )
    except PricingError as exc:  # shown on the form, never a server error
        raise ValidationError(f"{offer.name} cannot be priced for {customer}: {exc}") from None
    if resolved is None:
        raise ValidationError(f"{offer.name} has no {term} price in {currency}.")
    return resolved


def _audit(member, sub, verb, **data):
    audit(
        actor=member.user if member else None,
        reseller=sub.reseller,
        obj=sub,
        action=f"subscriptions.subscription.{verb}",
        data=data,
    )


def _lock(sub: Subscription) -> Subscription:
    return (
        Subscription.objects.select_for_update(of=("self",))
        .select_related("offer__product_type", "offer__cap_group", "customer", "reseller")
        .get(pk=sub.pk)
    )


@member_service
def subscription_purchase(
    *,
    member,
    customer,
    offer: Offer,
    term: str,
    billing_frequency: str,
    quantity: int,
    auto_renew: bool = True,
    idempotency_key: str,
) -> Subscription:
    """Buy a subscription on behalf of a customer whose MCA is accepted."""
    require_valid_key(idempotency_key)
    require(member, "orders.place")
    require_same_reseller(member, customer)
    require_program_for_product(member.reseller, offer.product_type, action="buy it")
    require_ready_to_order(customer)
    check_sellable(offer)
    if offer.product_type.billing == ProductType.Billing.ONE_TIME:
        auto_renew = False  # a perpetual licence is bought once
    _check_sold(offer, term, billing_frequency)
    Customer.objects.select_for_update().filter(pk=customer.pk).first()  # serialise cap checks
    _check_seats(customer, offer, quantity)
    replayed = Subscription.objects.filter(
        reseller=member.reseller, order_key=idempotency_key
    ).first()
    if replayed:  # the same order submitted again
        return replayed
    now = timezone.now()
    prices = _locked_prices(customer, offer, term, billing_frequency, now.date())
    sub = Subscription.objects.create(
        reseller=member.reseller,
        customer=customer,
        offer=offer,
        term=term,
        billing_frequency=billing_frequency,
        quantity=quantity,
        auto_renew=auto_renew,
        purchased_at=now,
        term_start=now.date(),
        term_end=rules.term_end(now.date(), term),
        window_opened_at=now,
        currency=customer.currency,
        unit_cost=prices.cost,
        unit_price=prices.price,
        created_by=member.user,
        order_key=idempotency_key,
        provisioning=Subscription.Provisioning.PENDING,
    )
    SeatBatch.objects.create(
        reseller=member.reseller, subscription=sub, quantity=quantity, opened_at=now
    )
    _audit(
        member,
        sub,
        "ordered",
        offer=offer.sku,
        term=term,
        frequency=billing_frequency,
        quantity=quantity,
        auto_renew=auto_renew,
        unit_price=str(prices.price),
        unit_cost=str(prices.cost),
    )
    provision_task.delay_on_commit(sub.pk, reseller_id=sub.reseller_id)
    emit("subscription.created", sub)
    return sub


class ProvisioningDelayed(Exception):
    """Partner Center is busy or unreachable: the order is retried later."""


def subscription_provision(*, subscription_id: int, final_attempt: bool = True) -> Subscription:
    """Place a pending order in Partner Center (Celery task; ops retry failed ones). The
    idempotency key is the order's, so a retry never creates a second subscription. On success
    the subscription gets its Partner Center ID, its term from Partner Center and its first
    charge; a refusal marks it failed with Partner Center's reason."""
    delayed = None
    with transaction.atomic(), scopes_disabled():
        sub = _lock(Subscription(pk=subscription_id))
        if sub.is_provisioned:
            return sub
        with scope(reseller=sub.reseller):
            try:
                info = get_gateway().create_order(
                    str(sub.customer.tenant_id),
                    OrderRequest(
                        offer_sku=sub.offer.sku,
                        term=sub.term,
                        billing_frequency=sub.billing_frequency,
                        quantity=sub.quantity,
                        auto_renew=sub.auto_renew,
                        partner_id_on_record=sub.reseller.partner_id or "",
                        country=sub.customer.country,
                        catalog_item_id=catalog_item_id(
                            sub.offer,
                            country=sub.customer.country,
                            term=sub.term,
                            frequency=sub.billing_frequency,
                        ),
                    ),
                    idempotency_key=f"order:{sub.order_key}",
                )
            except (RateLimited, Unavailable) as exc:
                # the state is committed; the task retries later unless this was the last try
                _provisioning_failed(sub, exc.message, final=final_attempt)
                delayed = None if final_attempt else exc
            except GatewayError as exc:
                _provisioning_failed(sub, exc.message, final=True)
            else:
                _provisioned(sub, info)
    if delayed:
        raise ProvisioningDelayed(delayed.message) from delayed
    return sub


def _provisioned(sub: Subscription, info) -> None:
    sub.partner_center_id = info.subscription_id
    sub.term_start, sub.term_end = info.term_start, info.term_end
    sub.provisioning, sub.provisioning_error = Subscription.Provisioning.PROVISIONED, ""
    sub.save(
        update_fields=[
            "partner_center_id",
            "term_start",
            "term_end",
            "provisioning",
            "provisioning_error",
        ]
    )
    one_time = sub.offer.product_type.billing == ProductType.Billing.ONE_TIME
    kind = ChargeEvent.Kind.ONE_TIME if one_time else ChargeEvent.Kind.CYCLE
    _emit(
        sub,
        kind,
        key=f"sub:{sub.pk}:{kind}:{sub.term_start}",
        on=sub.term_start,
        quantity=sub.quantity,
        full_cycle=True,
    )
    _audit(None, sub, "provisioned", partner_center_id=sub.partner_center_id)
    emit("subscription.provisioned", sub)
    told_of_failure = AuditEvent.objects.filter(
        object_type=sub._meta.label_lower,
        object_id=str(sub.pk),
        action="subscriptions.subscription.provisioning_failed",
    ).exists()
    if told_of_failure:  # after operations retried a failed order: the reseller hears it worked
        _notify_orderer(
            sub,
            title=f"{sub.offer.name} for {sub.customer} is provisioned",
            body=f"Operations retried the order and Partner Center took it: {sub.quantity} × "
            f"{sub.offer.name}, Partner Center ID {sub.partner_center_id}.",
        )


def _notify_orderer(sub: Subscription, *, title: str, body: str) -> None:
    """Tell the member who placed the order (if still a member of the reseller)."""
    if (
        sub.created_by_id
        and Membership.objects.filter(user_id=sub.created_by_id, reseller=sub.reseller).exists()
    ):
        notify(
            reseller=sub.reseller,
            users=[sub.created_by],
            title=title,
            body=body,
            url=reverse("subscriptions:detail", kwargs={"subscription_id": sub.pk}),
        )


def _provisioning_failed(sub: Subscription, reason: str, *, final: bool) -> None:
    """Keep the reason on the subscription (committed even though the caller may retry)."""
    state = Subscription.Provisioning.FAILED if final else Subscription.Provisioning.RETRYING
    Subscription.objects.filter(pk=sub.pk).update(
        provisioning=state, provisioning_error=reason[:500]
    )
    sub.provisioning, sub.provisioning_error = state, reason[:500]
    if final:
        status, sub.ended_at = Subscription.Status.CANCELLED, timezone.now()
        Subscription.objects.filter(pk=sub.pk).update(status=status, ended_at=sub.ended_at)
        sub.status = status
        _audit(None, sub, "provisioning_failed", reason=reason)
        emit("subscription.failed", sub, key=sub.ended_at.isoformat())
        _notify_orderer(
            sub,
            title=f"Order of {sub.offer.name} for {sub.customer} failed",
            body=f"Partner Center refused it: {reason}",
        )


def subscription_provision_retry(*, user, subscription_id: int) -> Subscription:
    """Operations send a failed order to Partner Center again (same idempotency key)."""
    require_staff(user)
    with transaction.atomic(), scopes_disabled():
        sub = _lock(Subscription(pk=subscription_id))
        if sub.provisioning != Subscription.Provisioning.FAILED:
            raise ValidationError("Only a failed order can be retried.")
        sub.provisioning, sub.status, sub.ended_at = (
            Subscription.Provisioning.PENDING,
            Subscription.Status.ACTIVE,
            None,
        )
        sub.save(update_fields=["provisioning", "status", "ended_at"])
        audit(
            actor=user,
            reseller=sub.reseller,
            obj=sub,
            action="subscriptions.subscription.provisioning_retried",
            data={},
        )
        provision_task.delay_on_commit(sub.pk, reseller_id=sub.reseller_id)
    return sub


def _catch_up(sub: Subscription, today: date) -> Subscription:
    """Do first what today's upkeep would do to `sub` (it runs hourly, not at midnight), so a
    change on a cycle-start day is charged once whichever comes first: a due frequency switch
    is applied and the cycle starting today is charged for the seats it starts with. A term
    that has ended waits for its renewal. Returns `sub` locked and fresh."""
    if sub.term_end < today:
        raise ValidationError(
            f"The term ended on {sub.term_end} and its renewal is being "
            "processed; change the subscription once it has renewed."
        )
    due = (
        ScheduledChange.objects.filter(subscription=sub, frequency_from__lte=today)
        .exclude(billing_frequency="")
        .first()
    )
    if due is not None:
        _apply_frequency_change(due.pk)
        sub = _lock(sub)
    _charge_cycle_starting(sub, today)
    return sub


def _require_changeable(member, sub: Subscription) -> Subscription:
    require(member, "orders.place")
    require_same_reseller(member, sub)
    sub = _lock(sub)
    require_mca_accepted(sub.customer)
    if not sub.customer.tenant_id:
        raise ValidationError(
            f"{sub.customer}'s Microsoft tenant is still linked to its "
            "previous reseller: it moves to you with the last of its "
            "subscriptions transferred."
        )
    if not sub.is_active:
        raise ValidationError(f"This subscription is {sub.get_status_display().lower()}.")
    if not sub.is_provisioned:
        raise ValidationError(
            "This subscription is still being ordered from Partner Center; "
            "change it once it is provisioned."
        )
    return sub


@member_service
def subscription_change_seats(
    *,
    member,
    subscription: Subscription,
    quantity: int,
    idempotency_key: str,
    schedule: bool = False,
) -> str:
    """Add or remove seats now; a decrease outside the 168-hour windows is refused with
    NeedsScheduling, or scheduled for renewal when `schedule` is set. Returns what happened."""
    require_valid_key(idempotency_key)
    sub = _require_changeable(member, subscription)
    if sub.offer.product_type.billing != ProductType.Billing.SEATS:
        raise ValidationError(f"{sub.offer.name} has no seats to change.")
    if quantity == sub.quantity:
        raise ValidationError(f"The subscription already has {quantity} seats.")
    if quantity > sub.quantity:  # new seats are a new transaction; removing seats is not
        require_program_for_product(sub.reseller, sub.offer.product_type, action="add seats")
    # The customer's row lock serialises every seat-cap check of the customer (purchases and
    # other subscriptions' increases), whatever the gateway does.
    Customer.objects.select_for_update().filter(pk=sub.customer_id).first()
    _check_seats(sub.customer, sub.offer, quantity, existing=sub)
    now = timezone.now()
    sub = _catch_up(sub, now.date())
    if quantity < sub.quantity:
        remove = sub.quantity - quantity
        batches = list(sub.batches.all())
        try:
            plan = rules.plan_seat_decrease(
                batches=[rules.Batch(b.quantity, b.opened_at, key=b.pk) for b in batches],
                remove=remove,
                now=now,
                auto_renew=sub.auto_renew,
            )
        except rules.RuleError as exc:
            raise ValidationError(exc.message) from None
        if not plan.immediate:
            if not schedule:
                raise NeedsScheduling(
                    f"Only {plan.removable_now} of the {remove} seats can be removed now: seats "
                    "can be removed within 168 hours of being added. The decrease can take "
                    f"effect at renewal on {rules.renewal_date(sub.term_start, sub.term)}.",
                    removable_now=plan.removable_now,
                )
            effective = rules.renewal_date(sub.term_start, sub.term)
            # Partner Center applies it at renewal (scheduledNextTermInstructions)
            _gateway_call(
                get_gateway().schedule_next_term,
                str(sub.customer.tenant_id),
                sub.partner_center_id,
                quantity=quantity,
                term=sub.term,
                billing_frequency=sub.billing_frequency,
                idempotency_key=f"next-term:{idempotency_key}",
            )
            ScheduledChange.objects.update_or_create(
                subscription=sub,
                defaults={
                    "reseller": sub.reseller,
                    "quantity": quantity,
                    "effective_on": effective,
                    "created_by": member.user,
                    "created_at": now,
                },
            )
            _audit(
                member,
                sub,
                "decrease_scheduled",
                quantity=quantity,
                effective_on=effective.isoformat(),
            )
            return f"{sub.quantity} → {quantity} seats scheduled for renewal on {effective}."
    _gateway_call(
        get_gateway().change_quantity,
        str(sub.customer.tenant_id),
        sub.partner_center_id,
        quantity,
        idempotency_key=f"seats:{idempotency_key}",
    )
    if quantity > sub.quantity:
        added = quantity - sub.quantity
        SeatBatch.objects.create(
            reseller=sub.reseller, subscription=sub, quantity=added, opened_at=now
        )
        _emit(
            sub,
            ChargeEvent.Kind.SEAT_INCREASE,
            key=f"sub:{sub.pk}:seats:{idempotency_key}",
            on=now.date(),
            quantity=added,
        )
        done = f"{added} seat{'s' if added > 1 else ''} added"
    else:
        by_pk = {b.pk: b for b in batches}
        for batch, taken in plan.reductions:
            row = by_pk[batch.key]  # type: ignore[index]  # keys are the batches' pks
            row.quantity -= taken
            row.save(update_fields=["quantity"]) if row.quantity else row.delete()
        _emit(
            sub,
            ChargeEvent.Kind.SEAT_DECREASE,
            key=f"sub:{sub.pk}:seats:{idempotency_key}",
            on=now.date(),
            quantity=-remove,
        )
        done = f"{remove} seat{'s' if remove > 1 else ''} removed with a prorated credit"
    dropped, _ = ScheduledChange.objects.filter(subscription=sub).delete()  # immediate wins
    _audit(member, sub, "seats_changed", before=sub.quantity, after=quantity)
    before, sub.quantity = sub.quantity, quantity
    sub.save(update_fields=["quantity"])
    emit("subscription.seats_changed", sub, key=idempotency_key, extra={"quantity_before": before})
    return done + (
        "; the scheduled change was removed (an immediate change replaces it)." if dropped else "."
    )


def partner_center_facts(sub: Subscription):
    """What Partner Center says of the subscription now (get-a-subscription-by-id): the seats
    it would still refund (refundableQuantity) and until when it may be cancelled
    (cancellationAllowedUntilDate); None when it cannot be asked."""
    if not (sub.partner_center_id and sub.customer.tenant_id and sub.in_force):
        return None
    try:
        return get_gateway().get_subscription(str(sub.customer.tenant_id), sub.partner_center_id)
    except GatewayError:
        return None


def _same_offer(catalog_item_id: str, offer: Offer) -> bool:
    """Whether a catalogItemId (product:sku[:availability]) is this offer (product:sku)."""
    return ":".join(catalog_item_id.split(":")[:2]) == offer.sku


def may_upgrade(sub: Subscription) -> bool:
    """Whether Partner Center may be asked for `sub`'s upgrades: an active seat subscription
    it knows, of a customer with a tenant."""
    return bool(
        sub.is_active
        and sub.partner_center_id
        and sub.customer.tenant_id
        and sub.offer.product_type.billing == ProductType.Billing.SEATS
    )


def upgrade_options(sub: Subscription) -> tuple[list[tuple[Offer, object]], str]:
    """The offers Partner Center lets `sub` be upgraded to now (transition eligibilities),
    each with its option, and a sentence when Partner Center gives none or cannot be asked."""
    pc_id = sub.partner_center_id
    if not may_upgrade(sub) or not pc_id:  # (may_upgrade requires it: for the type checker)
        return [], ""
    try:
        options = get_gateway().get_transition_options(str(sub.customer.tenant_id), pc_id)
    except GatewayError as exc:
        return [], f"Partner Center could not list the upgrades now ({exc.message})."
    by_sku = {":".join(o.catalog_item_id.split(":")[:2]): o for o in options}
    offers = Offer.objects.filter(sku__in=by_sku, is_active=True).select_related("product_type")
    eligible = [(o, by_sku[o.sku]) for o in offers if by_sku[o.sku].eligible]
    if not eligible:
        reasons = sorted({r for o in options for r in o.reasons if r})
        return [], " ".join(reasons) or "Partner Center offers no upgrade for this subscription."
    return sorted(eligible, key=lambda pair: pair[0].name), ""


@member_service
def subscription_upgrade(
    *,
    member,
    subscription: Subscription,
    to_offer: Offer,
    quantity: int,
    idempotency_key: str,
) -> Subscription:
    """Upgrade `quantity` seats (all of them: a full upgrade; fewer: a partial one) to
    `to_offer` through Partner Center's transition (transition-a-new-commerce-subscription).
    The moved seats are credited on the source and charged on the new subscription, each
    prorated daily from today to the end of the current charge cycle (DESIGN "Upgrades"); the
    new subscription keeps the source's term, billing and cancellation window (a partial
    upgrade does not open a new one). Returns the new subscription."""
    require_valid_key(idempotency_key)
    key = scoped_key("upgrade:", idempotency_key)
    replayed = Subscription.objects.filter(reseller=member.reseller, order_key=key).first()
    if replayed:  # the same request submitted again
        return replayed
    sub = _require_changeable(member, subscription)
    if sub.offer.product_type.billing != ProductType.Billing.SEATS:
        raise ValidationError(f"{sub.offer.name} has no seats to upgrade.")
    if not 1 <= quantity <= sub.quantity:
        raise ValidationError(
            f"Between 1 and {sub.quantity} seats can be upgraded, not {quantity}."
        )
    check_sellable(to_offer)
    _check_sold(to_offer, sub.term, sub.billing_frequency)
    require_program_for_product(sub.reseller, to_offer.product_type, action="upgrade seats")
    tenant = str(sub.customer.tenant_id)
    options = _gateway_call(get_gateway().get_transition_options, tenant, sub.partner_center_id)
    option = next((o for o in options if _same_offer(o.catalog_item_id, to_offer)), None)
    if option is None or not option.eligible:
        why = " ".join(option.reasons) if option else ""
        raise ValidationError(
            f"Partner Center does not offer an upgrade of {sub.offer.name} to "
            f"{to_offer.name} now. {why}".strip()
        )
    now = timezone.now()
    today = now.date()
    sub = _catch_up(sub, today)
    prices = _locked_prices(
        sub.customer, to_offer, sub.term, sub.billing_frequency, today, currency=sub.currency
    )
    result = _gateway_call(
        get_gateway().transition,
        tenant,
        sub.partner_center_id,
        to_catalog_item_id=option.catalog_item_id,
        quantity=quantity,
        idempotency_key=key,
    )
    target = Subscription.objects.create(
        reseller=sub.reseller,
        customer=sub.customer,
        offer=to_offer,
        partner_center_id=result.to_subscription_id,
        order_key=key,
        term=sub.term,
        billing_frequency=sub.billing_frequency,
        quantity=quantity,
        auto_renew=sub.auto_renew,
        purchased_at=now,
        term_start=sub.term_start,
        term_end=sub.term_end,
        window_opened_at=sub.window_opened_at,  # inherits the source's cancellation window
        currency=sub.currency,
        unit_cost=prices.cost,
        unit_price=prices.price,
        created_by=member.user,
        upgraded_from=sub,
    )
    SeatBatch.objects.create(
        reseller=sub.reseller,
        subscription=target,
        quantity=quantity,
        opened_at=sub.window_opened_at,
    )
    _emit(
        sub,
        ChargeEvent.Kind.UPGRADE_OUT,
        key=f"sub:{sub.pk}:upgrade:{idempotency_key}",
        on=today,
        quantity=-quantity,
    )
    cycle_start, _ = rules.cycle_containing(target.term_start, target.billing_frequency, today)
    # from a cycle's first day it is that cycle's charge: the daily cycle run then skips it
    _emit(
        target,
        ChargeEvent.Kind.UPGRADE_IN,
        key=cycle_key(target, today)
        if cycle_start == today
        else f"sub:{target.pk}:upgrade:{idempotency_key}",
        on=today,
        quantity=quantity,
    )
    left = quantity  # the seats leave the source from its newest batches
    for batch in sub.batches.order_by("-opened_at", "-pk"):
        taken = min(left, batch.quantity)
        left -= taken
        batch.quantity -= taken
        batch.save(update_fields=["quantity"]) if batch.quantity else batch.delete()
        if not left:
            break
    before = sub.quantity
    sub.quantity -= quantity
    fields = ["quantity"]
    if sub.quantity == 0:  # a full upgrade: the source ends
        sub.status, sub.ended_at = Subscription.Status.UPGRADED, now
        fields += ["status", "ended_at"]
        ScheduledChange.objects.filter(subscription=sub).delete()
    sub.save(update_fields=fields)
    # users beyond the seats the source keeps move with the upgraded seats, newest first
    assigned = SeatAssignment.objects.filter(subscription=sub).order_by("-assigned_at", "-pk")
    excess = assigned.count() - sub.quantity
    if excess > 0:
        moved = list(assigned.values_list("pk", flat=True)[: min(excess, quantity)])
        SeatAssignment.objects.filter(pk__in=moved).update(subscription=target)
    _audit(
        member,
        sub,
        "upgraded",
        to_offer=to_offer.sku,
        seats=quantity,
        before=before,
        to_subscription=target.pk,
        partial=sub.quantity > 0,
    )
    emit("subscription.upgraded", target, extra={"upgraded_from": sub.pk, "seats": quantity})
    return target


@member_service
def subscription_cancel(*, member, subscription: Subscription, idempotency_key: str) -> str:
    require_valid_key(idempotency_key)
    sub = _require_changeable(member, subscription)
    now = timezone.now()
    billing = sub.offer.product_type.billing
    try:
        if billing == ProductType.Billing.ONE_TIME:
            rules.check_perpetual_refund(purchase_date=sub.purchased_at.date(), today=now.date())
        elif billing == ProductType.Billing.SEATS:
            rules.check_cancel(window_opened_at=sub.window_opened_at, now=now)
            if sub.offer.product_type.code == RESERVED_INSTANCE:
                _check_ri_cancel_limit(sub, now)
    except rules.RuleError as exc:
        raise ValidationError(exc.message) from None
    _gateway_call(
        get_gateway().cancel_subscription,
        str(sub.customer.tenant_id),
        sub.partner_center_id,
        idempotency_key=f"cancel:{idempotency_key}",
    )
    if billing == ProductType.Billing.ONE_TIME:
        _emit(
            sub,
            ChargeEvent.Kind.REFUND,
            key=f"sub:{sub.pk}:refund",
            on=now.date(),
            quantity=-sub.quantity,
        )
        done = "Cancelled with a full refund"
    elif billing == ProductType.Billing.SEATS and rules.full_refund(
        window_opened_at=sub.window_opened_at, now=now
    ):
        refund = _refund_cycle(sub, on=now.date())
        done = (
            f"Cancelled within 24 hours of the {_window_event(sub)}: the cycle's "
            f"{money(-refund.price_amount, sub.currency)} is refunded in full"
        )
    elif billing == ProductType.Billing.SEATS:
        _emit(
            sub,
            ChargeEvent.Kind.CANCEL,
            key=f"sub:{sub.pk}:cancel",
            on=now.date(),
            quantity=-sub.quantity,
        )
        done = "Cancelled with a prorated credit for the rest of the cycle"
    else:
        done = "Cancelled; usage up to today is still billed"
    sub.status, sub.ended_at = Subscription.Status.CANCELLED, now
    sub.save(update_fields=["status", "ended_at"])
    ScheduledChange.objects.filter(subscription=sub).delete()
    _audit(member, sub, "cancelled")
    emit("subscription.cancelled", sub)
    return done


def _window_event(sub: Subscription) -> str:
    return "purchase" if sub.window_opened_at == sub.purchased_at else "renewal"


def _refund_cycle(sub: Subscription, *, on: date) -> ChargeEvent:
    """Credit everything charged for the cycle containing `on` (its cycle charge and the seat
    changes inside it): a cancellation within 24 hours of the purchase or renewal."""
    start, end = rules.cycle_containing(sub.term_start, sub.billing_frequency, on)
    charged = ChargeEvent.objects.filter(subscription=sub, cycle_start=start).aggregate(
        cost=Sum("cost_amount"), price=Sum("price_amount")
    )
    return ChargeEvent.objects.create(
        reseller_id=sub.reseller_id,
        customer_id=sub.customer_id,
        subscription=sub,
        kind=ChargeEvent.Kind.CANCEL,
        key=f"sub:{sub.pk}:cancel",
        charge_date=on,
        cycle_start=start,
        cycle_end=end,
        quantity=-sub.quantity,
        billing_days=rules.cycle_days(start, end),
        cycle_days=rules.cycle_days(start, end),
        unit_cost=sub.unit_cost,
        unit_price=sub.unit_price,
        cost_amount=-(charged["cost"] or Decimal(0)),
        price_amount=-(charged["price"] or Decimal(0)),
        currency=sub.currency,
    )


def _commitment(
    *,
    cycle_cost: Decimal,
    quantity: int,
    term_start: date,
    term: str,
    frequency: str,
    currency: str,
    from_day: date,
) -> Decimal:
    """What a reservation commits to from `from_day`: the rest of the current cycle, prorated
    daily, and every later cycle of its term."""
    return sum(
        (
            proration.prorate(
                cycle_price=cycle_cost,
                quantity=quantity,
                event_date=max(start, from_day),
                cycle_start=start,
                cycle_end=end,
                currency=currency,
            )
            for start, end in rules.cycles(term_start, term, frequency)
            if end >= from_day
        ),
        Decimal(0),
    )


def _remaining_commitment(sub: Subscription, today: date) -> Decimal:
    return _commitment(
        cycle_cost=sub.unit_cost,
        quantity=sub.quantity,
        term_start=sub.term_start,
        term=sub.term,
        frequency=sub.billing_frequency,
        currency=sub.currency,
        from_day=today,
    )


RESERVED_INSTANCE = "reserved-instance"


@member_service
def subscription_exchange_reservation(
    *,
    member,
    subscription: Subscription,
    offer: Offer,
    term: str,
    billing_frequency: str,
    quantity: int,
    idempotency_key: str,
) -> Subscription:
    """Exchange a Reserved Instance for another one (Azure Reservations' exchange through the
    gateway), allowed when the new commitment is at least the old one's remaining commitment.
    The old reservation ends today with a prorated credit for the rest of its current cycle;
    the new one starts today, its first cycle charged. Exchanges do not count against the
    USD 50,000 cancellation limit. Returns the new subscription."""
    sub = _require_changeable(member, subscription)
    if {sub.offer.product_type.code, offer.product_type.code} != {RESERVED_INSTANCE}:
        raise ValidationError(
            "Only a Reserved Instance can be exchanged, and only for another Reserved Instance."
        )
    key = f"exchange:{idempotency_key}"
    replayed = Subscription.objects.filter(reseller=member.reseller, order_key=key).first()
    if replayed:  # the same request submitted again
        return replayed
    check_sellable(offer)
    _check_sold(offer, term, billing_frequency)
    _check_seats(sub.customer, offer, quantity)
    now = timezone.now()
    today = now.date()
    prices = _locked_prices(
        sub.customer, offer, term, billing_frequency, today, currency=sub.currency
    )
    remaining = _remaining_commitment(sub, today)
    new_commitment = _commitment(
        cycle_cost=prices.cost,
        quantity=quantity,
        term_start=today,
        term=term,
        frequency=billing_frequency,
        currency=sub.currency,
        from_day=today,
    )
    try:
        rules.check_ri_exchange(new_commitment=new_commitment, remaining_commitment=remaining)
    except rules.RuleError as exc:
        raise ValidationError(f"{exc.message} (in {sub.currency})") from None
    info = _gateway_call(
        get_gateway().exchange_reservation,
        str(sub.customer.tenant_id),
        sub.partner_center_id,
        OrderRequest(
            offer_sku=offer.sku,
            term=term,
            billing_frequency=billing_frequency,
            quantity=quantity,
            auto_renew=sub.auto_renew,
        ),
        idempotency_key=key,
    )
    _charge_cycle_starting(sub, today)  # the credit below refunds a cycle that started today
    _emit(
        sub,
        ChargeEvent.Kind.EXCHANGE,
        key=f"sub:{sub.pk}:exchange",
        on=today,
        quantity=-sub.quantity,
    )
    sub.status, sub.ended_at = Subscription.Status.CANCELLED, now
    sub.save(update_fields=["status", "ended_at"])
    ScheduledChange.objects.filter(subscription=sub).delete()
    new = Subscription.objects.create(
        reseller=sub.reseller,
        customer=sub.customer,
        offer=offer,
        term=term,
        billing_frequency=billing_frequency,
        quantity=quantity,
        auto_renew=sub.auto_renew,
        purchased_at=now,
        term_start=info.term_start,
        term_end=info.term_end,
        window_opened_at=now,
        currency=sub.currency,
        unit_cost=prices.cost,
        unit_price=prices.price,
        created_by=member.user,
        order_key=key,
        partner_center_id=info.subscription_id,
        provisioning=Subscription.Provisioning.PROVISIONED,
    )
    SeatBatch.objects.create(
        reseller=new.reseller, subscription=new, quantity=quantity, opened_at=now
    )
    _emit(
        new,
        ChargeEvent.Kind.CYCLE,
        key=cycle_key(new, new.term_start),
        on=new.term_start,
        quantity=quantity,
        full_cycle=True,
    )
    _audit(
        member,
        sub,
        "exchanged",
        to=new.partner_center_id,
        remaining_commitment=str(remaining),
        new_commitment=str(new_commitment),
    )
    _audit(
        member,
        new,
        "ordered",
        offer=offer.sku,
        term=term,
        frequency=billing_frequency,
        quantity=quantity,
        exchanged_from=sub.partner_center_id,
        unit_price=str(prices.price),
        unit_cost=str(prices.cost),
    )
    return new


def _check_ri_cancel_limit(sub: Subscription, now) -> None:
    """At most USD 50,000 of cancelled Reserved Instance commitment per customer in a rolling
    12 months (compared in the subscription's currency)."""
    remaining = _remaining_commitment(sub, now.date())
    past = -(
        ChargeEvent.objects.filter(
            customer=sub.customer,
            kind=ChargeEvent.Kind.CANCEL,
            subscription__offer__product_type__code="reserved-instance",
            charge_date__gt=now.date() - timedelta(days=365),
        ).aggregate(s=Sum("cost_amount"))["s"]
        or Decimal(0)
    )
    rules.check_ri_cancel(amount=remaining, cancelled_last_12_months=past)


@member_service
def subscription_set_auto_renew(*, member, subscription: Subscription, auto_renew: bool) -> str:
    sub = _require_changeable(member, subscription)
    _gateway_call(
        get_gateway().set_auto_renew, str(sub.customer.tenant_id), sub.partner_center_id, auto_renew
    )
    sub.auto_renew = auto_renew
    sub.save(update_fields=["auto_renew"])
    dropped = 0
    if not auto_renew:  # a change scheduled for renewal needs a renewal
        dropped = _drop_renewal_changes(sub)
    _audit(member, sub, "auto_renew_changed", auto_renew=auto_renew)
    renewal = rules.renewal_date(sub.term_start, sub.term)
    if auto_renew:
        return f"Auto-renew is on: the subscription renews on {renewal}."
    return f"Auto-renew is off: the subscription ends after {sub.term_end}." + (
        " The scheduled change was removed." if dropped else ""
    )


BILLED = {"monthly": "monthly", "annual": "annually", "triennial": "every three years"}


def _require_seat_product(sub: Subscription, what: str) -> None:
    if sub.offer.product_type.billing != ProductType.Billing.SEATS:
        raise ValidationError(f"{sub.offer.name} has no {what} to change.")


@member_service
def subscription_change_term(
    *, member, subscription: Subscription, term: str, billing_frequency: str, idempotency_key: str
) -> str:
    """Lengthen the term now (P1M → P1Y/P3Y, P1Y → P3Y): the rest of the current cycle is
    credited at the old prices and a new term starts today at the new term's prices, its first
    cycle charged. The seats and their 168-hour windows stay; scheduled changes are dropped
    (an immediate change wins)."""
    require_valid_key(idempotency_key)
    sub = _require_changeable(member, subscription)
    _require_seat_product(sub, "term")
    require_program_for_product(
        sub.reseller, sub.offer.product_type, action="commit to a longer term"
    )
    _check_sold(sub.offer, term, billing_frequency)
    try:
        rules.check_term_change(sub.term, term)
    except rules.RuleError as exc:
        raise ValidationError(exc.message) from None
    today = timezone.now().date()
    if sub.term_end < today:
        raise ValidationError(
            f"The term ended on {sub.term_end} and its renewal is being "
            "processed; change the term once it has renewed."
        )
    prices = _locked_prices(
        sub.customer, sub.offer, term, billing_frequency, today, currency=sub.currency
    )
    _gateway_call(
        get_gateway().change_term,
        str(sub.customer.tenant_id),
        sub.partner_center_id,
        term=term,
        billing_frequency=billing_frequency,
        idempotency_key=f"term:{idempotency_key}",
    )
    _charge_cycle_starting(sub, today)  # the credit below refunds a cycle that was charged
    credit = _emit(
        sub,
        ChargeEvent.Kind.TERM_CHANGE,
        key=f"sub:{sub.pk}:term:{idempotency_key}:credit",
        on=today,
        quantity=-sub.quantity,
    )
    before = {"term": sub.term, "billing_frequency": sub.billing_frequency}
    sub.term, sub.billing_frequency = term, billing_frequency
    sub.term_start, sub.term_end = today, rules.term_end(today, term)
    sub.unit_cost, sub.unit_price = prices.cost, prices.price
    sub.renewal_reminder = ""
    sub.save(
        update_fields=[
            "term",
            "billing_frequency",
            "term_start",
            "term_end",
            "unit_cost",
            "unit_price",
            "renewal_reminder",
        ]
    )
    # its own key: the old term's cycle may also have started today (cycle_key(sub, today))
    charge = _emit(
        sub,
        ChargeEvent.Kind.CYCLE,
        key=f"sub:{sub.pk}:term:{idempotency_key}:cycle",
        on=today,
        quantity=sub.quantity,
        full_cycle=True,
    )
    ScheduledChange.objects.filter(subscription=sub).delete()
    _audit(
        member,
        sub,
        "term_changed",
        before=before,
        after={"term": term, "billing_frequency": billing_frequency},
    )
    assert credit is not None and charge is not None  # a term change always charges and credits
    return (
        f"The term is now {sub.get_term_display()}, billed {BILLED[billing_frequency]}, from "
        f"{sub.term_start} to {sub.term_end}: {money(-credit.price_amount, sub.currency)} credited "
        f"for the rest of the old cycle, {money(charge.price_amount, sub.currency)} charged for "
        f"the first new cycle."
    )


@member_service
def subscription_schedule_frequency(
    *, member, subscription: Subscription, billing_frequency: str
) -> str:
    """Bill the subscription at another frequency: mid-term only where Microsoft's table allows
    it (P3Y monthly ↔ annual, from the next cycle), otherwise from the renewal."""
    sub = _require_changeable(member, subscription)
    _require_seat_product(sub, "billing frequency")
    _check_sold(sub.offer, sub.term, billing_frequency)
    now = timezone.now()
    try:
        starts = rules.frequency_change_from(
            term_start=sub.term_start,
            term=sub.term,
            old=sub.billing_frequency,
            new=billing_frequency,
            today=now.date(),
        )
    except rules.RuleError as exc:
        raise ValidationError(exc.message) from None
    renewal = rules.renewal_date(sub.term_start, sub.term)
    if starts == renewal and not sub.auto_renew:
        raise ValidationError(
            "The change would take effect at renewal, which needs auto-renew on; turn it on first."
        )
    _locked_prices(
        sub.customer, sub.offer, sub.term, billing_frequency, sub.term_start, currency=sub.currency
    )
    fields = {
        "reseller": sub.reseller,
        "billing_frequency": billing_frequency,
        "frequency_from": starts,
        "created_by": member.user,
        "created_at": now,
    }
    ScheduledChange.objects.update_or_create(
        subscription=sub, defaults=fields, create_defaults={**fields, "effective_on": renewal}
    )
    _audit(
        member,
        sub,
        "frequency_scheduled",
        billing_frequency=billing_frequency,
        frequency_from=starts.isoformat(),
    )
    if (
        starts < renewal
        or (sub.term, sub.billing_frequency, billing_frequency) in rules.MIDTERM_FREQUENCY_CHANGES
    ):
        return (
            f"The subscription will be billed {BILLED[billing_frequency]} from the cycle "
            f"starting {starts}."
        )
    return (
        f"A {sub.term} subscription billed {BILLED[sub.billing_frequency]} keeps its billing "
        f"frequency until renewal: it will be billed {BILLED[billing_frequency]} from the "
        f"renewal on {starts}."
    )


def _drop_renewal_changes(sub: Subscription) -> int:
    """Forget what was to happen at renewal; keep a frequency change due inside the term."""
    change = ScheduledChange.objects.filter(subscription=sub).first()
    if change is None:
        return 0
    if change.frequency_from and change.frequency_from <= sub.term_end:
        if change.quantity is None:
            return 0
        change.quantity = None
        change.save(update_fields=["quantity"])
    else:
        change.delete()
    return 1


@member_service
def scheduled_change_cancel(*, member, subscription: Subscription) -> None:
    require(member, "orders.place")
    require_same_reseller(member, subscription)
    deleted, _ = ScheduledChange.objects.filter(subscription=subscription).delete()
    if not deleted:
        raise ValidationError("Nothing is scheduled for this subscription.")
    if subscription.partner_center_id and subscription.auto_renew:
        # Partner Center's next term becomes the current one again: nothing changes
        _gateway_call(
            get_gateway().schedule_next_term,
            str(subscription.customer.tenant_id),
            subscription.partner_center_id,
            quantity=subscription.quantity,
            term=subscription.term,
            billing_frequency=subscription.billing_frequency,
            idempotency_key=f"next-term-reset:{subscription.pk}:{timezone.now().isoformat()}",
        )
    _audit(member, subscription, "scheduled_change_removed")


@member_service
def seat_assign(
    *, member, subscription: Subscription, display_name: str, user_principal_name: str
) -> SeatAssignment:
    require(member, "orders.place")
    require_same_reseller(member, subscription)
    sub = _lock(subscription)
    if sub.offer.product_type.billing != ProductType.Billing.SEATS or not sub.is_active:
        raise ValidationError("Users can only be assigned to seats of an active subscription.")
    upn = user_principal_name.strip().lower()
    taken = sub.assignments.count()
    if taken >= sub.quantity:
        raise ValidationError(
            f"All {sub.quantity} seats are assigned: add seats or unassign a user first."
        )
    if sub.assignments.filter(user_principal_name=upn).exists():
        raise ValidationError(f"{upn} already has a seat of this subscription.")
    assignment = SeatAssignment(
        reseller=sub.reseller,
        subscription=sub,
        display_name=display_name.strip(),
        user_principal_name=upn,
    )
    assignment.full_clean(exclude=["subscription", "reseller"])
    assignment.save()
    _audit(member, sub, "seat_assigned", user=upn)
    return assignment


@member_service
def seat_unassign(*, member, assignment: SeatAssignment) -> None:
    require(member, "orders.place")
    require_same_reseller(member, assignment)
    assignment.delete()
    _audit(member, assignment.subscription, "seat_unassigned", user=assignment.user_principal_name)


# Beat tasks (system actor): renewals, cycle charges, reminders.


def subscriptions_renew_due(*, today: date) -> dict:
    """Renew every active subscription whose term ended before `today` (applying a scheduled
    change), or let it expire when auto-renew is off. Each subscription in its own transaction;
    one that fails is recorded as an upkeep failure and the others go on."""
    with scopes_disabled():
        due = list(
            Subscription.objects.filter(
                status=Subscription.Status.ACTIVE,
                provisioning=Subscription.Provisioning.PROVISIONED,
                term_end__lt=today,
            )
            .exclude(offer__product_type__billing=ProductType.Billing.ONE_TIME)
            .values_list("pk", flat=True)
        )
    done, failed = each_row(
        "subscriptions.renewal", Subscription, due, lambda pk: _renew_one(pk, today)
    )
    return {"renewed": done.count("renewed"), "expired": done.count("expired"), "failed": failed}


@transaction.atomic
def _renew_one(pk: int, today: date) -> str:
    with scopes_disabled():
        sub = _lock(Subscription(pk=pk))
        if not sub.is_active or sub.term_end >= today:
            return "skipped"  # renewed (or ended) since the list was read
        with scope(reseller=sub.reseller):
            return _renew(sub, today)


def _renew(sub: Subscription, today: date) -> str:
    if not sub.auto_renew:
        sub.status = Subscription.Status.EXPIRED
        sub.ended_at = timezone.now()
        sub.save(update_fields=["status", "ended_at"])
        _audit(None, sub, "expired", term_end=sub.term_end.isoformat())
        return "expired"
    change = ScheduledChange.objects.filter(subscription=sub).first()
    while sub.term_end < today:
        sub.term_start = sub.term_end + timedelta(days=1)
        sub.term_end = rules.term_end(sub.term_start, sub.term)
    now = timezone.now()
    before = sub.quantity
    if change and change.quantity:
        _gateway_call(
            get_gateway().change_quantity,
            str(sub.customer.tenant_id),
            sub.partner_center_id,
            change.quantity,
            idempotency_key=f"renewal:{sub.pk}:{sub.term_start}",
        )
        sub.quantity = change.quantity
    if change and change.billing_frequency:
        _apply_frequency(sub, change.billing_frequency, key=f"renewal:{sub.pk}:{sub.term_start}")
    if change:
        change.delete()
    prices = _locked_prices(
        sub.customer,
        sub.offer,
        sub.term,
        sub.billing_frequency,
        sub.term_start,
        currency=sub.currency,
    )
    sub.unit_cost, sub.unit_price = prices.cost, prices.price
    sub.window_opened_at = now
    sub.renewal_reminder = ""
    sub.save()
    sub.batches.all().delete()
    SeatBatch.objects.create(
        reseller=sub.reseller, subscription=sub, quantity=sub.quantity, opened_at=now
    )
    _emit(
        sub,
        ChargeEvent.Kind.CYCLE,
        key=cycle_key(sub, sub.term_start),
        on=sub.term_start,
        quantity=sub.quantity,
        full_cycle=True,
    )
    _audit(
        None,
        sub,
        "renewed",
        term_start=sub.term_start.isoformat(),
        term_end=sub.term_end.isoformat(),
        quantity_before=before,
        quantity=sub.quantity,
    )
    emit("subscription.renewed", sub, key=sub.term_start, extra={"quantity_before": before})
    return "renewed"


def _apply_frequency(sub: Subscription, frequency: str, *, key: str) -> None:
    """Switch the billing frequency in Partner Center and here (the caller saves `sub`)."""
    _gateway_call(
        get_gateway().change_term,
        str(sub.customer.tenant_id),
        sub.partner_center_id,
        term=sub.term,
        billing_frequency=frequency,
        idempotency_key=f"frequency:{key}",
    )
    sub.billing_frequency = frequency


def subscriptions_apply_frequency_changes(*, today: date) -> int:
    """Switch subscriptions whose scheduled frequency change starts a cycle inside the running
    term today (or earlier, if the beat missed a day), with the prices locked for the term.
    Changes that start at renewal are applied by the renewal. Idempotent."""
    with scopes_disabled():
        due = list(
            ScheduledChange.objects.filter(
                Q(frequency_from__lte=today),
                Q(frequency_from__lte=F("subscription__term_end")),
                subscription__status=Subscription.Status.ACTIVE,
            ).values_list("pk", flat=True)
        )
    applied, _ = each_row(
        "subscriptions.frequency_change", ScheduledChange, due, _apply_frequency_change
    )
    return sum(applied)


@transaction.atomic
def _apply_frequency_change(pk: int) -> bool:
    with scopes_disabled():
        change = ScheduledChange.objects.select_for_update().filter(pk=pk).first()
        if change is None or not change.billing_frequency:  # applied by a concurrent run
            return False
        sub = _lock(change.subscription)
        with scope(reseller=sub.reseller):
            _apply_frequency(sub, change.billing_frequency, key=f"{sub.pk}:{change.frequency_from}")
            prices = _locked_prices(
                sub.customer,
                sub.offer,
                sub.term,
                sub.billing_frequency,
                sub.term_start,
                currency=sub.currency,
            )
            sub.unit_cost, sub.unit_price = prices.cost, prices.price
            sub.save(update_fields=["billing_frequency", "unit_cost", "unit_price"])
            _charge_cycle_starting(sub, change.frequency_from)  # type: ignore[arg-type]
            _audit(None, sub, "frequency_changed", billing_frequency=sub.billing_frequency)
            if change.quantity is None:
                change.delete()
            else:
                change.billing_frequency, change.frequency_from = "", None
                change.save(update_fields=["billing_frequency", "frequency_from"])
    return True


def _charge_cycle_starting(sub: Subscription, on: date) -> None:
    """Charge the cycle of `sub` that starts on `on` inside its term, unless it was charged
    (same key as the daily cycle run)."""
    key = cycle_key(sub, on)
    if (
        sub.term_start < on <= sub.term_end
        and rules.cycle_containing(sub.term_start, sub.billing_frequency, on)[0] == on
        and not ChargeEvent.objects.filter(key=key).exists()
    ):
        _emit(sub, ChargeEvent.Kind.CYCLE, key=key, on=on, quantity=sub.quantity, full_cycle=True)


def subscriptions_charge_cycles(*, today: date) -> int:
    """Charge the cycles that start `today` inside a running term (e.g. month 2 of an annual
    term billed monthly). Term starts are charged by purchase and renewal; a subscription whose
    frequency switch is due but not applied (Partner Center refused it) waits for the switch,
    which charges its first cycle. Idempotent; each subscription in its own transaction."""
    with scopes_disabled():
        subs = (
            Subscription.objects.filter(
                status=Subscription.Status.ACTIVE,
                provisioning=Subscription.Provisioning.PROVISIONED,
                term_start__lt=today,
                term_end__gte=today,
                offer__product_type__billing=ProductType.Billing.SEATS,
            )
            .exclude(term="P1M")
            .exclude(scheduled_change__frequency_from__lte=today)
            .select_related("offer__product_type")
        )
        starting = {
            cycle_key(sub, today): sub
            for sub in subs
            if rules.cycle_containing(sub.term_start, sub.billing_frequency, today)[0] == today
        }
        charged = set(ChargeEvent.objects.filter(key__in=starting).values_list("key", flat=True))
        due = {sub.pk: (key, sub) for key, sub in starting.items() if key not in charged}

        def charge(pk):
            key, sub = due[pk]
            _emit(
                sub,
                ChargeEvent.Kind.CYCLE,
                key=key,
                on=today,
                quantity=sub.quantity,
                full_cycle=True,
            )

        created = len(each_row("subscriptions.cycle_charge", Subscription, due, charge)[0])
    return created


REMINDER_DAYS = (7, 1)


def subscriptions_remind_renewals(*, today: date) -> int:
    """Tell owners 7 days and 1 day before a subscription renews (once each), each
    subscription in its own transaction."""
    sent = 0
    with scopes_disabled():
        owners = defaultdict(list)  # reseller id -> its owners, loaded once
        for m in Membership.objects.filter(role=Role.OWNER).select_related("user"):
            owners[m.reseller_id].append(m.user)
        for days in REMINDER_DAYS:
            subs = {
                sub.pk: sub
                for sub in Subscription.objects.filter(
                    status=Subscription.Status.ACTIVE,
                    auto_renew=True,
                    term_end=today + timedelta(days=days - 1),
                )
                .exclude(renewal_reminder=str(days))
                .select_related("customer", "offer", "reseller")
            }

            def remind(pk, days=days, subs=subs):
                sub = subs[pk]
                notify(
                    reseller=sub.reseller,
                    users=owners[sub.reseller_id],
                    title=f"{sub.offer.name} for {sub.customer} renews in {days} "
                    f"day{'s' if days > 1 else ''}",
                    body=f"{sub.quantity} seats renew on {sub.term_end + timedelta(days=1)}."
                    " Change seats or turn auto-renew off before then.",
                    url=reverse("subscriptions:detail", kwargs={"subscription_id": sub.pk}),
                )
                sub.renewal_reminder = str(days)
                sub.save(update_fields=["renewal_reminder"])

            sent += len(each_row("subscriptions.renewal_reminder", Subscription, subs, remind)[0])
    return sent


@shared_task(
    bind=True, max_retries=5, acks_late=True, reject_on_worker_lost=True, base=ResellerTask
)
def provision_task(self, subscription_id: int) -> str:
    """Place an order in Partner Center; while it is busy or down, retry with backoff."""
    final = self.request.retries >= self.max_retries
    try:
        sub = subscription_provision(subscription_id=subscription_id, final_attempt=final)
    except ProvisioningDelayed as exc:
        raise self.retry(exc=exc, countdown=30 * 2**self.request.retries) from exc
    return sub.provisioning
