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
