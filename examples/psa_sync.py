"""A worked PSA example: read a reseller's customers and subscriptions through the portal's
REST API and turn them into a PSA's agreement lines (ConnectWise, Autotask and HaloPSA all
model recurring billing as agreements with lines), with cost, price and margin per line.

    PORTAL_URL=https://portal.example.com PORTAL_API_KEY=rp_... python examples/psa_sync.py

prints the lines as CSV; a real sync would upsert them into the PSA by `external_id`, and
keep them current from the portal's webhook events: `handle_webhook` verifies an event's
Standard Webhooks signature and drops one already handled, `line_for_event` turns a
subscription.* event into the line to upsert. Needs `httpx` and `standardwebhooks`.
"""

import csv
import os
import sys
from collections.abc import Iterator, Mapping
from dataclasses import asdict, dataclass
from decimal import Decimal

import httpx
from standardwebhooks.webhooks import Webhook, WebhookVerificationError


@dataclass
class AgreementLine:
    external_id: str  # the portal's subscription id: the key to upsert on
    company: str
    company_domain: str
    product: str
    sku: str
    quantity: int
    billing: str
    currency: str
    unit_cost: Decimal | None  # per unit and billing cycle (None: the key's role sees no cost)
    unit_price: Decimal
    margin: Decimal | None
    status: str


def pages(client: httpx.Client, path: str, **params) -> Iterator[dict]:
    """Every row of a list endpoint, following its cursor links."""
    url: str | None = path
    while url:
        response = client.get(url, params=params if url == path else None)
        response.raise_for_status()
        body = response.json()
        yield from body["results"]
        url = body["next"]


def line_of(sub: dict, customer: dict) -> AgreementLine:
    """One agreement line: a subscription as the API (or a webhook event's `data`) shows it."""
    cost = Decimal(sub["unit_cost"]) if sub["unit_cost"] is not None else None
    price = Decimal(sub["unit_price"])
    return AgreementLine(
        external_id=f"portal-subscription-{sub['id']}",
        company=customer["company_name"],
        company_domain=customer["primary_domain"],
        product=sub["offer_name"],
        sku=sub["offer_sku"],
        quantity=sub["quantity"],
        billing=f"{sub['term']} {sub['billing_frequency']}",
        currency=sub["currency"],
        unit_cost=cost,
        unit_price=price,
        margin=None if cost is None else (price - cost) * sub["quantity"],
        status=sub["status"],
    )


def agreement_lines(client: httpx.Client, *, page_size: int = 200) -> list[AgreementLine]:
    customers = {c["id"]: c for c in pages(client, "/api/v1/customers/", page_size=page_size)}
    return [
        line_of(sub, customers[sub["customer"]])
        for sub in pages(client, "/api/v1/subscriptions/", status="active", page_size=page_size)
    ]


def handle_webhook(
    body: bytes, headers: Mapping[str, str], *, secret: str, seen: set[str]
) -> tuple[int, dict | None]:
    """(status to answer, event or None) for one request to the PSA's webhook URL. A bad
    signature (or a request older than 5 minutes) is refused with 400; an event already handled
    (the portal retries until it gets a 2xx, and the same fact has the same id) is acknowledged
    and dropped. Answer 2xx only once the event is safely stored."""
    try:
        event = Webhook(secret).verify(body, dict(headers))
    except WebhookVerificationError:
        return 400, None
    if event["id"] in seen:
        return 200, None
    seen.add(event["id"])
    return 204, event


def line_for_event(client: httpx.Client, event: dict) -> AgreementLine | None:
    """The agreement line to upsert for a subscription.* event (its `data` is the subscription
    as GET /api/v1/subscriptions/{id}/ answers); None for other events."""
    if not event["type"].startswith("subscription."):
        return None
    sub = event["data"]
    response = client.get(f"/api/v1/customers/{sub['customer']}/")
    response.raise_for_status()
    return line_of(sub, response.json())


def client_from_env() -> httpx.Client:
    return httpx.Client(
        base_url=os.environ["PORTAL_URL"],
        timeout=30,
        headers={"Authorization": f"Bearer {os.environ['PORTAL_API_KEY']}"},
    )


def main() -> None:
    with client_from_env() as client:
        lines = agreement_lines(client)
    writer = csv.DictWriter(sys.stdout, fieldnames=list(AgreementLine.__dataclass_fields__))
    writer.writeheader()
    for line in lines:
        writer.writerow(asdict(line))


if __name__ == "__main__":
    main()
