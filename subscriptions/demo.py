"""Demo subscriptions with a believable history, for `manage.py seed_demo`.

The history is replayed day by day on a test clock (time-machine), through the same services
and the same daily upkeep a real portal runs: purchases and seat changes in the past, monthly
cycle charges, renewals. The ledger it leaves is what billing would have seen.
"""

from datetime import UTC, datetime, time, timedelta

from django.utils import timezone
from django_scopes import scope

from customers.models import Customer, McaStatus
from partner_center.models import SandboxAttestation, SandboxCustomer
from portal.models import Membership
from portal.roles import Role
from subscriptions import services
from subscriptions.models import Offer, Subscription

# days ago, customer domain, SKU, term, billing, seats, auto-renew
PURCHASES = [
    (300, "contoso.onmicrosoft.com", "CFQ7TTC0LCHC:0002", "P1Y", "monthly", 25, True),
    (200, "contoso.onmicrosoft.com", "DZH318Z0BPS6:0001", "P1M", "monthly", 1, True),
    (40, "contoso.onmicrosoft.com", "CFQ7TTC0LFLX:0001", "P1Y", "annual", 10, True),
    (12, "contoso.onmicrosoft.com", "DG7GMGF0PWBF:0002", "P1M", "monthly", 2, True),
    (2, "contoso.onmicrosoft.com", "CFQ7TTC0LH0R:0001", "P1M", "monthly", 5, False),
    (95, "tailspintoys.onmicrosoft.com", "CFQ7TTC0LDPB:0001", "P1M", "monthly", 40, True),
    (150, "tailspintoys.onmicrosoft.com", "DZH318Z0BPS6:0001", "P1M", "monthly", 1, True),
    (20, "tailspintoys.onmicrosoft.com", "DG7GMGF0D7FV:0003", "P1Y", "annual", 2, True),
]
# days ago, customer domain, SKU, new seat count
SEAT_CHANGES = [
    (100, "contoso.onmicrosoft.com", "CFQ7TTC0LCHC:0002", 30),
    (60, "tailspintoys.onmicrosoft.com", "CFQ7TTC0LDPB:0001", 45),
]
USERS = ["Avery Hill", "Jordan Lee", "Morgan Diaz", "Riley Chen", "Casey Park", "Sam Tremblay"]


def _register_in_sandbox(customer: Customer) -> None:
    """The demo tenants exist in the sandbox Partner Center; logged MCAs are attested there."""
    sandbox, _ = SandboxCustomer.objects.get_or_create(
        tenant_id=str(customer.tenant_id), defaults={
            "company_name": customer.company_name, "domain": customer.primary_domain,
            "country": customer.country, "currency": customer.currency,
            "reseller_mpn_id": customer.reseller.partner_id or ""})
    acceptance = getattr(customer, "mca_acceptance", None)
    if customer.mca_status == McaStatus.LOGGED and acceptance:
        SandboxAttestation.objects.get_or_create(customer=sandbox, defaults={
            "first_name": acceptance.first_name, "last_name": acceptance.last_name,
            "email": acceptance.email, "date_agreed": acceptance.date_agreed,
            "template_id": acceptance.template_id})


def seed_subscriptions() -> int:
    """Replay the demo history once; does nothing when demo subscriptions exist."""
    import time_machine

    if Subscription.objects.exists():
        return 0
    customers = {c.primary_domain: c for c in Customer.objects.select_related("reseller")
                 .filter(tenant_id__isnull=False)}
    for customer in customers.values():
        _register_in_sandbox(customer)
    owners = {m.reseller_id: m for m in Membership.objects.filter(role=Role.OWNER)
              .select_related("reseller", "user").order_by("pk")}
    offers = {o.sku: o for o in Offer.objects.select_related("product_type", "cap_group")}
    today = timezone.now().date()
    events = {}
    for days, domain, sku, *rest in PURCHASES:
        events.setdefault(days, []).append(("buy", domain, sku, rest))
    for days, domain, sku, seats in SEAT_CHANGES:
        events.setdefault(days, []).append(("seats", domain, sku, seats))
    bought = {}
    for days in range(max(events), -1, -1):
        day = today - timedelta(days=days)
        with time_machine.travel(datetime.combine(day, time(9, 30), tzinfo=UTC), tick=False):
            for kind, domain, sku, detail in events.get(days, []):
                customer = customers[domain]
                member = owners[customer.reseller_id]
                if kind == "buy":
                    term, frequency, seats, auto_renew = detail
                    order = services.subscription_purchase(
                        member=member, customer=customer, offer=offers[sku], term=term,
                        billing_frequency=frequency, quantity=seats, auto_renew=auto_renew,
                        idempotency_key=f"demo-{domain}-{sku}")
                    bought[domain, sku] = services.subscription_provision(
                        subscription_id=order.pk)
                else:
                    services.subscription_change_seats(
                        member=member, subscription=bought[domain, sku], quantity=detail,
                        idempotency_key=f"demo-{domain}-{sku}-{days}")
            services.subscriptions_renew_due(today=day)
            services.subscriptions_charge_cycles(today=day)
    premium = bought["contoso.onmicrosoft.com", "CFQ7TTC0LCHC:0002"]
    member = owners[premium.reseller_id]
    for name in USERS:
        with scope(reseller=premium.reseller):
            services.seat_assign(member=member, subscription=premium, display_name=name,
                                 user_principal_name=f"{name.split()[0].lower()}@contoso.example")
    return len(bought)
