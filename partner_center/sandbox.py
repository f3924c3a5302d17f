"""SandboxGateway: a local Partner Center with its state in our database.

It applies Partner Center's rules (`subscriptions.rules`: 168-hour windows, min/max quantity,
the Business seat cap, term/frequency) and answers with the same typed errors, so the portal
can be demonstrated and tested end to end without the internet. Time is
`django.utils.timezone.now()` (tests move it with time-machine).
"""

import base64
import dataclasses
import hashlib
import json
import re
import secrets
import uuid
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F, Sum
from django.utils import timezone

from partner_center import errors, usage
from partner_center.errors import (
    AlreadyAttested,
    Conflict,
    NotFound,
    OrderPending,
    ValidationFailed,
)
from partner_center.gateway import PartnerCenterGateway
from partner_center.models import (
    SandboxAttestation,
    SandboxCustomer,
    SandboxIdempotencyRecord,
    SandboxSeatBatch,
    SandboxSubscription,
    SandboxTransfer,
)
from partner_center.types import (
    ACTIVE,
    DELETED,
    EXPIRED,
    TRANSFER_ACTIVE,
    TRANSFER_CANCELLED,
    TRANSFER_COMPLETED,
    TRANSFER_EXPIRED,
    TRANSFER_FAILED,
    TRANSFER_MAX_ITEMS,
    TRANSFER_REJECTED,
    Address,
    AddressCheck,
    Attestation,
    CatalogAvailability,
    CatalogProduct,
    CatalogSku,
    CustomerInfo,
    CustomerRequest,
    McaAcceptance,
    NextTerm,
    OrderRequest,
    ResellerRelationship,
    SubscriptionInfo,
    TransferInfo,
    TransferRequest,
    TransitionOption,
    TransitionResult,
    UsagePage,
    dump,
    load,
)
from portal.models import Reseller
from portal.validators import domain_validator
from subscriptions import rules
from subscriptions.catalog.models import Offer, ProductType

TRANSFER_EXPIRY = timedelta(days=30)
MAX_PAGE_SIZE = 5000
# The Microsoft Customer Agreement template id Partner Center publishes (get-customer-agreement-
# metadata); the sandbox answers with it as Partner Center does.
MCA_TEMPLATE_ID = "117a77b0-9360-443b-8795-c6dedc750cf9"
# Partner Center derives a customer's billing currency from its country.
COUNTRY_CURRENCIES = {"US": "USD", "CA": "CAD"}
_POSTAL_CODES = {"US": r"\d{5}(-\d{4})?", "CA": r"[A-Z]\d[A-Z] ?\d[A-Z]\d"}

_RULE_ERRORS = {
    "window_closed": (Conflict, errors.WINDOW_CLOSED),
    "auto_renew_off": (Conflict, errors.WINDOW_CLOSED),
    "perpetual_refund_expired": (Conflict, errors.WINDOW_CLOSED),
    "quantity_below_min": (ValidationFailed, errors.QUANTITY_OUT_OF_RANGE),
    "quantity_above_max": (ValidationFailed, errors.QUANTITY_OUT_OF_RANGE),
    "cap_exceeded": (ValidationFailed, errors.SEAT_CAP_EXCEEDED),
}


def _rule_error(e: rules.RuleError):
    cls, code = _RULE_ERRORS.get(e.code, (ValidationFailed, errors.INVALID_REQUEST))
    return cls(e.message, code=code)


def rules_term_frequency_error(term: str, frequency: str) -> bool:
    """Whether Partner Center would refuse this term billed this way (subscriptions.rules)."""
    try:
        rules.check_term_frequency(term, frequency)
    except rules.RuleError:
        return True
    return False


def _invalid(message):
    return ValidationFailed(message, code=errors.INVALID_REQUEST)


def _utc_midnight(d: date) -> datetime:
    return datetime.combine(d, time.min, tzinfo=UTC)


RESERVED_INSTANCE = "reserved-instance"


