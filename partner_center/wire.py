"""Partner Center's REST resources (camelCase JSON) ↔ the gateway's types.

Every shape follows Microsoft's published reference, cited next to it: the .NET SDK models
(microsoft/partner-center-sdk-for-dotNET, Source/PartnerSdk.Models/) and the REST pages at
learn.microsoft.com/partner-center/developer/<page>. The contract tests check these against
Microsoft's documented bodies with a fake server that does not import this module.
"""

from datetime import UTC, date, datetime

from partner_center.types import (
    NEW_COMMERCE_TRANSFER,
    TRANSFER_STATUSES,
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
)

MCA_TYPE = "MicrosoftCustomerAgreement"
NEW_COMMERCE_TRANSITION = "transition_only"


def instant(value: str | None) -> datetime | None:
    """A Partner Center date-time ("2021-01-14T16:57:15.0966728Z", "…+00:00", or without an
    offset, which Partner Center means as UTC) → aware UTC datetime."""
    if not value:
        return None
    parsed = datetime.fromisoformat(value.strip())
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return parsed.astimezone(UTC)


def day(value: str | None) -> date | None:
    parsed = instant(value)
    return parsed.date() if parsed else None


def text_instant(value: datetime) -> str:
    """Aware datetime → "2018-06-14T00:00:00.000Z" (confirm-customer-consent-customer-agreement)."""
    utc = value.astimezone(UTC)
    return utc.strftime("%Y-%m-%dT%H:%M:%S.") + f"{utc.microsecond // 1000:03d}Z"


# --- customers: Customer.cs, CustomerCompanyProfile.cs, CustomerBillingProfile.cs, Address.cs;
# create-a-customer-for-an-indirect-reseller (request and response examples) ----------------


def customer_body(req: CustomerRequest) -> dict:
    address = {
        "country": req.country,
        "city": req.city,
        "state": req.region or None,
        "addressLine1": req.address_line1,
        "postalCode": req.postal_code,
        "firstName": req.contact_first_name,
        "lastName": req.contact_last_name,
        "phoneNumber": req.contact_phone or None,
    }
    body = {
        "companyProfile": {"domain": req.domain},
        "billingProfile": {
            "email": req.contact_email,
            "culture": req.culture,
            "language": req.language,
            "companyName": req.company_name,
            "defaultAddress": {k: v for k, v in address.items() if v is not None},
        },
    }
    if req.associated_partner_id:
        body["associatedPartnerId"] = req.associated_partner_id
    return body


def customer_info(data: dict) -> CustomerInfo:
    profile = data["companyProfile"]
    credentials = data.get("userCredentials") or {}
    return CustomerInfo(
        tenant_id=profile.get("tenantId") or data["id"],
        company_name=profile.get("companyName") or data["billingProfile"]["companyName"],
        domain=profile["domain"].lower(),
        admin_user_name=credentials.get("userName") or "",
        admin_password=credentials.get("password") or "",
    )


def address_body(a: Address) -> dict:
    """Address.cs; validate-an-address request example."""
    return {
        "addressLine1": a.address_line1,
        "city": a.city,
        "state": a.region,
        "postalCode": a.postal_code,
        "country": a.country,
    }


def _address(data: dict) -> Address:
    return Address(
        address_line1=data.get("addressLine1") or "",
        city=data.get("city") or "",
        region=data.get("state") or "",
        postal_code=data.get("postalCode") or "",
        country=data.get("country") or "",
    )


def address_check(data: dict) -> AddressCheck:
    """AddressValidationResponse (validate-an-address response examples)."""
    status = data["status"]
    return AddressCheck(
        status=status,
        verified=status.startswith("Verified"),
        message=data.get("validationMessage") or "",
        suggestions=[_address(a) for a in data.get("suggestedAddresses") or []],
    )


def reseller_relationships(data: dict) -> list[ResellerRelationship]:
    """PartnerRelationship collection (retrieve-a-list-of-indirect-resellers,
    get-indirect-resellers-of-a-customer)."""
    return [
        ResellerRelationship(
            tenant_id=item["id"],
            name=item.get("name") or "",
            mpn_id=item.get("mpnId") or "",
            location=item.get("location") or "",
            state=item.get("state") or "",
        )
        for item in data["items"]
    ]


# --- agreements: Agreement.cs, Agreements/Contact.cs; get-customer-agreement-metadata,
# confirm-customer-consent-customer-agreement --------------------------------------------------


def mca_template_id(data: dict) -> str:
    for item in data["items"]:
        if item["agreementType"] == MCA_TYPE:
            return item["templateId"]
    raise ValueError("no MicrosoftCustomerAgreement in the agreement metadata")


