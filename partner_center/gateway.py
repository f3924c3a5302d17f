"""The one interface through which the portal talks to Partner Center.

`get_gateway()` returns the implementation chosen by settings.PARTNER_CENTER_GATEWAY:
"sandbox" (default, state in our database) or "http" (the real API, or any server speaking it).
Operations that create something take an `idempotency_key`: calling again with the same key
(e.g. a Celery retry) returns the first result and never creates twice.
"""

import abc
from datetime import date
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.utils.module_loading import import_string

from partner_center.errors import AlreadyAttested, NotSupported
from partner_center.types import (
    Address,
    AddressCheck,
    Attestation,
    CatalogAvailability,
    CatalogProduct,
    CatalogSku,
    CustomerInfo,
    CustomerRequest,
    McaAcceptance,
    OrderRequest,
    ResellerRelationship,
    SubscriptionInfo,
    TransferInfo,
    TransferRequest,
    TransitionOption,
    TransitionResult,
    UsagePage,
)


class PartnerCenterGateway(abc.ABC):
    @classmethod
    def from_settings(cls) -> "PartnerCenterGateway":
        """The gateway as configured (PARTNER_CENTER_* settings)."""
        return cls()

    @abc.abstractmethod
    def create_customer(self, req: CustomerRequest, *, idempotency_key: str) -> CustomerInfo:
        """Create the customer's tenant; returns its tenant ID."""

    @abc.abstractmethod
    def get_customer(self, tenant_id: str) -> CustomerInfo: ...

    @abc.abstractmethod
    def is_domain_available(self, domain: str) -> bool:
        """Whether a new customer may take this onmicrosoft.com domain."""

    @abc.abstractmethod
    def validate_address(self, address: Address) -> AddressCheck: ...

    @abc.abstractmethod
    def list_indirect_resellers(self) -> list[ResellerRelationship]:
        """The distributor's indirect resellers, as Partner Center knows them."""

    @abc.abstractmethod
    def get_customer_resellers(self, tenant_id: str) -> list[ResellerRelationship]:
        """The indirect resellers a customer has a relationship with."""

    @abc.abstractmethod
    def get_relationship_request_link(self) -> str:
        """The link a customer opens to accept the distributor as its partner."""

    @abc.abstractmethod
    def get_mca_template_id(self) -> str:
        """The current Microsoft Customer Agreement template id (agreement metadata)."""

    @abc.abstractmethod
    def find_customer(self, *, domain: str, reseller_mpn_id: str) -> CustomerInfo | None:
        """The distributor's existing customer with this primary domain whose indirect reseller
        is `reseller_mpn_id`, or None: how a reseller links a tenant it already serves."""

    @abc.abstractmethod
    def attest_mca(self, tenant_id: str, acceptance: McaAcceptance) -> Attestation:
        """Log the customer's MCA acceptance; the same contact again raises AlreadyAttested
        (600061); a changed contact is a new attestation."""

    @abc.abstractmethod
    def create_order(
        self, tenant_id: str, req: OrderRequest, *, idempotency_key: str
    ) -> SubscriptionInfo:
        """Buy through a cart and its checkout, wait for the order to complete and return the
        new subscription. While Partner Center still provisions it this raises Unavailable
        (OrderPending); calling again with the same key resumes the same purchase."""

    @abc.abstractmethod
    def get_subscription(self, tenant_id: str, subscription_id: str) -> SubscriptionInfo: ...

    @abc.abstractmethod
    def change_quantity(
        self, tenant_id: str, subscription_id: str, quantity: int, *, idempotency_key: str
    ) -> SubscriptionInfo:
        """Set the seat count (increase any time; decrease only from seats whose 168-hour
        window is open, else Conflict naming when it closed)."""

    @abc.abstractmethod
    def cancel_subscription(
        self, tenant_id: str, subscription_id: str, *, idempotency_key: str
    ) -> SubscriptionInfo: ...

    @abc.abstractmethod
    def change_term(
        self,
        tenant_id: str,
        subscription_id: str,
        *,
        term: str,
        billing_frequency: str,
        idempotency_key: str,
    ) -> SubscriptionInfo:
        """Lengthen the term (a new term starts today; a shorter or equal term is refused)
        and/or set the billing frequency, which must suit the term. The portal changes the
        frequency alone when a scheduled change takes effect, at a cycle boundary."""

    @abc.abstractmethod
    def exchange_reservation(
        self, tenant_id: str, subscription_id: str, req: OrderRequest, *, idempotency_key: str
    ) -> SubscriptionInfo:
        """Exchange a Reserved Instance for the one `req` describes (Azure Reservations'
        calculate-exchange, then exchange): the returned one starts today and the old one ends.
        Refused (Conflict) when the new commitment is below the old one's remaining
        commitment; both must be Reserved Instances."""

    @abc.abstractmethod
    def set_auto_renew(
        self, tenant_id: str, subscription_id: str, auto_renew: bool
    ) -> SubscriptionInfo: ...

    @abc.abstractmethod
    def get_subscriptions(self, tenant_id: str) -> list[SubscriptionInfo]: ...

    @abc.abstractmethod
    def schedule_next_term(
        self,
        tenant_id: str,
        subscription_id: str,
        *,
        quantity: int,
        term: str,
        billing_frequency: str,
        idempotency_key: str,
    ) -> SubscriptionInfo:
        """Set what the next term will be (scheduledNextTermInstructions): seats, term and
        billing frequency applied at renewal. Needs auto-renew on."""

    @abc.abstractmethod
    def get_transition_options(
        self, tenant_id: str, subscription_id: str
    ) -> list[TransitionOption]:
        """The products this subscription may be upgraded to now (transition eligibilities)."""

    @abc.abstractmethod
    def transition(
        self,
        tenant_id: str,
        subscription_id: str,
        *,
        to_catalog_item_id: str,
        quantity: int,
        idempotency_key: str,
        to_subscription_id: str | None = None,
    ) -> TransitionResult:
        """Upgrade `quantity` seats (all of them: a full upgrade; fewer: a partial one)."""

    @abc.abstractmethod
    def fetch_usage(
        self,
        *,
        start: date,
        end: date,
        tenant_id: str | None = None,
        continuation_token: str | None = None,
        page_size: int = 2000,
    ) -> UsagePage:
        """Daily rated usage of [start, end] (both inclusive), one page; pass the page's
        continuation_token back for the next one (None on the last page)."""

    # --- New Commerce transfers (both directions) ---------------------------------------
    # The receiving partner creates the request (status "Active"); the current (source)
    # partner accepts it with the line items it gives up, or rejects it; the receiving partner
    # may cancel it while it is Active; unanswered, it expires. Statuses are Microsoft's
    # (types.TRANSFER_STATUSES).

    @abc.abstractmethod
    def create_transfer(
        self, tenant_id: str, req: TransferRequest, *, idempotency_key: str
    ) -> TransferInfo:
        """Receiving side: ask the source partner for the customer's subscriptions."""

    @abc.abstractmethod
    def get_transfer(self, tenant_id: str, transfer_id: str) -> TransferInfo: ...

    @abc.abstractmethod
    def list_transfers(self, tenant_id: str) -> list[TransferInfo]:
        """Every transfer of the customer, whichever side we are on."""

    @abc.abstractmethod
    def cancel_transfer(self, tenant_id: str, transfer_id: str) -> TransferInfo:
        """Receiving side: withdraw an Active request."""

    @abc.abstractmethod
    def accept_transfer(
        self, tenant_id: str, transfer_id: str, *, subscription_ids: list[str], idempotency_key: str
    ) -> TransferInfo:
        """Sourcing side: give up these subscriptions (the transfer's line items) and accept;
        Partner Center moves them and the transfer is Completed. A line it refuses raises
        Conflict with its reason."""

    @abc.abstractmethod
    def reject_transfer(self, tenant_id: str, transfer_id: str) -> TransferInfo:
        """Sourcing side: decline an Active request."""

    # --- catalog (products, SKUs, availabilities per country) -------------------------

    @abc.abstractmethod
    def list_products(self, *, country: str, target_view: str) -> list[CatalogProduct]:
        """The catalog's products of a target view (e.g. "OnlineServices") in a country."""

    @abc.abstractmethod
    def list_skus(self, product_id: str, *, country: str) -> list[CatalogSku]: ...

    @abc.abstractmethod
    def list_availabilities(
        self, product_id: str, sku_id: str, *, country: str
    ) -> list[CatalogAvailability]: ...

    # The customer's usage spending budget (GET/PATCH /v1/customers/{id}/usagebudget): a
    # monthly amount in the customer's currency, None for no budget. Optional: a gateway
    # without it raises NotSupported and the portal keeps its budget to itself.
    def get_usage_budget(self, tenant_id: str) -> Decimal | None:
        raise NotSupported("This Partner Center gateway does not read usage budgets.")

    def set_usage_budget(self, tenant_id: str, amount: Decimal | None) -> Decimal | None:
        raise NotSupported("This Partner Center gateway does not set usage budgets.")


