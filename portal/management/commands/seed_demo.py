"""Demo data for a newcomer: `manage.py seed_demo` (safe to run again; it updates in place)."""

import datetime
import uuid
from pathlib import Path

from allauth.account.models import EmailAddress
from django.conf import settings
from django.core.management.base import BaseCommand
from django.db import transaction
from django.utils import timezone
from django_scopes import scopes_disabled

from billing.demo import seed_billing, seed_usage
from customers.models import Customer, McaAcceptance, McaInvitation, McaStatus
from portal.models import Membership, Reseller, User
from portal.roles import Role
from subscriptions.demo import seed_subscriptions

DEMO_PASSWORD = "demo-portal-2026"

RESELLERS = [
    {
        "key": "northwind",
        "name": "Northwind Cloud Partners",
        "country": "US", "currency": "USD", "partner_id": "4567890",
        "mpa_accepted_on": datetime.date(2024, 3, 1),
        "tenant_id": uuid.UUID("6f1d2c3b-0a4e-4c8f-9b7a-1e2d3c4b5a60"),
        "brand_colour": "#0b5cad", "accent_colour": "#0f766e",
        "support_email": "help@northwind.example", "support_phone": "+1 206 555 0100",
        "support_url": "https://support.northwind.example",
        "customers": [
            ("Contoso Ltd", "contoso.onmicrosoft.com", "Seattle", "WA", "98101", "Avery", "Hill"),
            ("Fabrikam Inc", "fabrikam.onmicrosoft.com", "Austin", "TX", "73301", "Jordan", "Lee"),
            ("Adatum Corporation", "adatum.onmicrosoft.com", "Denver", "CO", "80202",
             "Morgan", "Diaz"),
        ],
    },
    {
        "key": "mapleleaf",
        "name": "Maple Leaf IT Solutions",
        "country": "CA", "currency": "CAD", "partner_id": "7654321",
        "mpa_accepted_on": datetime.date(2023, 11, 15),
        "tenant_id": uuid.UUID("0c9e8d7f-6a5b-4c3d-8e2f-1a0b9c8d7e6f"),
        "brand_colour": "#b91c1c", "accent_colour": "#1f2937",
        "support_email": "support@mapleleaf.example", "support_phone": "+1 416 555 0199",
        "support_url": "",
        "customers": [
            ("Tailspin Toys Canada", "tailspintoys.onmicrosoft.com", "Toronto", "ON", "M5H 2N2",
             "Sam", "Tremblay"),
            ("Wide World Importers", "wideworldimporters.onmicrosoft.com", "Vancouver", "BC",
             "V6B 1A1", "Alex", "Roy"),
        ],
    },
]


def _user(email, *, first, last, staff=False):
    user, _ = User.objects.update_or_create(
        email=email,
        defaults={"first_name": first, "last_name": last, "is_staff": staff,
                  "is_superuser": staff, "is_active": True},
    )
    user.set_password(DEMO_PASSWORD)
    user.save()
    EmailAddress.objects.update_or_create(
        user=user, email=email, defaults={"verified": True, "primary": True}
    )
    return user


def _seed_support(reseller):
    from support.models import PlanAssignment, SupportPlan

    premium, _ = SupportPlan.objects.update_or_create(
        reseller=reseller, name="Premium 24x7", defaults={
            "description": "Round-the-clock help for critical workloads.",
            "chat_url": "https://chat.northwind.example", "email": "premium@northwind.example",
            "phone": "+1 206 555 0111", "hours": "24x7",
            "response_urgent": "30 minutes", "response_high": "2 hours",
            "response_normal": "8 hours", "response_low": "2 business days"})
    SupportPlan.objects.update_or_create(
        reseller=reseller, name="Business hours", defaults={
            "email": "help@northwind.example", "hours": "Mon–Fri 8:00–18:00 Pacific",
            "response_normal": "1 business day"})
    contoso = Customer.objects.get(reseller=reseller, primary_domain="contoso.onmicrosoft.com")
    if not PlanAssignment.objects.filter(customer=contoso, ended_at__isnull=True).exists():
        PlanAssignment.objects.create(reseller=reseller, customer=contoso, plan=premium)