def agreement_body(a: McaAcceptance) -> dict:
    contact = {"firstName": a.first_name, "lastName": a.last_name, "email": a.email}
    if a.phone:
        contact["phoneNumber"] = a.phone
    return {
        "primaryContact": contact,
        "templateId": a.template_id,
        "dateAgreed": text_instant(a.date_agreed),
        "type": MCA_TYPE,
    }


def attestation(tenant_id: str, data: dict) -> Attestation:
    return Attestation(
        tenant_id=tenant_id, template_id=data["templateId"], date_agreed=instant(data["dateAgreed"])
    )


# --- carts and orders: Cart.cs, CartLineItem.cs, CartCheckoutResult.cs, Order.cs,
# OrderLineItem.cs; create-a-cart (new commerce sample with participants), checkout-a-cart,
# get-an-order-by-id --------------------------------------------------------------------------


def catalog_parts(offer_sku: str) -> list[str]:
    return offer_sku.split(":")


def availability_id(data: dict, term: str, billing_frequency: str) -> str:
    """The availability (get-a-list-of-availabilities-for-a-sku) selling `term` billed
    `billing_frequency`; the first purchasable one when terms name no billing cycle."""
    items = [i for i in data["items"] if i.get("isPurchasable", True)]
    for item in items:
        for t in item.get("terms") or []:
            cycle = (t.get("billingCycle") or billing_frequency).lower()
            if t.get("duration") == term and cycle == billing_frequency.lower():
                return item["id"]
    if items:
        return items[0]["id"]
    raise ValueError("no purchasable availability")


def cart_body(req: OrderRequest, catalog_item_id: str) -> dict:
    line = {
        "id": 0,
        "catalogItemId": catalog_item_id,
        "quantity": req.quantity,
        "billingCycle": req.billing_frequency,
        "termDuration": req.term,
    }
    if req.partner_id_on_record:
        line["participants"] = [{"key": "transaction_reseller", "value": req.partner_id_on_record}]
    return {"lineItems": [line]}


def checkout_orders(data: dict) -> list[str]:
    """CartCheckoutResult → the order ids; its orderErrors raise (code, description)."""
    errors = data.get("orderErrors") or []
    if errors:
        first = errors[0]
        raise CheckoutRefused(int(first.get("code") or 0), first.get("description") or "")
    return [order["id"] for order in data["orders"]]


class CheckoutRefused(Exception):
    def __init__(self, code: int, description: str):
        super().__init__(description)
        self.code, self.description = code, description


def order_state(data: dict) -> tuple[str, list[str]]:
    """Order → (status, subscription ids of its lines once provisioned)."""
    ids = [
        item["subscriptionId"] for item in data.get("lineItems", []) if item.get("subscriptionId")
    ]
    return str(data.get("status") or "").lower(), ids


# --- subscriptions: Subscription.cs, ScheduledNextTermInstructions.cs, ProductTerm.cs;
# get-a-subscription-by-id, change-the-quantity-of-a-subscription, create-scheduled-changes --


def subscription(tenant_id: str, data: dict) -> SubscriptionInfo:
    offer = data["offerId"]
    parts = offer.split(":")
    refundable = data.get("refundableQuantity")
    scheduled = data.get("scheduledNextTermInstructions")
    next_term = None
    if scheduled:
        product = scheduled.get("product") or {}
        next_term = NextTerm(
            quantity=int(scheduled["quantity"]),
            term=product.get("termDuration") or "",
            billing_frequency=(product.get("billingCycle") or "").lower(),
        )
    quantity = data["quantity"]
    if isinstance(quantity, bool) or not isinstance(quantity, int):
        raise ValueError(f"bad 'quantity': {quantity!r}")
    return SubscriptionInfo(
        subscription_id=data["id"],
        tenant_id=tenant_id,
        offer_sku=":".join(parts[:2]) if len(parts) == 3 else offer,
        quantity=quantity,
        term=data.get("termDuration") or "",  # absent for Azure plans and legacy offers
        billing_frequency=(data.get("billingCycle") or "").lower(),
        auto_renew=bool(data.get("autoRenewEnabled")),
        status=str(data["status"]).lower(),
        created_at=instant(data["creationDate"]),
        term_start=day(data["effectiveStartDate"]),
        term_end=day(data["commitmentEndDate"]),
        refundable_quantity=refundable.get("totalQuantity") if refundable else None,
        cancellation_allowed_until=instant(data.get("cancellationAllowedUntilDate")),
        next_term=next_term,
    )


def next_term_instructions(
    resource: dict, *, quantity: int, term: str, billing_frequency: str
) -> dict:
    product, sku, availability = resource["offerId"].split(":")
    return {
        "product": {
            "productId": product,
            "skuId": sku,
            "availabilityId": availability,
            "billingCycle": billing_frequency,
            "termDuration": term,
        },
        "quantity": quantity,
    }