def attest_mca_once(
    gateway: PartnerCenterGateway, tenant_id: str, acceptance: McaAcceptance
) -> Attestation:
    """attest_mca where a duplicate (600061) means "already accepted", not a failure."""
    try:
        return gateway.attest_mca(tenant_id, acceptance)
    except AlreadyAttested:
        return Attestation(
            tenant_id=tenant_id,
            template_id=acceptance.template_id,
            date_agreed=acceptance.date_agreed,
            already_attested=True,
        )


def iter_usage(
    gateway: PartnerCenterGateway,
    *,
    start: date,
    end: date,
    tenant_id: str | None = None,
    page_size: int = 2000,
):
    """Every usage line of the period, following continuation tokens."""
    token = None
    while True:
        page = gateway.fetch_usage(
            start=start, end=end, tenant_id=tenant_id, continuation_token=token, page_size=page_size
        )
        yield from page.lines
        token = page.continuation_token
        if not token:
            return


# The implementations import this interface; it names them by dotted path (no import cycle).
IMPLEMENTATIONS = {
    "sandbox": "partner_center.sandbox.SandboxGateway",
    "http": "partner_center.http.HttpGateway",
}


def get_gateway() -> PartnerCenterGateway:
    kind = getattr(settings, "PARTNER_CENTER_GATEWAY", "sandbox")
    if kind not in IMPLEMENTATIONS:
        raise ImproperlyConfigured(
            f"PARTNER_CENTER_GATEWAY must be 'sandbox' or 'http', not {kind!r}."
        )
    return import_string(IMPLEMENTATIONS[kind]).from_settings()
