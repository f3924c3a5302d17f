"""Tenant-isolation harness.

It discovers every URL pattern of the reseller portal itself (no list to keep up to date), fills
each pattern's object arguments with objects of reseller A, requests it with every method as a
member of reseller B, and reports anything that is not a 404 (or a 405 for a method the view
does not accept). Pages without object arguments are opened as B and must not show A's data.

A new view whose URL takes an object argument the harness does not know fails the crawl until
a provider is registered in PROVIDERS below — so new views cannot slip past it.
"""

from collections.abc import Callable
from dataclasses import dataclass, field

from django.urls import URLPattern, URLResolver, get_resolver
from django_scopes import scopes_disabled

from portal.models import AuditEvent, Reseller
from tests import factories

# Prefixes that are not the reseller portal: allauth, admin and operations (staff only,
# covered by their own tests), static files, and the REST API (bearer keys, not sessions: its
# own harness, tests/api/isolation.py, crawls it with reseller B's key).
EXCLUDED_PREFIXES = ("accounts/", "admin/", "ops/", "static/", "media/", "api/v1/")

# URL names reachable by design by anyone holding a secret link; each has its own tests.
TOKEN_LINKS = {
    "metrics": "Prometheus scrape page: the METRICS_TOKEN bearer or operations staff, no "
    "reseller data (tests/portal/test_metrics.py)",
    "invitation": "invitation e-mail link; only the invited address can accept "
    "(tests/portal/test_invitations.py)",
    "customer_portal:mca": "signed single-use MCA link of one customer "
    "(tests/customers/test_mca_links.py)",
    "customer_portal:home": "signed customer-portal link of one customer "
    "(tests/customers/test_customer_portal.py)",
}

# kwarg name -> function(reseller A, member of A) returning the value pointing at A's object.
PROVIDERS: dict[str, Callable[[Reseller, object], object]] = {
    "membership_id": lambda r, m: factories.MembershipFactory(reseller=r).pk,
    "invitation_id": lambda r, m: factories.InvitationFactory(reseller=r).pk,
    "notification_id": lambda r, m: factories.NotificationFactory(reseller=r, user=m.user).pk,
    "reseller_id": lambda r, m: r.pk,  # operations pages about one reseller
    "customer_id": lambda r, m: factories.CustomerFactory(reseller=r).pk,
    "ticket_id": lambda r, m: factories.TicketFactory(reseller=r).pk,
    "attachment_id": lambda r, m: factories.TicketAttachmentFactory(message__ticket__reseller=r).pk,
    "support_plan_id": lambda r, m: factories.SupportPlanFactory(reseller=r).pk,
    "price_book_id": lambda r, m: factories.PriceBookFactory(reseller=r).pk,
    "price_rule_id": lambda r, m: factories.PriceRuleFactory(book__reseller=r).pk,
    "acceptance_id": lambda r, m: (
        factories.McaAcceptanceFactory(invitation__customer__reseller=r).pk
    ),
    "program_request_id": lambda r, m: factories.ProgramRequestFactory(reseller=r).pk,
    "endpoint_id": lambda r, m: factories.WebhookEndpointFactory(reseller=r).pk,
    "delivery_id": lambda r, m: factories.WebhookDeliveryFactory(endpoint__reseller=r).pk,
    "subscription_id": lambda r, m: factories.SeatSubscriptionFactory(reseller=r).pk,
    "assignment_id": lambda r, m: factories.SeatAssignmentFactory(subscription__reseller=r).pk,
    "usage_import_id": lambda r, m: factories.UsageImportFactory(reseller=r, uploaded_by=m.user).pk,
    # A's request from a provider outside the portal (the source side has its own tests)
    "transfer_id": lambda r, m: (
        factories.TransferItemFactory(transfer__customer__reseller=r).transfer_id
    ),
    "run_id": lambda r, m: factories.BillingRunFactory(reseller=r).pk,
    "invoice_id": lambda r, m: factories.InvoiceFactory(run__reseller=r).pk,
    "credit_note_id": lambda r, m: factories.CreditNoteFactory(invoice__run__reseller=r).pk,
    "api_key_id": lambda r, m: factories.api_key(member=m)[0].pk,
    "budget_id": lambda r, m: factories.BudgetFactory(reseller=r).pk,
    "relationship_id": lambda r, m: factories.AdminRelationshipFactory(reseller=r).pk,
}

METHODS = ("get", "post", "put", "patch", "delete")


@dataclass
class Route:
    name: str
    route: str
    kwargs: list[str]


