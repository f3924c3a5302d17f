"""The JSON shapes HttpGateway sends and expects (Partner Center's REST resources, camelCase).

Each mapping is declared once, field name → dotted JSON path, and used both ways
(`types.dump` / `types.load`), by the client and by the test suite's fake server.
"""

import dataclasses

from partner_center.types import (
    Attestation,
    CustomerRequest,
    McaAcceptance,
    OrderRequest,
    SubscriptionInfo,
    TransferInfo,
    TransferRequest,
    UsageLine,
    dump,
    load,
)

CUSTOMER_REQUEST = {
    "company_name": "companyProfile.companyName",
    "domain": "companyProfile.domain",
    "contact_email": "billingProfile.email",
    "currency": "billingProfile.currency",
    "country": "billingProfile.defaultAddress.country",
    "region": "billingProfile.defaultAddress.state",
    "city": "billingProfile.defaultAddress.city",
    "address_line1": "billingProfile.defaultAddress.addressLine1",
    "postal_code": "billingProfile.defaultAddress.postalCode",
    "contact_first_name": "billingProfile.defaultAddress.firstName",
    "contact_last_name": "billingProfile.defaultAddress.lastName",
    "contact_phone": "billingProfile.defaultAddress.phoneNumber",
    "reseller_mpn_id": "associatedPartnerId",
}
CUSTOMER = {"tenant_id": "companyProfile.tenantId", "company_name": "companyProfile.companyName",
            "domain": "companyProfile.domain"}
ACCEPTANCE = {
    "first_name": "primaryContact.firstName", "last_name": "primaryContact.lastName",
    "email": "primaryContact.email", "phone": "primaryContact.phoneNumber",
    "date_agreed": "dateAgreed", "template_id": "templateId",
}
ATTESTATION = {"template_id": "templateId", "date_agreed": "dateAgreed"}
ORDER_LINE = {"offer_sku": "offerId", "quantity": "quantity", "term": "termDuration",
              "billing_frequency": "billingCycle", "auto_renew": "autoRenew"}
SUBSCRIPTION = {
    "subscription_id": "id", "offer_sku": "offerId", "quantity": "quantity",
    "term": "termDuration", "billing_frequency": "billingCycle",
    "auto_renew": "autoRenewEnabled", "status": "status", "created_at": "creationDate",
    "term_start": "effectiveStartDate", "term_end": "commitmentEndDate",
}
TRANSFER = {"transfer_id": "id", "tenant_id": "customerTenantId", "status": "status",
            "created_at": "createdTime", "expires_at": "expirationTime"}
USAGE_LINE = {f.name: f.name.split("_")[0] + "".join(p.capitalize() for p in f.name.split("_")[1:])
              for f in dataclasses.fields(UsageLine)}
MCA_TYPE = "MicrosoftCustomerAgreement"


def customer_request(req: CustomerRequest) -> dict:
    return dump(req, CUSTOMER_REQUEST)


def acceptance(a: McaAcceptance) -> dict:
    return {**dump(a, ACCEPTANCE), "type": MCA_TYPE}


def attestation(tenant_id: str, data: dict) -> Attestation:
    return load(Attestation, data, ATTESTATION, tenant_id=tenant_id)


def order(req: OrderRequest) -> dict:
    return {"lineItems": [{"lineItemNumber": 0, **dump(req, ORDER_LINE)}]}


def order_request(data: dict) -> OrderRequest:
    items = data.get("lineItems") or [None]
    if len(items) != 1 or not isinstance(items[0], dict):
        raise ValueError("an order needs exactly one line item")
    return load(OrderRequest, items[0], ORDER_LINE)


def subscription(tenant_id: str, data: dict) -> SubscriptionInfo:
    return load(SubscriptionInfo, data, SUBSCRIPTION, tenant_id=tenant_id)


def transfer_request(req: TransferRequest) -> dict:
    return {"sourcePartnerId": req.source_partner_mpn_id,
            "lineItems": [{"subscriptionId": s} for s in req.subscription_ids]}


def transfer_request_from(data: dict) -> TransferRequest:
    return TransferRequest(source_partner_mpn_id=str(data["sourcePartnerId"]),
                           subscription_ids=[i["subscriptionId"] for i in data["lineItems"]])


def transfer_json(t: TransferInfo) -> dict:
    return {**dump(t, TRANSFER),
            "lineItems": [{"subscriptionId": s} for s in t.subscription_ids]}


def transfer(data: dict) -> TransferInfo:
    ids = [item["subscriptionId"] for item in data.get("lineItems", [])]
    return load(TransferInfo, data, TRANSFER, subscription_ids=ids)


# Azure Reservations' exchange (Microsoft.Capacity, api-version 2022-11-01): calculateExchange
# takes the reservations to return and to purchase and answers a session id with any policy
# errors; exchange takes that session id. Shapes after Microsoft's REST reference
# (learn.microsoft.com/rest/api/reserved-vm-instances/calculate-exchange/post and
# .../exchange/post); a reservation order is the Partner Center subscription of a reservation.
RESERVATIONS_API_VERSION = "2022-11-01"
# a reservation is paid monthly or upfront for its whole term (P1Y annual, P3Y triennial)
BILLING_PLANS = {"monthly": "Monthly", "annual": "Upfront", "triennial": "Upfront"}


def calculate_exchange(tenant_id: str, subscription_id: str, req) -> dict:
    return {"properties": {
        "reservationsToExchange": [{
            "reservationId": f"/providers/microsoft.capacity/reservationOrders/"
                             f"{subscription_id}/reservations/{subscription_id}"}],
        "reservationsToPurchase": [{
            "sku": {"name": req.offer_sku},
            "properties": {"reservedResourceType": "VirtualMachines", "term": req.term,
                           "billingPlan": BILLING_PLANS[req.billing_frequency],
                           "quantity": req.quantity, "renew": req.auto_renew,
                           "billingScopeId": f"/customers/{tenant_id}",
                           "appliedScopeType": "Shared"}}]}}


def exchange_request(data: dict) -> tuple[str, OrderRequest]:
    """(subscription id to return, what to purchase) of a calculateExchange body."""
    props = data["properties"]
    returned = props["reservationsToExchange"][0]["reservationId"].rstrip("/").split("/")[-1]
    purchase = props["reservationsToPurchase"][0]
    p = purchase["properties"]
    frequency = ("monthly" if p["billingPlan"] == "Monthly"
                 else {"P1Y": "annual", "P3Y": "triennial"}[p["term"]])
    return returned, OrderRequest(offer_sku=purchase["sku"]["name"], term=p["term"],
                                  billing_frequency=frequency, quantity=p["quantity"],
                                  auto_renew=p.get("renew", True))


def exchange_session(data: dict) -> tuple[str, list[str]]:
    props = data["properties"]
    errors = (props.get("policyResult") or {}).get("properties", {}).get("policyErrors") or []
    return props["sessionId"], [e["message"] for e in errors]


def exchanged_reservation_order(data: dict) -> str:
    return data["properties"]["reservationsToPurchase"][0]["reservationOrderId"]