# domain -> (MCA state, customer tenant ID)
MCA_DEMO = {
    "contoso.onmicrosoft.com": (McaStatus.LOGGED, "3b1f6a2e-8c4d-4e5f-9a0b-1c2d3e4f5a6b"),
    "fabrikam.onmicrosoft.com": (McaStatus.ACCEPTED, "8d2e7b3f-9a1c-4b6d-8e0f-2a3b4c5d6e7f"),
    "adatum.onmicrosoft.com": (McaStatus.SENT, None),
    "tailspintoys.onmicrosoft.com": (McaStatus.LOGGED, "1a2b3c4d-5e6f-4a7b-8c9d-0e1f2a3b4c5d"),
}


def _seed_mca(customer, state, tenant_id, sent_by, ops_user):
    """Demo MCA history written directly (no e-mails); left alone once it exists."""
    if customer.mca_invitations.exists():
        return
    now = timezone.now()
    sent_at = now - datetime.timedelta(days=3)
    accepted = state in (McaStatus.ACCEPTED, McaStatus.LOGGED)
    invitation = McaInvitation.objects.create(
        reseller=customer.reseller, customer=customer, sent_to=customer.contact_email,
        sent_by=sent_by, sent_at=sent_at, expires_at=sent_at + datetime.timedelta(days=14),
        state=McaInvitation.State.USED if accepted else McaInvitation.State.ACTIVE,
        closed_at=sent_at + datetime.timedelta(days=1) if accepted else None)
    if accepted:
        logged = state == McaStatus.LOGGED
        McaAcceptance.objects.create(
            reseller=customer.reseller, customer=customer, invitation=invitation,
            first_name=customer.contact_first_name, last_name=customer.contact_last_name,
            email=customer.contact_email, date_agreed=invitation.closed_at,
            template_id=settings.MCA_TEMPLATE_ID, template_version=settings.MCA_TEMPLATE_VERSION,
            ip_address="203.0.113.10", user_agent="Mozilla/5.0 (demo)",
            logged_at=now - datetime.timedelta(days=1) if logged else None,
            logged_by=ops_user if logged else None,
            logged_via=McaAcceptance.LoggedVia.OPERATIONS if logged else "",
            partner_center_reference="PC-DEMO-0001" if logged else "")
    customer.tenant_id = uuid.UUID(tenant_id) if tenant_id else None
    customer.mca_status = state
    customer.save(update_fields=["tenant_id", "mca_status"])


def _seed_catalog(ops_user):
    from django.apps import apps

    from subscriptions.catalog.defaults import ensure_product_types
    from subscriptions.services import catalog_import

    ensure_product_types(apps)
    data = (Path(__file__).resolve().parents[3] / "subscriptions" / "fixtures"
            / "demo_catalog.csv").read_bytes()
    return catalog_import(user=ops_user, data=data, filename="demo_catalog.csv")


def _seed_price_books(resellers):
    from subscriptions.models import Offer, PriceBook, PriceRule, ProductType

    start = datetime.date(2026, 1, 1)
    for key, markup in (("northwind", 15), ("mapleleaf", 12)):
        reseller = resellers[key]
        book, _ = PriceBook.objects.get_or_create(reseller=reseller, customer=None,
                                                  defaults={"name": "Default prices"})
        PriceRule.objects.get_or_create(reseller=reseller, book=book, kind="markup",
                                        offer=None, product_type=None, effective_from=start,
                                        defaults={"percent": markup})
    northwind = resellers["northwind"]
    default = PriceBook.objects.get(reseller=northwind, customer=None)
    PriceRule.objects.get_or_create(
        reseller=northwind, book=default, kind="markup", effective_from=start,
        product_type=ProductType.objects.get(code="reserved-instance"),
        defaults={"percent": 5})
    contoso = Customer.objects.get(reseller=northwind, primary_domain="contoso.onmicrosoft.com")
    book, _ = PriceBook.objects.get_or_create(reseller=northwind, customer=contoso,
                                              defaults={"name": "Contoso agreement"})
    PriceRule.objects.get_or_create(
        reseller=northwind, book=book, kind="fixed", effective_from=start, term="P1Y",
        offer=Offer.objects.get(sku="CFQ7TTC0LFLX:0001"),
        defaults={"fixed_price": 470, "currency": "USD"})


