"""Demo subscriptions with a believable history, for `manage.py seed_demo`.

The history is replayed day by day on a test clock (time-machine), through the same services
and the same daily upkeep a real portal runs: purchases and seat changes in the past, monthly
cycle charges, renewals. The ledger it leaves is what billing would have seen.
"""

from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path

from django.apps import apps
from django.utils import timezone
from django_scopes import scope

from customers.models import Customer, McaStatus
from partner_center.models import SandboxAttestation, SandboxCustomer
from portal.demo import demo_resellers
from portal.models import Membership
from portal.roles import Role
from subscriptions import services
from subscriptions.catalog.defaults import ensure_product_types
from subscriptions.catalog.models import Offer, PriceBook, PriceRule, ProductType
from subscriptions.models import Subscription
from subscriptions.services import catalog_import

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
        tenant_id=str(customer.tenant_id),
        defaults={
            "company_name": customer.company_name,
            "domain": customer.primary_domain,
            "country": customer.country,
            "currency": customer.currency,
            "reseller_mpn_id": customer.reseller.partner_id or "",
        },
    )
    acceptance = getattr(customer, "mca_acceptance", None)
    if customer.mca_status == McaStatus.LOGGED and acceptance:
        SandboxAttestation.objects.get_or_create(
            customer=sandbox,
            defaults={
                "first_name": acceptance.first_name,
                "last_name": acceptance.last_name,
                "email": acceptance.email,
                "date_agreed": acceptance.date_agreed,
                "template_id": acceptance.template_id,
            },
        )


def seed_subscriptions() -> int:
    """Replay the demo history once; does nothing when demo subscriptions exist."""
    import time_machine

    if Subscription.objects.exists():
        return 0
    customers = {
        c.primary_domain: c
        for c in Customer.objects.select_related("reseller").filter(tenant_id__isnull=False)
    }
    for customer in customers.values():
        _register_in_sandbox(customer)
    owners = {
        m.reseller_id: m
        for m in Membership.objects.filter(role=Role.OWNER)
        .select_related("reseller", "user")
        .order_by("pk")
    }
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
                        member=member,
                        customer=customer,
                        offer=offers[sku],
                        term=term,
                        billing_frequency=frequency,
                        quantity=seats,
                        auto_renew=auto_renew,
                        idempotency_key=f"demo-{domain}-{sku}",
                    )
                    bought[domain, sku] = services.subscription_provision(subscription_id=order.pk)
                else:
                    services.subscription_change_seats(
                        member=member,
                        subscription=bought[domain, sku],
                        quantity=detail,
                        idempotency_key=f"demo-{domain}-{sku}-{days}",
                    )
            services.subscriptions_renew_due(today=day)
            services.subscriptions_charge_cycles(today=day)
    premium = bought["contoso.onmicrosoft.com", "CFQ7TTC0LCHC:0002"]
    member = owners[premium.reseller_id]
    for name in USERS:
        with scope(reseller=premium.reseller):
            services.seat_assign(
                member=member,
                subscription=premium,
                display_name=name,
                user_principal_name=f"{name.split()[0].lower()}@contoso.example",
            )
    return len(bought)


def seed(*, ops_user) -> None:
    _seed_catalog(ops_user)
    _seed_price_books(demo_resellers())
    seed_subscriptions()


def _seed_catalog(ops_user):
    ensure_product_types(apps)
    data = (Path(__file__).resolve().parent / "fixtures" / "demo_catalog.csv").read_bytes()
    return catalog_import(user=ops_user, data=data, filename="demo_catalog.csv")


def _seed_price_books(resellers):
    start = date(2026, 1, 1)
    for key, markup in (("northwind", 15), ("mapleleaf", 12)):
        reseller = resellers[key]
        book, _ = PriceBook.objects.get_or_create(
            reseller=reseller, customer=None, defaults={"name": "Default prices"}
        )
        PriceRule.objects.get_or_create(
            reseller=reseller,
            book=book,
            kind="markup",
            offer=None,
            product_type=None,
            effective_from=start,
            defaults={"percent": markup},
        )
    northwind = resellers["northwind"]
    default = PriceBook.objects.get(reseller=northwind, customer=None)
    PriceRule.objects.get_or_create(
        reseller=northwind,
        book=default,
        kind="markup",
        effective_from=start,
        product_type=ProductType.objects.get(code="reserved-instance"),
        defaults={"percent": 5},
    )
    contoso = Customer.objects.get(reseller=northwind, primary_domain="contoso.onmicrosoft.com")
    book, _ = PriceBook.objects.get_or_create(
        reseller=northwind, customer=contoso, defaults={"name": "Contoso agreement"}
    )
    PriceRule.objects.get_or_create(
        reseller=northwind,
        book=book,
        kind="fixed",
        effective_from=start,
        term="P1Y",
        offer=Offer.objects.get(sku="CFQ7TTC0LFLX:0001"),
        defaults={"fixed_price": 470, "currency": "USD"},
    )