@dataclass
class Report:
    routes: list[Route] = field(default_factory=list)
    requests: int = 0
    leaks: list[str] = field(default_factory=list)


def _walk(patterns, prefix="", namespace=""):
    for p in patterns:
        if isinstance(p, URLResolver):
            ns = p.namespace or namespace
            yield from _walk(p.url_patterns, prefix + str(p.pattern), ns)
        elif isinstance(p, URLPattern):
            name = f"{namespace}:{p.name}" if namespace and p.name else (p.name or "")
            route = prefix + str(p.pattern)
            kwargs = list(p.pattern.converters) if hasattr(p.pattern, "converters") else []
            yield Route(name=name, route=route, kwargs=kwargs)


def reseller_routes() -> list[Route]:
    routes = []
    for r in _walk(get_resolver().url_patterns):
        if r.route.lstrip("^").startswith(EXCLUDED_PREFIXES) or r.name in TOKEN_LINKS:
            continue
        routes.append(r)
    return routes


def ops_routes() -> list[Route]:
    """Operations pages: staff only, all resellers."""
    return [r for r in _walk(get_resolver().url_patterns) if r.route.startswith("ops/")]


# Query parameters through which a page could be asked for another reseller's object
# (e.g. the purchase form preselecting a customer); every page without URL arguments is also
# requested with these pointing at reseller A's objects.
QUERY_PROBES = ("customer", "subscription", "offer", "ticket", "plan", "book")


def _fill(route: Route, values: dict) -> str:
    path = route.route
    for kw in route.kwargs:
        # routes look like "partner/members/<int:membership_id>/role/"
        start = path.index("<")
        end = path.index(">", start)
        path = path[:start] + str(values[kw]) + path[end + 1 :]
    return "/" + path


def crawl(*, client_b, reseller_a: Reseller, member_a, a_markers: list[str]) -> Report:
    """Run the crawl; `client_b` is signed in as a member of another reseller."""
    report = Report(routes=reseller_routes())
    with scopes_disabled():
        audit_before = AuditEvent.objects.filter(reseller=reseller_a).count()
    for route in report.routes:
        missing = [k for k in route.kwargs if k not in PROVIDERS]
        if missing:
            report.leaks.append(
                f"{route.route}: no isolation provider for {missing} "
                "(register one in tests/isolation.py)"
            )
            continue
        if route.kwargs:
            values = {k: PROVIDERS[k](reseller_a, member_a) for k in route.kwargs}
            url = _fill(route, values)
            for method in METHODS:
                response = getattr(client_b, method)(url)
                report.requests += 1
                if response.status_code not in (404, 405):
                    report.leaks.append(
                        f"{method.upper()} {url} answered {response.status_code}, expected 404"
                    )
        else:
            url = "/" + route.route
            customer_id = PROVIDERS["customer_id"](reseller_a, member_a)
            probe = "&".join(f"{name}={customer_id}" for name in QUERY_PROBES)
            for target in (url, f"{url}?{probe}"):
                response = client_b.get(target)
                report.requests += 1
                body = response.content.decode(errors="replace")
                for marker in a_markers:
                    if marker in body:
                        report.leaks.append(f"GET {target} shows {marker!r} of reseller A")
    with scopes_disabled():
        if AuditEvent.objects.filter(reseller=reseller_a).count() != audit_before:
            report.leaks.append("requests as reseller B changed reseller A's audit trail")
    return report


def crawl_outsider(
    *, client, reseller_a: Reseller, member_a, routes: list[Route], allowed: tuple[int, ...]
) -> Report:
    """Request every route, filled with reseller A's objects, with every method as someone who
    may not see them at all (anonymous, or a non-staff member on operations pages): each answer
    must be one of `allowed` (a redirect to sign in, 403, 404, 405) — never a page."""
    report = Report(routes=routes)
    for route in routes:
        values = {k: PROVIDERS[k](reseller_a, member_a) for k in route.kwargs if k in PROVIDERS}
        if len(values) != len(route.kwargs):
            report.leaks.append(f"{route.route}: no isolation provider for {route.kwargs}")
            continue
        url = _fill(route, values)
        for method in METHODS:
            response = getattr(client, method)(url)
            report.requests += 1
            if response.status_code not in allowed:
                report.leaks.append(f"{method.upper()} {url} answered {response.status_code}")
            elif response.status_code == 302 and "/accounts/login/" not in response["Location"]:
                report.leaks.append(
                    f"{method.upper()} {url} redirected to {response['Location']}, not to sign-in"
                )
    return report