def _seed_programs(ops_user, resellers):
    """Northwind: base program approved, Azure Plan pending. Maple Leaf: nothing requested."""
    from django.apps import apps
    from django.utils import timezone

    from programs.defaults import ensure_country_links, ensure_programs
    from programs.models import Program, ProgramRequest

    ensure_programs(apps)
    ensure_country_links(apps)
    northwind = resellers["northwind"]
    owner = User.objects.get(email="owner@northwind.example")
    now = timezone.now()
    for code, state in (("azure-reseller", "approved"), ("azure-plan", "pending")):
        decided = {"decided_by": ops_user, "decided_at": now} if state == "approved" else {}
        ProgramRequest.objects.get_or_create(
            reseller=northwind, program=Program.objects.get(code=code),
            state__in=["pending", "approved"],
            defaults={"state": state, "requested_by": owner, **decided})


class Command(BaseCommand):
    help = ("Load demo data: an operations user, a US and a Canadian reseller, "
            "their users and customers.")

    @transaction.atomic
    def handle(self, *args, **options):
        ops = _user("ops@example.com", first="Olivia", last="Ops", staff=True)
        logins = [("Operations (staff, admin)", ops.email)]
        _seed_catalog(ops)
        demo_resellers = {}
        with scopes_disabled():
            for spec in RESELLERS:
                spec = dict(spec)
                key, customers = spec.pop("key"), spec.pop("customers")
                reseller, _ = Reseller.objects.update_or_create(name=spec.pop("name"),
                                                                defaults=spec)
                demo_resellers[key] = reseller
                for role, first in ((Role.OWNER, "Owen"), (Role.VIEWER, "Vera")):
                    user = _user(f"{role}@{key}.example", first=first,
                                 last=reseller.name.split()[0])
                    Membership.objects.update_or_create(user=user, reseller=reseller,
                                                        defaults={"role": role})
                    logins.append((f"{reseller.name} {role}", user.email))
                for name, domain, city, region, postal, first, last in customers:
                    customer, _ = Customer.objects.update_or_create(
                        reseller=reseller, primary_domain=domain,
                        defaults={
                            "company_name": name, "country": reseller.country,
                            "currency": reseller.currency, "address_line1": "1 Main Street",
                            "city": city, "region": region, "postal_code": postal,
                            "contact_first_name": first, "contact_last_name": last,
                            "contact_email": f"{first.lower()}@{domain.split('.')[0]}.example",
                        },
                    )
                    if domain in MCA_DEMO:
                        owner = User.objects.get(email=f"owner@{key}.example")
                        _seed_mca(customer, *MCA_DEMO[domain], sent_by=owner, ops_user=ops)
            _seed_support(demo_resellers["northwind"])
            _seed_price_books(demo_resellers)
            _seed_programs(ops, demo_resellers)
            seed_subscriptions()
            seed_usage()
            seed_billing()
            # One person working for both resellers, to show the reseller switcher.
            consultant = _user("consultant@example.com", first="Casey", last="Consultant")
            for key, role in (("northwind", Role.ADMIN), ("mapleleaf", Role.SALES)):
                Membership.objects.update_or_create(user=consultant, reseller=demo_resellers[key],
                                                    defaults={"role": role})
            logins.append(("Northwind admin + Maple Leaf sales", consultant.email))
        self.stdout.write(self.style.SUCCESS("Demo data loaded. Sign in at /accounts/login/ with:"))
        for label, email in logins:
            self.stdout.write(f"  {label:<40} {email:<28} password: {DEMO_PASSWORD}")