def _commitment(
    offer, term: str, frequency: str, quantity: int, currency: str, term_start, from_day
) -> Decimal:
    """What the reservation still commits to from `from_day` (at the catalog cost of its term
    start): the rest of the current cycle, prorated daily, and every later cycle of the term."""
    from subscriptions import proration
    from subscriptions.catalog.pricing import cycle_price
    from subscriptions.selectors import cost_on

    row = cost_on(offer, term, currency, term_start)
    if row is None:
        raise _invalid(f"{offer.name} has no {term} price in {currency}.")
    price = cycle_price(row.cost, term, frequency)
    return sum(
        (
            proration.prorate(
                cycle_price=price,
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


class SandboxGateway(PartnerCenterGateway):
    def __init__(self, seed: int | None = None):
        self.seed = settings.PARTNER_CENTER_SANDBOX_SEED if seed is None else seed

    # --- idempotency ---------------------------------------------------------------------

    def _once(self, key: str, operation: str, request, result_cls, perform):
        """Run `perform()` once per idempotency key; a replay returns the stored result."""
        if not key:
            raise _invalid("An idempotency key is required.")
        fingerprint = hashlib.sha256(
            json.dumps(
                {"operation": operation, "request": request},
                sort_keys=True,
                default=str,
            ).encode()
        ).hexdigest()
        with transaction.atomic():
            record = SandboxIdempotencyRecord.objects.select_for_update().filter(key=key).first()
            if record is not None:
                if record.fingerprint != fingerprint:
                    raise Conflict(
                        f"The idempotency key {key!r} was already used for a "
                        f"different request ({record.operation}).",
                        code=errors.IDEMPOTENCY_MISMATCH,
                    )
                return load(result_cls, record.result)
            result = perform()
            try:
                with transaction.atomic():
                    stored = dump(result)
                    stored.pop("admin_password", None)  # shown once, never replayed
                    SandboxIdempotencyRecord.objects.create(
                        key=key, operation=operation, fingerprint=fingerprint, result=stored
                    )
            except IntegrityError:  # a concurrent call with the same key won
                raise Conflict(
                    f"The request with idempotency key {key!r} is already being processed; retry.",
                    code=errors.IDEMPOTENCY_MISMATCH,
                ) from None
            return result

    # --- customers -----------------------------------------------------------------------

    def _customer(self, tenant_id: str, *, lock=False) -> SandboxCustomer:
        qs = SandboxCustomer.objects.select_for_update() if lock else SandboxCustomer.objects
        customer = qs.filter(tenant_id=str(tenant_id)).first()
        if customer is None:
            raise NotFound(f"Customer {tenant_id} was not found.", code=errors.CUSTOMER_NOT_FOUND)
        return customer

    def get_usage_budget(self, tenant_id):
        return self._customer(tenant_id).usage_budget

    def set_usage_budget(self, tenant_id, amount):
        if amount is not None and amount < 0:
            raise _invalid("The usage budget must not be negative.")
        with transaction.atomic():
            customer = self._customer(tenant_id, lock=True)
            customer.usage_budget = amount
            customer.save(update_fields=["usage_budget"])
        return customer.usage_budget

    @staticmethod
    def _customer_info(c: SandboxCustomer) -> CustomerInfo:
        return CustomerInfo(tenant_id=c.tenant_id, company_name=c.company_name, domain=c.domain)

    def create_customer(self, req, *, idempotency_key):
        return self._once(
            idempotency_key,
            "create_customer",
            dump(req),
            CustomerInfo,
            lambda: self._create_customer(req),
        )

    def _create_customer(self, req: CustomerRequest) -> CustomerInfo:
        optional = {"region", "contact_phone", "associated_partner_id"}
        missing = [
            name
            for name, value in vars(req).items()
            if name not in optional and not str(value).strip()
        ]
        if missing:
            raise _invalid(f"Missing customer fields: {', '.join(missing)}.")
        if len(req.country) != 2:
            raise _invalid("The country must be a 2-letter code.")
        if req.associated_partner_id:
            try:
                uuid.UUID(req.associated_partner_id)
            except ValueError:
                raise _invalid(
                    f"The associated partner {req.associated_partner_id!r} must be "
                    f"the indirect reseller's tenant ID (a GUID)."
                ) from None
        domain = req.domain.lower()
        try:
            domain_validator(domain)
        except ValidationError:
            raise _invalid(f"The domain {req.domain!r} is not a valid domain name.") from None
        if SandboxCustomer.objects.filter(domain=domain).exists():
            raise Conflict(
                f"The domain {domain} is already in use by another customer.",
                code=errors.DOMAIN_TAKEN,
            )
        profile = {
            k: v for k, v in vars(req).items() if k not in {"company_name", "domain", "country"}
        }
        country = req.country.upper()
        customer = SandboxCustomer.objects.create(
            company_name=req.company_name,
            domain=domain,
            country=country,
            currency=COUNTRY_CURRENCIES.get(country, "USD"),
            reseller_mpn_id="",
            profile=profile,
            created_at=timezone.now(),
        )
        return dataclasses.replace(
            self._customer_info(customer),
            admin_user_name=f"admin@{domain}",
            admin_password=secrets.token_urlsafe(12),
        )

    def get_customer(self, tenant_id):
        return self._customer_info(self._customer(tenant_id))

    def get_mca_template_id(self):
        return MCA_TEMPLATE_ID

    def is_domain_available(self, domain):
        return not SandboxCustomer.objects.filter(domain=domain.lower()).exists()

    def validate_address(self, address: Address) -> AddressCheck:
        """Partner Center's statuses: complete addresses with a postal code of the country's
        form are "VerifiedShippable"; otherwise "StreetPartial" naming the fields."""
        pattern = _POSTAL_CODES.get(address.country.upper())
        bad = [
            name
            for name, value in (
                ("AddressLine1", address.address_line1),
                ("City", address.city),
                ("Region", address.region),
            )
            if not value.strip()
        ]
        if "AddressLine1" not in bad and not address.address_line1.strip()[0].isdigit():
            bad.append("AddressLine1")  # no street number
        if pattern and not re.fullmatch(pattern, address.postal_code.strip().upper()):
            bad.append("PostalCode")
        if bad:
            return AddressCheck(
                status="StreetPartial",
                verified=False,
                suggestions=[],
                message="Address field invalid for property: " + ", ".join(f"'{b}'" for b in bad),
            )
        return AddressCheck(status="VerifiedShippable", verified=True, message="", suggestions=[])

    def list_indirect_resellers(self):
        return [
            self._relationship(r)
            for r in Reseller.objects.exclude(tenant_id=None)
            .exclude(partner_id="")
            .order_by("name")
        ]

    def get_customer_resellers(self, tenant_id):
        associated = self._customer(tenant_id).profile.get("associated_partner_id")
        reseller = Reseller.objects.filter(tenant_id=associated).first() if associated else None
        return [self._relationship(reseller)] if reseller else []

    @staticmethod
    def _relationship(r: Reseller) -> ResellerRelationship:
        return ResellerRelationship(
            tenant_id=str(r.tenant_id),
            name=r.name,
            mpn_id=r.partner_id,
            location=r.country,
            state="Active",
        )

    def get_relationship_request_link(self):
        return (
            "https://admin.microsoft.com/Adminportal/Home?invType=ResellerRelationship"
            f"&partnerId={settings.PARTNER_CENTER_PROVIDER_TENANT_ID}&msppId=0&DAP=false"
            "#/BillingAccounts/partner-invitation"
        )

    def find_customer(self, *, domain, reseller_mpn_id):
        customer = SandboxCustomer.objects.filter(domain=domain.strip().lower()).first()
        if customer is None:
            return None
        resellers = {
            customer.reseller_mpn_id,
            *customer.related_mpn_ids,
            *(r.mpn_id for r in self.get_customer_resellers(customer.tenant_id)),
        }
        return self._customer_info(customer) if reseller_mpn_id in resellers else None

    def accept_relationship(self, tenant_id, reseller_mpn_id):
        """The customer accepts another indirect reseller's relationship request (what the
        customer does in the Microsoft 365 admin center; sandbox only)."""
        with transaction.atomic():
            customer = self._customer(tenant_id, lock=True)
            if reseller_mpn_id not in (customer.reseller_mpn_id, *customer.related_mpn_ids):
                customer.related_mpn_ids = [*customer.related_mpn_ids, reseller_mpn_id]
                customer.save(update_fields=["related_mpn_ids"])

    def attest_mca(self, tenant_id, acceptance: McaAcceptance):
        with transaction.atomic():
            customer = self._customer(tenant_id)
            missing = [
                n
                for n in ("first_name", "last_name", "email", "template_id")
                if not getattr(acceptance, n).strip()
            ]
            if missing:
                raise _invalid(f"Missing acceptance fields: {', '.join(missing)}.")
            agreed = acceptance.date_agreed
            if agreed.tzinfo is None:
                raise _invalid("The date agreed must include its time zone (UTC).")
            if agreed > timezone.now():
                raise _invalid(f"The date agreed ({agreed.isoformat()}) is in the future.")
            contact = {
                "first_name": acceptance.first_name,
                "last_name": acceptance.last_name,
                "email": acceptance.email,
                "phone": acceptance.phone,
            }
            previous = SandboxAttestation.objects.filter(customer=customer).first()
            if previous and all(getattr(previous, k) == v for k, v in contact.items()):
                # Partner Center: another agreement only when the contact changed, else 600061
                raise AlreadyAttested()
            SandboxAttestation.objects.update_or_create(
                customer=customer,
                defaults={
                    **contact,
                    "date_agreed": agreed,
                    "template_id": acceptance.template_id,
                    "created_at": timezone.now(),
                },
            )
        return Attestation(
            tenant_id=customer.tenant_id,
            template_id=acceptance.template_id,
            date_agreed=agreed,
            already_attested=False,
        )

    # --- subscriptions -------------------------------------------------------------------

    @staticmethod
    def _info(s: SandboxSubscription) -> SubscriptionInfo:
        now = timezone.now()
        seats = s.offer.product_type.billing == ProductType.Billing.SEATS
        refundable = (
            sum(b.quantity for b in s.batches.all() if rules.window_open(b.opened_at, now))
            if seats
            else None
        )
        return SubscriptionInfo(
            subscription_id=s.subscription_id,
            tenant_id=s.customer.tenant_id,
            offer_sku=s.offer.sku,
            quantity=s.quantity,
            term=s.term,
            billing_frequency=s.billing_frequency,
            auto_renew=s.auto_renew,
            status=s.status,
            created_at=s.created_at,
            term_start=s.term_start,
            term_end=s.term_end,
            refundable_quantity=refundable if s.status == ACTIVE else None,
            cancellation_allowed_until=rules.window_closes_at(s.term_started_at)
            if seats and s.status == ACTIVE
            else None,
            next_term=NextTerm(**s.next_term) if s.next_term else None,
        )

    def _subscription(self, tenant_id, subscription_id, *, lock=True) -> SandboxSubscription:
        customer = self._customer(tenant_id, lock=lock)
        qs = SandboxSubscription.objects.select_related(
            "customer", "offer__product_type", "offer__cap_group"
        )
        if lock:
            qs = qs.select_for_update(of=("self",))
        sub = qs.filter(customer=customer, subscription_id=str(subscription_id)).first()
        if sub is None:
            raise NotFound(
                f"Subscription {subscription_id} was not found for customer {tenant_id}.",
                code=errors.SUBSCRIPTION_NOT_FOUND,
            )
        self._renew_if_due(sub)
        return sub

    @staticmethod
    def _renew_if_due(sub: SandboxSubscription) -> None:
        """Renew (or expire) terms whose last day has passed: renewal happens the day after
        the term's last day and opens a new window with all seats in one batch."""
        today = timezone.now().date()
        if sub.status != ACTIVE or today <= sub.term_end:
            return
        if sub.offer.product_type.billing == ProductType.Billing.ONE_TIME:
            return  # a perpetual licence neither renews nor expires
        if not sub.auto_renew:
            sub.status, sub.ended_on = EXPIRED, sub.term_end
        else:
            if sub.next_term:  # scheduledNextTermInstructions take effect at renewal
                sub.quantity = sub.next_term["quantity"]
                sub.term = sub.next_term["term"]
                sub.billing_frequency = sub.next_term["billing_frequency"]
                sub.next_term = {}
            while today > sub.term_end:
                sub.term_start = sub.term_end + timedelta(days=1)
                sub.term_end = rules.term_end(sub.term_start, sub.term)
            sub.term_started_at = _utc_midnight(sub.term_start)
            sub.batches.all().delete()
            SandboxSeatBatch.objects.create(
                subscription=sub, quantity=sub.quantity, opened_at=sub.term_started_at
            )
        sub.save()

    @staticmethod
    def _offer(sku: str) -> Offer:
        offer = Offer.objects.select_related("product_type", "cap_group").filter(sku=sku).first()
        if offer is None:
            raise NotFound(f"Offer {sku} was not found.", code=errors.OFFER_NOT_FOUND)
        return offer

    @staticmethod
    def _require_mca(customer: SandboxCustomer) -> None:
        if not SandboxAttestation.objects.filter(customer=customer).exists():
            raise ValidationFailed(
                f"Customer {customer.tenant_id} has no attested Microsoft Customer Agreement "
                f"acceptance; no purchase or seat change until it has.",
                code=errors.MCA_REQUIRED,
            )

    @staticmethod
    def _check_cap(customer, offer: Offer, new_seats: int) -> None:
        if offer.cap_group is None or new_seats <= 0:
            return
        existing = (
            SandboxSubscription.objects.filter(
                customer=customer,
                status=ACTIVE,
                offer__cap_group=offer.cap_group,
            ).aggregate(n=Sum("quantity"))["n"]
            or 0
        )
        rules.check_cap(
            existing_seats=existing,
            new_seats=new_seats,
            cap=offer.cap_group.max_seats,
            cap_name=offer.cap_group.name,
        )

    def create_order(self, tenant_id, req: OrderRequest, *, idempotency_key):
        """As Partner Center: the checkout validates and places the order at once; the order
        then answers "pending" to the first PARTNER_CENTER_SANDBOX_ORDER_CHECKS checks (0: it
        completes at once) before it gives its subscription."""
        result = self._once(
            idempotency_key,
            f"create_order:{tenant_id}",
            req.identity(),
            SubscriptionInfo,
            lambda: self._create_order(tenant_id, req),
        )
        pending_checks = getattr(settings, "PARTNER_CENTER_SANDBOX_ORDER_CHECKS", 0)
        if SandboxIdempotencyRecord.objects.filter(
            key=idempotency_key, checks__lt=pending_checks
        ).update(checks=F("checks") + 1):
            raise OrderPending(
                f"Partner Center accepted the order for {req.offer_sku} and is "
                f"still provisioning it; it will be checked again."
            )
        return result

    def _create_order(self, tenant_id, req: OrderRequest) -> SubscriptionInfo:
        customer = self._customer(tenant_id, lock=True)  # serialises the seat-cap check
        offer = self._offer(":".join(req.offer_sku.split(":")[:2]))
        if offer.product_type.status != ProductType.Status.SELLABLE or not offer.is_active:
            raise _invalid(
                f"Offer {offer.sku} ({offer.name}) cannot be bought: "
                f"{offer.product_type.reason or 'it is not sellable'}"
            )
        self._check_offer_sold(offer, req.term, req.billing_frequency)
        self._require_mca(customer)
        try:
            rules.check_term_frequency(req.term, req.billing_frequency)
            rules.check_quantity(
                req.quantity, min_quantity=offer.min_quantity, max_quantity=offer.max_quantity
            )
            self._check_cap(customer, offer, req.quantity)
        except rules.RuleError as e:
            raise _rule_error(e) from None
        now = timezone.now()
        sub = SandboxSubscription.objects.create(
            customer=customer,
            offer=offer,
            quantity=req.quantity,
            term=req.term,
            billing_frequency=req.billing_frequency,
            auto_renew=req.auto_renew,
            created_at=now,
            term_start=now.date(),
            term_end=rules.term_end(now.date(), req.term),
            term_started_at=now,
        )
        SandboxSeatBatch.objects.create(subscription=sub, quantity=req.quantity, opened_at=now)
        return self._info(sub)

    @staticmethod
    def _check_offer_sold(offer: Offer, term: str, frequency: str) -> None:
        if term not in offer.term_list:
            raise _invalid(
                f"Offer {offer.sku} is not sold on a {term} term "
                f"(allowed: {', '.join(offer.term_list)})."
            )
        if frequency not in offer.frequency_list:
            raise _invalid(
                f"Offer {offer.sku} cannot be billed {frequency} "
                f"(allowed: {', '.join(offer.frequency_list)})."
            )

    def change_term(self, tenant_id, subscription_id, *, term, billing_frequency, idempotency_key):
        return self._once(
            idempotency_key,
            f"change_term:{tenant_id}:{subscription_id}",
            [term, billing_frequency],
            SubscriptionInfo,
            lambda: self._change_term(tenant_id, subscription_id, term, billing_frequency),
        )

    def _change_term(self, tenant_id, subscription_id, term, frequency) -> SubscriptionInfo:
        """A longer term starts today (the seats and their windows stay); a frequency alone
        changes from now on."""
        sub = self._seat_subscription(tenant_id, subscription_id, "term")
        self._check_offer_sold(sub.offer, term, frequency)
        self._require_mca(sub.customer)
        try:
            if term != sub.term:
                rules.check_term_change(sub.term, term)
            elif frequency == sub.billing_frequency:
                raise rules.RuleError(
                    "frequency_unchanged",
                    f"Subscription {sub.subscription_id} is already {term}, billed {frequency}.",
                )
            rules.check_term_frequency(term, frequency)
        except rules.RuleError as e:
            raise _rule_error(e) from None
        if term != sub.term:
            today = timezone.now().date()
            sub.term, sub.term_start, sub.term_end = term, today, rules.term_end(today, term)
        sub.billing_frequency = frequency
        sub.save(update_fields=["term", "term_start", "term_end", "billing_frequency"])
        return self._info(sub)

    def change_quantity(self, tenant_id, subscription_id, quantity, *, idempotency_key):
        return self._once(
            idempotency_key,
            f"change_quantity:{tenant_id}:{subscription_id}",
            quantity,
            SubscriptionInfo,
            lambda: self._change_quantity(tenant_id, subscription_id, quantity),
        )

    def _seat_subscription(self, tenant_id, subscription_id, what: str) -> SandboxSubscription:
        """The active seat-based subscription whose `what` (seats, term) is to change."""
        sub = self._subscription(tenant_id, subscription_id)
        if sub.status != ACTIVE:
            raise Conflict(
                f"Subscription {sub.subscription_id} is {sub.status}; its {what} cannot change.",
                code=errors.INVALID_STATE,
            )
        if sub.offer.product_type.billing != ProductType.Billing.SEATS:
            raise _invalid(f"{sub.offer.name} has no {what} to change.")
        return sub

    def _change_quantity(self, tenant_id, subscription_id, quantity: int) -> SubscriptionInfo:
        sub = self._seat_subscription(tenant_id, subscription_id, "seats")
        self._require_mca(sub.customer)
        now = timezone.now()
        try:
            rules.check_quantity(
                quantity, min_quantity=sub.offer.min_quantity, max_quantity=sub.offer.max_quantity
            )
            if quantity > sub.quantity:
                self._check_cap(sub.customer, sub.offer, quantity - sub.quantity)
                SandboxSeatBatch.objects.create(
                    subscription=sub, opened_at=now, quantity=quantity - sub.quantity
                )
            elif quantity < sub.quantity:
                self._remove_seats(sub, sub.quantity - quantity, now)
        except rules.RuleError as e:
            raise _rule_error(e) from None
        sub.quantity = quantity
        sub.next_term = {}  # an immediate change replaces what was scheduled for renewal
        sub.save(update_fields=["quantity", "next_term"])
        return self._info(sub)

    @staticmethod
    def _remove_seats(sub: SandboxSubscription, remove: int, now: datetime) -> None:
        batches = list(sub.batches.all())
        plan = rules.plan_seat_decrease(
            batches=[rules.Batch(b.quantity, b.opened_at, key=b.pk) for b in batches],
            remove=remove,
            now=now,
            auto_renew=True,
        )
        if not plan.immediate:
            closed = max(
                rules.window_closes_at(b.opened_at)
                for b in batches
                if not rules.window_open(b.opened_at, now)
            )
            raise Conflict(
                f"Only {plan.removable_now} of the {remove} seats can be removed now: seats "
                f"can be removed within 168 hours of being added, and that window closed on "
                f"{rules.format_instant(closed)}. Schedule the decrease for renewal instead.",
                code=errors.WINDOW_CLOSED,
            )
        by_pk = {b.pk: b for b in batches}
        for batch, taken in plan.reductions:
            row = by_pk[batch.key]
            row.quantity -= taken
            if row.quantity:
                row.save(update_fields=["quantity"])
            else:
                row.delete()

    def cancel_subscription(self, tenant_id, subscription_id, *, idempotency_key):
        return self._once(
            idempotency_key,
            f"cancel_subscription:{tenant_id}:{subscription_id}",
            None,
            SubscriptionInfo,
            lambda: self._cancel(tenant_id, subscription_id),
        )

    def _cancel(self, tenant_id, subscription_id) -> SubscriptionInfo:
        sub = self._subscription(tenant_id, subscription_id)
        if sub.status != ACTIVE:
            raise Conflict(
                f"Subscription {sub.subscription_id} is already {sub.status}.",
                code=errors.INVALID_STATE,
            )
        now = timezone.now()
        billing = sub.offer.product_type.billing
        try:
            if billing == ProductType.Billing.SEATS:
                rules.check_cancel(window_opened_at=sub.term_started_at, now=now)
            elif billing == ProductType.Billing.ONE_TIME:
                rules.check_perpetual_refund(purchase_date=sub.created_at.date(), today=now.date())
        except rules.RuleError as e:
            raise _rule_error(e) from None
        sub.status, sub.ended_on = DELETED, now.date()
        sub.save(update_fields=["status", "ended_on"])
        return self._info(sub)

    def exchange_reservation(
        self, tenant_id, subscription_id, req: OrderRequest, *, idempotency_key
    ):
        return self._once(
            idempotency_key,
            f"exchange_reservation:{tenant_id}:{subscription_id}",
            dump(req),
            SubscriptionInfo,
            lambda: self._exchange(tenant_id, subscription_id, req),
        )

    def calculate_exchange(self, tenant_id, subscription_id, req: OrderRequest) -> tuple:
        """(remaining commitment of the old, commitment of the new) in the customer's
        currency, after the same checks as the exchange (a dry run)."""
        old = self._subscription(tenant_id, subscription_id)
        new_offer = self._offer(req.offer_sku)
        for offer in (old.offer, new_offer):
            if offer.product_type.code != RESERVED_INSTANCE:
                raise _invalid(
                    f"{offer.name} is not a Reserved Instance; only reservations are exchanged."
                )
        if old.status != ACTIVE:
            raise Conflict(
                f"Reservation {old.subscription_id} is {old.status}.", code=errors.INVALID_STATE
            )
        self._check_offer_sold(new_offer, req.term, req.billing_frequency)
        try:
            rules.check_term_frequency(req.term, req.billing_frequency)
            rules.check_quantity(
                req.quantity,
                min_quantity=new_offer.min_quantity,
                max_quantity=new_offer.max_quantity,
            )
        except rules.RuleError as e:
            raise _rule_error(e) from None
        today = timezone.now().date()
        currency = old.customer.currency
        remaining = _commitment(
            old.offer,
            old.term,
            old.billing_frequency,
            old.quantity,
            currency,
            old.term_start,
            today,
        )
        new = _commitment(
            new_offer, req.term, req.billing_frequency, req.quantity, currency, today, today
        )
        return remaining, new

    def _exchange(self, tenant_id, subscription_id, req: OrderRequest) -> SubscriptionInfo:
        remaining, new = self.calculate_exchange(tenant_id, subscription_id, req)
        try:
            rules.check_ri_exchange(new_commitment=new, remaining_commitment=remaining)
        except rules.RuleError as e:
            raise Conflict(e.message, code=errors.INVALID_STATE) from None
        old = self._subscription(tenant_id, subscription_id)
        now = timezone.now()
        old.status, old.ended_on = DELETED, now.date()
        old.save(update_fields=["status", "ended_on"])
        sub = SandboxSubscription.objects.create(
            customer=old.customer,
            offer=self._offer(req.offer_sku),
            quantity=req.quantity,
            term=req.term,
            billing_frequency=req.billing_frequency,
            auto_renew=req.auto_renew,
            created_at=now,
            term_start=now.date(),
            term_end=rules.term_end(now.date(), req.term),
            term_started_at=now,
        )
        SandboxSeatBatch.objects.create(subscription=sub, quantity=req.quantity, opened_at=now)
        return self._info(sub)

    def set_auto_renew(self, tenant_id, subscription_id, auto_renew):
        with transaction.atomic():
            sub = self._subscription(tenant_id, subscription_id)
            if sub.status != ACTIVE:
                raise Conflict(
                    f"Subscription {sub.subscription_id} is {sub.status}.",
                    code=errors.INVALID_STATE,
                )
            sub.auto_renew = bool(auto_renew)
            sub.save(update_fields=["auto_renew"])
            return self._info(sub)

    def get_subscriptions(self, tenant_id):
        with transaction.atomic():
            customer = self._customer(tenant_id)
            subs = list(
                SandboxSubscription.objects.select_for_update(of=("self",))
                .select_related("customer", "offer__product_type")
                .prefetch_related("batches")
                .filter(customer=customer)
            )
            for sub in subs:
                self._renew_if_due(sub)
            return [self._info(s) for s in subs]

    def get_subscription(self, tenant_id, subscription_id):
        with transaction.atomic():
            return self._info(self._subscription(tenant_id, subscription_id))

    def schedule_next_term(
        self, tenant_id, subscription_id, *, quantity, term, billing_frequency, idempotency_key
    ):
        return self._once(
            idempotency_key,
            f"schedule_next_term:{tenant_id}:{subscription_id}",
            [quantity, term, billing_frequency],
            SubscriptionInfo,
            lambda: self._schedule(tenant_id, subscription_id, quantity, term, billing_frequency),
        )

    def _schedule(self, tenant_id, subscription_id, quantity, term, frequency):
        sub = self._seat_subscription(tenant_id, subscription_id, "next term")
        if not sub.auto_renew:
            raise Conflict(
                f"Subscription {sub.subscription_id} does not renew automatically; "
                f"turn auto-renew on to schedule changes for its renewal.",
                code=errors.INVALID_STATE,
            )
        self._check_offer_sold(sub.offer, term, frequency)
        try:
            rules.check_term_frequency(term, frequency)
            rules.check_quantity(
                quantity, min_quantity=sub.offer.min_quantity, max_quantity=sub.offer.max_quantity
            )
        except rules.RuleError as e:
            raise _rule_error(e) from None
        sub.next_term = {"quantity": quantity, "term": term, "billing_frequency": frequency}
        sub.save(update_fields=["next_term"])
        return self._info(sub)

    # --- transitions (upgrades) ----------------------------------------------------------

    @staticmethod
    def _upgrade_targets(offer: Offer):
        """Offers a subscription may move to: the other sellable offers of its seat-cap family
        (Microsoft 365 Business Basic → Standard → Premium)."""
        if offer.cap_group_id is None:
            return []
        return list(
            Offer.objects.select_related("product_type")
            .filter(
                cap_group_id=offer.cap_group_id,
                is_active=True,
                product_type__status=ProductType.Status.SELLABLE,
            )
            .exclude(pk=offer.pk)
            .order_by("sku")
        )

    def get_transition_options(self, tenant_id, subscription_id):
        with transaction.atomic():
            sub = self._subscription(tenant_id, subscription_id)
            reasons = [] if sub.status == ACTIVE else ["Subscription is not active."]
            return [
                TransitionOption(
                    catalog_item_id=target.sku,
                    title=target.name,
                    eligible=not reasons,
                    transition_types=[] if reasons else ["transition_only"],
                    reasons=reasons,
                )
                for target in self._upgrade_targets(sub.offer)
            ]

    def transition(
        self,
        tenant_id,
        subscription_id,
        *,
        to_catalog_item_id,
        quantity,
        idempotency_key,
        to_subscription_id=None,
    ):
        return self._once(
            idempotency_key,
            f"transition:{tenant_id}:{subscription_id}",
            [to_catalog_item_id, quantity, to_subscription_id],
            TransitionResult,
            lambda: self._transition(
                tenant_id, subscription_id, to_catalog_item_id, quantity, to_subscription_id
            ),
        )

    def _transition(self, tenant_id, subscription_id, to_sku, quantity, to_subscription_id):
        """Move `quantity` seats to the target offer: into `to_subscription_id`, or a new
        subscription ending with the source's term that keeps the source's cancellation window
        (DESIGN: a partial upgrade's target inherits it). A full upgrade ends the source."""
        sub = self._seat_subscription(tenant_id, subscription_id, "product")
        target_offer = self._offer(":".join(to_sku.split(":")[:2]))
        if target_offer not in self._upgrade_targets(sub.offer):
            raise _invalid(f"{sub.offer.name} cannot be upgraded to {target_offer.name}.")
        if not 1 <= quantity <= sub.quantity:
            raise _invalid(f"Between 1 and {sub.quantity} seats can be upgraded, not {quantity}.")
        now = timezone.now()
        if to_subscription_id:
            target = self._seat_subscription(tenant_id, to_subscription_id, "seats")
            if target.offer_id != target_offer.pk:
                raise _invalid(f"Subscription {to_subscription_id} is not {target_offer.name}.")
            target.quantity += quantity
            target.save(update_fields=["quantity"])
        else:
            target = SandboxSubscription.objects.create(
                customer=sub.customer,
                offer=target_offer,
                quantity=quantity,
                term=sub.term,
                billing_frequency=sub.billing_frequency,
                auto_renew=sub.auto_renew,
                created_at=now,
                term_start=now.date(),
                term_end=sub.term_end,
                term_started_at=sub.term_started_at,
            )
        SandboxSeatBatch.objects.create(
            subscription=target, quantity=quantity, opened_at=sub.term_started_at
        )
        remaining, left = sub.quantity - quantity, quantity
        for batch in sub.batches.order_by("-opened_at", "-id"):  # the newest seats move first
            taken = min(left, batch.quantity)
            left -= taken
            if taken == batch.quantity:
                batch.delete()
            elif taken:
                batch.quantity -= taken
                batch.save(update_fields=["quantity"])
        sub.quantity = remaining
        if remaining == 0:
            sub.status, sub.ended_on = DELETED, now.date()
        sub.save(update_fields=["quantity", "status", "ended_on"])
        return TransitionResult(
            from_subscription_id=sub.subscription_id,
            to_catalog_item_id=target_offer.sku,
            to_subscription_id=target.subscription_id,
            quantity=quantity,
            transition_type="transition_only",
            status="Completed",
        )

    # --- transfers (New Commerce, both directions; Microsoft's statuses) ------------------

    def _transfer(self, tenant_id, transfer_id) -> SandboxTransfer:
        customer = self._customer(tenant_id)
        transfer = (
            SandboxTransfer.objects.select_for_update()
            .select_related("customer")
            .filter(customer=customer, transfer_id=str(transfer_id))
            .first()
        )
        if transfer is None:
            raise NotFound(
                f"Transfer {transfer_id} was not found for customer {tenant_id}.",
                code=errors.TRANSFER_NOT_FOUND,
            )
        self._expire_if_due(transfer)
        return transfer

    @staticmethod
    def _expire_if_due(transfer: SandboxTransfer) -> None:
        if transfer.status == TRANSFER_ACTIVE and timezone.now() >= transfer.expires_at:
            transfer.status = TRANSFER_EXPIRED
            transfer.save(update_fields=["status"])

    @staticmethod
    def _transfer_info(t: SandboxTransfer) -> TransferInfo:
        return TransferInfo(
            transfer_id=t.transfer_id,
            tenant_id=t.customer.tenant_id,
            status=t.status,
            subscription_ids=list(t.subscription_ids),
            created_at=t.created_at,
            expires_at=t.expires_at,
            source_partner_tenant_id=t.source_partner_tenant_id,
            source_partner_name=t.source_partner_name,
            target_partner_tenant_id=str(settings.PARTNER_CENTER_PROVIDER_TENANT_ID),
            customer_email=t.customer_email,
            completed_at=t.completed_at,
        )

    def create_transfer(self, tenant_id, req: TransferRequest, *, idempotency_key):
        return self._once(
            idempotency_key,
            f"create_transfer:{tenant_id}",
            dump(req),
            TransferInfo,
            lambda: self._create_transfer(tenant_id, req),
        )

    def _create_transfer(self, tenant_id, req: TransferRequest) -> TransferInfo:
        """create-a-transfer's required fields: sourcePartnerTenantId (a GUID),
        sourcePartnerName, customerEmailId; at most 25 line items."""
        customer = self._customer(tenant_id)
        ids = [str(s).strip() for s in req.subscription_ids]
        if not ids or not all(ids):
            raise _invalid("A transfer needs at least one subscription ID.")
        if len(ids) > TRANSFER_MAX_ITEMS:
            raise ValidationFailed(
                f"A transfer may move at most {TRANSFER_MAX_ITEMS} "
                f"subscriptions; this one has {len(ids)}.",
                code=errors.TRANSFER_TOO_LARGE,
            )
        if len(set(ids)) != len(ids):
            raise _invalid("A subscription appears twice in the transfer.")
        try:
            uuid.UUID(req.source_partner_tenant_id)
        except ValueError:
            raise _invalid(
                f"The source partner tenant ID {req.source_partner_tenant_id!r} must be a GUID."
            ) from None
        if not req.source_partner_name.strip():
            raise _invalid("The source partner's name is required.")
        if "@" not in req.customer_email:
            raise _invalid(f"The customer e-mail {req.customer_email!r} is not an e-mail address.")
        now = timezone.now()
        transfer = SandboxTransfer.objects.create(
            customer=customer,
            source_partner_tenant_id=req.source_partner_tenant_id.lower(),
            source_partner_name=req.source_partner_name.strip(),
            customer_email=req.customer_email.strip(),
            source_partner_mpn_id=req.partner_id_on_record,
            subscription_ids=ids,
            created_at=now,
            expires_at=now + TRANSFER_EXPIRY,
        )
        return self._transfer_info(transfer)

    def get_transfer(self, tenant_id, transfer_id):
        with transaction.atomic():
            return self._transfer_info(self._transfer(tenant_id, transfer_id))

    def list_transfers(self, tenant_id):
        with transaction.atomic():
            rows = list(
                SandboxTransfer.objects.select_for_update()
                .select_related("customer")
                .filter(customer=self._customer(tenant_id))
                .order_by("created_at", "id")
            )
            for row in rows:
                self._expire_if_due(row)
            return [self._transfer_info(t) for t in rows]

    def cancel_transfer(self, tenant_id, transfer_id):
        return self._set_transfer_status(tenant_id, transfer_id, TRANSFER_CANCELLED)

    def accept_transfer(self, tenant_id, transfer_id, *, subscription_ids, idempotency_key):
        with transaction.atomic():
            transfer = self._transfer(tenant_id, transfer_id)
            if transfer.status == TRANSFER_COMPLETED:
                return self._transfer_info(transfer)  # a retry after the answer was lost
            ids = [str(s) for s in subscription_ids]
            if not ids:
                raise _invalid("Accept at least one subscription of the transfer.")
            held = set(
                SandboxSubscription.objects.filter(
                    customer=transfer.customer, subscription_id__in=ids, status=ACTIVE
                ).values_list("subscription_id", flat=True)
            )
            missing = [s for s in ids if s not in held]
            if missing:
                raise Conflict(
                    f"Subscription {missing[0]} is not an active subscription of the customer.",
                    code=errors.INVALID_STATE,
                )
            transfer.subscription_ids = ids
            transfer.save(update_fields=["subscription_ids"])
        info = self._set_transfer_status(tenant_id, transfer_id, TRANSFER_COMPLETED)
        return info

    def reject_transfer(self, tenant_id, transfer_id):
        return self._set_transfer_status(tenant_id, transfer_id, TRANSFER_REJECTED)

    def fail_transfer(self, tenant_id, transfer_id) -> TransferInfo:
        """Sandbox only: Partner Center failed to move the subscriptions."""
        return self._set_transfer_status(tenant_id, transfer_id, TRANSFER_FAILED)

    def _set_transfer_status(self, tenant_id, transfer_id, status) -> TransferInfo:
        with transaction.atomic():
            transfer = self._transfer(tenant_id, transfer_id)
            if transfer.status != TRANSFER_ACTIVE:
                raise Conflict(
                    f"Transfer {transfer.transfer_id} is {transfer.status}; only an "
                    f"Active transfer can become {status}.",
                    code=errors.INVALID_STATE,
                )
            transfer.status = status
            if status == TRANSFER_COMPLETED:
                transfer.completed_at = timezone.now()
            transfer.save(update_fields=["status", "completed_at"])
            return self._transfer_info(transfer)

    # --- catalog (the portal's own offers, as Partner Center's catalog would list them) ---

    # Partner Center's target views (get-a-list-of-products) → the product types they hold
    TARGET_VIEWS = {
        "OnlineServices": ("nce",),
        "MicrosoftAzure": ("azure-plan",),
        "AzureReservations": ("reserved-instance",),
        "Software": ("software-subscription", "perpetual-software"),
    }

    def _catalog_offers(self, *, product_id=None, sku_id=None):
        qs = Offer.objects.select_related("product_type").filter(
            is_active=True, product_type__status=ProductType.Status.SELLABLE, sku__contains=":"
        )
        if product_id is not None:
            qs = qs.filter(sku__startswith=f"{product_id}:")
        offers = [o for o in qs.order_by("sku") if len(o.sku.split(":")) == 2]
        if sku_id is not None:
            offers = [o for o in offers if o.sku.split(":")[1] == sku_id]
        return offers

    @staticmethod
    def _check_country(country: str) -> None:
        if len(country or "") != 2:
            raise _invalid("country is required (a 2-letter code).")

    def list_products(self, *, country, target_view):
        self._check_country(country)
        if target_view not in self.TARGET_VIEWS:
            raise ValidationFailed(
                "Access to the requested targetView is not allowed.", code=400036
            )
        seen: dict[str, CatalogProduct] = {}
        for offer in self._catalog_offers():
            if offer.product_type.code in self.TARGET_VIEWS[target_view]:
                product = offer.sku.split(":")[0]
                seen.setdefault(product, CatalogProduct(product, offer.name, target_view))
        return list(seen.values())

    def list_skus(self, product_id, *, country):
        self._check_country(country)
        offers = self._catalog_offers(product_id=product_id)
        if not offers:
            raise NotFound(f"Product {product_id} was not found.", code=errors.OFFER_NOT_FOUND)
        return [
            CatalogSku(
                product_id=product_id,
                sku_id=o.sku.split(":")[1],
                title=o.name,
                min_quantity=o.min_quantity,
                max_quantity=o.max_quantity,
            )
            for o in offers
        ]

    def list_availabilities(self, product_id, sku_id, *, country):
        self._check_country(country)
        offers = self._catalog_offers(product_id=product_id, sku_id=sku_id)
        if not offers:
            raise NotFound(f"SKU {product_id}:{sku_id} was not found.", code=errors.OFFER_NOT_FOUND)
        offer = offers[0]
        # one availability per country, stable: Partner Center's ids are 12 characters
        availability = hashlib.sha256(f"{offer.sku}|{country.upper()}".encode()).hexdigest()
        availability = availability[:12].upper()
        terms = [
            f"{term}:{frequency}"
            for term in offer.term_list
            for frequency in offer.frequency_list
            if not rules_term_frequency_error(term, frequency)
        ]
        return [
            CatalogAvailability(
                product_id=product_id,
                sku_id=sku_id,
                availability_id=availability,
                catalog_item_id=f"{offer.sku}:{availability}",
                purchasable=True,
                terms=terms,
            )
        ]

    # --- usage ---------------------------------------------------------------------------

    def fetch_usage(self, *, start, end, tenant_id=None, continuation_token=None, page_size=2000):
        if end < start:
            raise _invalid(f"The usage period ends ({end}) before it starts ({start}).")
        if not 1 <= page_size <= MAX_PAGE_SIZE:
            raise _invalid(f"The page size must be 1–{MAX_PAGE_SIZE}, not {page_size}.")
        query = hashlib.sha256(f"{start}|{end}|{tenant_id}|{self.seed}".encode()).hexdigest()
        offset = self._decode_token(continuation_token, query) if continuation_token else 0
        subs = (
            SandboxSubscription.objects.select_related("customer")
            .filter(
                offer__product_type__code="azure-plan",
                created_at__date__lte=end,
            )
            .exclude(ended_on__lt=start)
            .order_by("subscription_id")
        )
        if tenant_id is not None:
            subs = subs.filter(customer=self._customer(tenant_id))
        spans = []
        for s in subs:
            first = max(start, s.created_at.date())
            last = min(end, s.ended_on or end)
            if first <= last:
                spans.append(
                    usage.Span(
                        tenant_id=s.customer.tenant_id,
                        customer_name=s.customer.company_name,
                        subscription_id=s.subscription_id,
                        currency=s.customer.currency,
                        first_day=first,
                        days=(last - first).days + 1,
                    )
                )
        lines, more = usage.generate(spans, seed=self.seed, offset=offset, limit=page_size)
        token = self._encode_token(offset + len(lines), query) if more else None
        return UsagePage(lines=lines, continuation_token=token)

    @staticmethod
    def _encode_token(offset: int, query: str) -> str:
        raw = json.dumps({"o": offset, "q": query[:16]}).encode()
        return base64.urlsafe_b64encode(raw).decode()

    @staticmethod
    def _decode_token(token: str, query: str) -> int:
        try:
            data = json.loads(base64.urlsafe_b64decode(token.encode()))
            offset, q = int(data["o"]), data["q"]
        except (ValueError, TypeError, KeyError):
            raise _invalid("The continuation token is not valid.") from None
        if q != query[:16] or offset < 0:
            raise _invalid("The continuation token belongs to another usage query.")
        return offset