# --- transitions: Transition.cs, TransitionEligibility.cs; transition-a-new-commerce-
# subscription ----------------------------------------------------------------------------


def transition_options(data: dict) -> list[TransitionOption]:
    options = []
    for item in data["items"]:
        eligibilities = item.get("eligibilities") or []
        types = [e["transitionType"] for e in eligibilities if e.get("isEligible")]
        reasons = [
            err.get("description", "") for e in eligibilities for err in e.get("errors") or []
        ]
        options.append(
            TransitionOption(
                catalog_item_id=item["catalogItemId"],
                title=item.get("title") or "",
                eligible=bool(types),
                transition_types=types,
                reasons=reasons,
            )
        )
    return options


def transition_body(
    *,
    from_subscription: dict,
    to_catalog_item_id: str,
    quantity: int,
    to_subscription_id: str | None,
    term: str,
    billing_frequency: str,
) -> dict:
    body = {
        "fromCatalogItemId": from_subscription["offerId"],
        "fromSubscriptionId": from_subscription["id"],
        "toCatalogItemId": to_catalog_item_id,
        "quantity": quantity,
        "termDuration": term,
        "billingCycle": billing_frequency,
        "transitionType": NEW_COMMERCE_TRANSITION,
    }
    if to_subscription_id:
        body["toSubscriptionId"] = to_subscription_id
    return body


def transition_result(data: dict) -> TransitionResult:
    events = data.get("Events") or data.get("events") or []
    status = (events[-1].get("status") or "").strip() if events else ""
    return TransitionResult(
        from_subscription_id=data["fromSubscriptionId"],
        to_catalog_item_id=data["toCatalogItemId"],
        to_subscription_id=data.get("toSubscriptionId"),
        quantity=int(data["quantity"]),
        transition_type=data["transitionType"],
        status=status,
    )


# Azure Reservations' exchange (Microsoft.Capacity, api-version 2022-11-01): calculateExchange
# takes the reservations to return and to purchase and answers a session id with any policy
# errors; exchange takes that session id. Shapes after Microsoft's REST reference
# (learn.microsoft.com/rest/api/reserved-vm-instances/calculate-exchange/post and
# .../exchange/post); a reservation order is the Partner Center subscription of a reservation.
RESERVATIONS_API_VERSION = "2022-11-01"
# a reservation is paid monthly or upfront for its whole term (P1Y annual, P3Y triennial)
BILLING_PLANS = {"monthly": "Monthly", "annual": "Upfront", "triennial": "Upfront"}


def calculate_exchange(tenant_id: str, subscription_id: str, req: OrderRequest) -> dict:
    return {
        "properties": {
            "reservationsToExchange": [
                {
                    "reservationId": f"/providers/microsoft.capacity/reservationOrders/"
                    f"{subscription_id}/reservations/{subscription_id}"
                }
            ],
            "reservationsToPurchase": [
                {
                    "sku": {"name": req.offer_sku},
                    "properties": {
                        "reservedResourceType": "VirtualMachines",
                        "term": req.term,
                        "billingPlan": BILLING_PLANS[req.billing_frequency],
                        "quantity": req.quantity,
                        "renew": req.auto_renew,
                        "billingScopeId": f"/customers/{tenant_id}",
                        "appliedScopeType": "Shared",
                    },
                }
            ],
        }
    }


def exchange_session(data: dict) -> tuple[str, list[str]]:
    props = data["properties"]
    errors = (props.get("policyResult") or {}).get("properties", {}).get("policyErrors") or []
    return props["sessionId"], [e["message"] for e in errors]


def exchanged_reservation_order(data: dict) -> str:
    return data["properties"]["reservationsToPurchase"][0]["reservationOrderId"]


# --- New Commerce transfers: create-a-transfer (the receiving partner's request:
# sourcePartnerTenantId, sourcePartnerName, customerEmailId, transferType), transfer-entity-
# resources (TransferEntity, TransferLineItem, TransferSubmitResult), get-transfer-by-id,
# get-all-of-a-customer-s-transfers, update-a-transfer (the full entity PATCHed: status
# "Cancel" by the receiving partner, the line items by the sourcing one), accept-a-transfer
# (POST .../accept → TransferSubmitResult {orders, transferErrors}). -------------------------

# Partner Center's spellings of a transfer's status → ours (types.TRANSFER_STATUSES): the
# entity page names "Active" and "Completed", the cancel request sends "Cancel".
_TRANSFER_STATUS = {s.lower(): s for s in TRANSFER_STATUSES} | {
    "complete": "Completed",
    "cancel": "Cancelled",
    "canceled": "Cancelled",
    "reject": "Rejected",
    "expire": "Expired",
}


