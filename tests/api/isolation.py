"""Tenant isolation of the REST API, discovered from its own OpenAPI schema.

Every operation of the schema is requested with reseller B's key (an owner key: it may do
everything, so a refusal can only be the tenant rule): an operation with an `{id}` is filled
with reseller A's object of that resource and must answer 404 (every method); a list must not
show A's objects; a POST naming A's objects in its body or query must answer 404. A resource
the harness has no provider for fails the crawl, so a new resource cannot slip past it.
"""

import uuid
from collections.abc import Callable
from dataclasses import dataclass, field

from django.test import Client
from django_scopes import scopes_disabled

from portal.models import AuditEvent
from tests import factories

# first path segment(s) after /api/v1/ -> reseller A's object of that resource
PROVIDERS: dict[str, Callable] = {
    "customers": lambda r: factories.CustomerFactory(reseller=r).pk,
    "subscriptions": lambda r: factories.SeatSubscriptionFactory(reseller=r).pk,
    "seat-assignments": lambda r: factories.SeatAssignmentFactory(subscription__reseller=r).pk,
    "invoices": lambda r: factories.InvoiceFactory(run__reseller=r).pk,
    "credit-notes": lambda r: factories.CreditNoteFactory(invoice__run__reseller=r).pk,
    "statements": lambda r: factories.StatementFactory(run__reseller=r).pk,
    "usage-summaries": lambda r: factories.UsageSummaryFactory(subscription__reseller=r).pk,
    "tickets": lambda r: factories.TicketFactory(reseller=r).pk,
    "price-books": lambda r: factories.PriceBookFactory(reseller=r).pk,
    "webhooks": lambda r: factories.WebhookEndpointFactory(reseller=r).pk,
    "webhooks/deliveries": lambda r: factories.WebhookDeliveryFactory(endpoint__reseller=r).pk,
}
# resources that belong to nobody (the distributor's catalog and programs): B may read them;
# what they take of A's (a customer in a price query) is probed below
SHARED = {
    "catalog/offers": "the distributor's catalog",
    "programs": "the distributor's programs; requests are per reseller",
}
# bodies and queries that name another reseller's objects
FOREIGN_INPUT = {
    ("post", "/api/v1/subscriptions/"): lambda ids: {
        "customer": ids["customers"],
        "offer": 1,
        "term": "P1M",
        "billing_frequency": "monthly",
        "quantity": 1,
    },
    ("post", "/api/v1/tickets/"): lambda ids: {
        "subject": "x",
        "category": "billing",
        "description": "x",
        "customer": ids["customers"],
    },
}
FOREIGN_QUERY = {
    ("get", "/api/v1/catalog/offers/{id}/price/"): lambda ids: (
        f"?customer={ids['customers']}&term=P1M&billing_frequency=monthly"
    ),
    ("get", "/api/v1/usage-summaries/daily/"): lambda ids: (
        f"?customer={ids['customers']}&date_from=2026-01-01&date_to=2026-01-31"
    ),
    **{
        ("get", f"/api/v1/reports/{report}/"): lambda ids: f"?customer={ids['customers']}"
        for report in (
            "seats",
            "azure-plan/usage",
            "azure-plan/licences",
            "azure-legacy/usage",
        )
    },
    ("get", "/api/v1/reports/azure-plan/daily/"): lambda ids: (
        f"?subscription={ids['subscriptions']}&meter=m"
    ),
}


def objects_of(reseller) -> dict[str, int]:
    """One object of every resource with an `{id}`, of `reseller` (the catalog's offer is the
    subscription's, the assignment is on it): resource name -> id."""
    sub = factories.SeatSubscriptionFactory(reseller=reseller)
    invoice = factories.InvoiceFactory(run__reseller=reseller)
    ids = {
        "customers": sub.customer_id,
        "subscriptions": sub.pk,
        "seat-assignments": factories.SeatAssignmentFactory(subscription=sub).pk,
        "catalog/offers": sub.offer_id,
        "price-books": factories.PriceRuleFactory(book__reseller=reseller).book_id,
        "invoices": invoice.pk,
        "credit-notes": factories.CreditNoteFactory(invoice=invoice).pk,
        "statements": factories.StatementFactory(run__reseller=reseller).pk,
        "usage-summaries": factories.UsageSummaryFactory(subscription__reseller=reseller).pk,
        "tickets": factories.TicketFactory(reseller=reseller).pk,
    }
    # any other resource: its isolation provider's object (made for this reseller)
    return ids | {name: provide(reseller) for name, provide in PROVIDERS.items() if name not in ids}


@dataclass
class Report:
    operations: int = 0
    requests: int = 0
    leaks: list[str] = field(default_factory=list)


def _resource(path: str) -> str:
    """ "/api/v1/catalog/offers/{id}/price/" -> "catalog/offers"."""
    return path.removeprefix("/api/v1/").split("/{")[0].strip("/")


def crawl(*, schema: dict, key_b: str, reseller_a, a_markers: list[str]) -> Report:
    report = Report()
    client = Client(headers={"Authorization": f"Bearer {key_b}"})
    ids = {name: provide(reseller_a) for name, provide in PROVIDERS.items()}
    with scopes_disabled():
        audit_before = AuditEvent.objects.filter(reseller=reseller_a).count()
    for path, operations in schema["paths"].items():
        resource = _resource(path)
        for method in operations:
            if method not in ("get", "post", "put", "patch", "delete"):
                continue
            report.operations += 1
            url, expect = path, None
            if "{id}" in path:
                if resource in SHARED:
                    if (method, path) not in FOREIGN_QUERY:
                        continue
                    url = path.replace(
                        "{id}",
                        str(factories.OfferFactory().pk) if resource == "catalog/offers" else "1",
                    )
                    url += FOREIGN_QUERY[(method, path)](ids)
                elif resource not in PROVIDERS:
                    report.leaks.append(
                        f"{path}: no isolation provider for {resource!r} "
                        "(register one in tests/api/isolation.py)"
                    )
                    continue
                else:
                    url = path.replace("{id}", str(ids[resource]))
                expect = 404
            elif (method, path) in FOREIGN_INPUT:
                expect = 404
            elif (method, path) in FOREIGN_QUERY:  # a list filtered by A's customer
                url += FOREIGN_QUERY[(method, path)](ids)
                expect = 404
            body = FOREIGN_INPUT.get((method, path), lambda _: {})(ids)
            response = getattr(client, method)(
                url,
                body,
                content_type="application/json",
                headers={"Idempotency-Key": str(uuid.uuid4())},
            )
            report.requests += 1
            if expect is not None and response.status_code != expect:
                report.leaks.append(
                    f"{method.upper()} {url} answered {response.status_code}, expected {expect}"
                )
            text = response.content.decode(errors="replace")
            for marker in a_markers:
                if marker in text:
                    report.leaks.append(f"{method.upper()} {url} shows {marker!r} of reseller A")
    with scopes_disabled():
        if AuditEvent.objects.filter(reseller=reseller_a).count() != audit_before:
            report.leaks.append("requests with B's key changed reseller A's audit trail")
    return report