def transfer_status(value: str) -> str:
    return _TRANSFER_STATUS.get(str(value or "").strip().lower(), str(value or "").strip())


def transfer_body(req: TransferRequest, *, target_partner_tenant_id: str) -> dict:
    body = {
        "sourcePartnerTenantId": req.source_partner_tenant_id,
        "sourcePartnerName": req.source_partner_name,
        "customerEmailId": req.customer_email,
        "targetPartnerTenantId": target_partner_tenant_id,
        "transferType": NEW_COMMERCE_TRANSFER,
        "lineItems": [{"subscriptionId": sid} for sid in req.subscription_ids],
    }
    if req.customer_name:
        body["customerName"] = req.customer_name
    if req.partner_id_on_record:
        body["partnerOnRecord"] = req.partner_id_on_record
    return body


def transfer_info(tenant_id: str, data: dict) -> TransferInfo:
    created = instant(data["createdTime"])
    if created is None:
        raise ValueError("missing 'createdTime'")
    return TransferInfo(
        transfer_id=data["id"],
        tenant_id=data.get("customerTenantId") or tenant_id,
        status=transfer_status(data["status"]),
        subscription_ids=[item["subscriptionId"] for item in data.get("lineItems") or []],
        created_at=created,
        expires_at=instant(data.get("expirationTime")),
        source_partner_tenant_id=data.get("sourcePartnerTenantId") or "",
        source_partner_name=data.get("sourcePartnerName") or "",
        target_partner_tenant_id=data.get("targetPartnerTenantId") or "",
        customer_email=data.get("customerEmailId") or "",
        transfer_type=str(data.get("transferType") or NEW_COMMERCE_TRANSFER),
        completed_at=instant(data.get("completedTime")),
    )


def transfers(tenant_id: str, data: dict) -> list[TransferInfo]:
    return [transfer_info(tenant_id, item) for item in data["items"]]


def transfer_line_items(subscriptions: list[dict], partner_id_on_record: str = "") -> list[dict]:
    """The sourcing partner's line items (TransferLineItem) from its subscriptions."""
    lines = []
    for i, sub in enumerate(subscriptions):
        line = {
            "id": i,
            "subscriptionId": sub["id"],
            "quantity": sub["quantity"],
            "billingCycle": sub.get("billingCycle"),
            "termDuration": sub.get("termDuration"),
            "offerId": sub["offerId"],
            "friendlyName": sub.get("friendlyName") or sub.get("offerName") or "",
        }
        if partner_id_on_record:
            line["partnerIdOnRecord"] = partner_id_on_record
        lines.append({k: v for k, v in line.items() if v is not None})
    return lines


def transfer_errors(data: dict) -> list[str]:
    """TransferSubmitResult.transferErrors → their descriptions (code first)."""
    return [
        f"{e.get('description') or 'refused'} (code {e.get('code')})"
        for e in data.get("transferErrors") or []
    ]


# --- catalog: Products/Product.cs, Sku.cs, Availability.cs, AvailabilityTerm.cs;
# get-a-list-of-products, get-a-list-of-skus-for-a-product, get-a-list-of-availabilities-for-a-
# sku (collections: {totalCount, items, links}) ---------------------------------------------


def products(data: dict) -> list[CatalogProduct]:
    return [
        CatalogProduct(
            product_id=item["id"],
            title=item.get("title") or item["id"],
            product_type=(item.get("productType") or {}).get("id") or "",
        )
        for item in data["items"]
    ]


def skus(product_id: str, data: dict) -> list[CatalogSku]:
    return [
        CatalogSku(
            product_id=item.get("productId") or product_id,
            sku_id=item["id"],
            title=item.get("title") or item["id"],
            min_quantity=int(item.get("minimumQuantity") or 1),
            max_quantity=int(item.get("maximumQuantity") or 10000),
        )
        for item in data["items"]
    ]


def availabilities(product_id: str, sku_id: str, data: dict) -> list[CatalogAvailability]:
    out = []
    for item in data["items"]:
        availability = item["id"]
        terms = [
            f"{t['duration']}:{str(t.get('billingCycle') or '').lower()}"
            for t in item.get("terms") or []
            if t.get("duration")
        ]
        out.append(
            CatalogAvailability(
                product_id=item.get("productId") or product_id,
                sku_id=item.get("skuId") or sku_id,
                availability_id=availability,
                catalog_item_id=item.get("catalogItemId")
                or f"{product_id}:{sku_id}:{availability}",
                purchasable=bool(item.get("isPurchasable", True)),
                terms=terms,
            )
        )
    return out
