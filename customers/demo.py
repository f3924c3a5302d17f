"""Demo customers of the demo resellers, with their MCA history (seed_demo, layer order)."""

import datetime
import uuid

from django.conf import settings
from django.utils import timezone

from customers.models import Customer, McaAcceptance, McaInvitation, McaStatus
from portal.demo import demo_resellers
from portal.models import User

# reseller key -> (company, domain, city, region, postal code, contact first and last name)
CUSTOMERS = {
    "northwind": [
        ("Contoso Ltd", "contoso.onmicrosoft.com", "Seattle", "WA", "98101", "Avery", "Hill"),
        ("Fabrikam Inc", "fabrikam.onmicrosoft.com", "Austin", "TX", "73301", "Jordan", "Lee"),
        ("Adatum Corporation", "adatum.onmicrosoft.com", "Denver", "CO", "80202", "Morgan", "Diaz"),
    ],
    "mapleleaf": [
        (
            "Tailspin Toys Canada",
            "tailspintoys.onmicrosoft.com",
            "Toronto",
            "ON",
            "M5H 2N2",
            "Sam",
            "Tremblay",
        ),
        (
            "Wide World Importers",
            "wideworldimporters.onmicrosoft.com",
            "Vancouver",
            "BC",
            "V6B 1A1",
            "Alex",
            "Roy",
        ),
    ],
}

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
        reseller=customer.reseller,
        customer=customer,
        sent_to=customer.contact_email,
        sent_by=sent_by,
        sent_at=sent_at,
        expires_at=sent_at + datetime.timedelta(days=14),
        state=McaInvitation.State.USED if accepted else McaInvitation.State.ACTIVE,
        closed_at=sent_at + datetime.timedelta(days=1) if accepted else None,
    )
    if accepted:
        logged = state == McaStatus.LOGGED
        McaAcceptance.objects.create(
            reseller=customer.reseller,
            customer=customer,
            invitation=invitation,
            first_name=customer.contact_first_name,
            last_name=customer.contact_last_name,
            email=customer.contact_email,
            date_agreed=invitation.closed_at,
            template_id=settings.MCA_TEMPLATE_ID,
            template_version=settings.MCA_TEMPLATE_VERSION,
            ip_address="203.0.113.10",
            user_agent="Mozilla/5.0 (demo)",
            logged_at=now - datetime.timedelta(days=1) if logged else None,
            logged_by=ops_user if logged else None,
            logged_via=McaAcceptance.LoggedVia.OPERATIONS if logged else "",
            partner_center_reference="PC-DEMO-0001" if logged else "",
        )
    customer.tenant_id = uuid.UUID(tenant_id) if tenant_id else None
    customer.mca_status = state
    customer.save(update_fields=["tenant_id", "mca_status"])


def seed(*, ops_user) -> None:
    for key, reseller in demo_resellers().items():
        owner = User.objects.get(email=f"owner@{key}.example")
        for name, domain, city, region, postal, first, last in CUSTOMERS[key]:
            customer, _ = Customer.objects.update_or_create(
                reseller=reseller,
                primary_domain=domain,
                defaults={
                    "company_name": name,
                    "country": reseller.country,
                    "currency": reseller.currency,
                    "address_line1": "1 Main Street",
                    "city": city,
                    "region": region,
                    "postal_code": postal,
                    "contact_first_name": first,
                    "contact_last_name": last,
                    "contact_email": f"{first.lower()}@{domain.split('.')[0]}.example",
                },
            )
            if domain in MCA_DEMO:
                _seed_mca(customer, *MCA_DEMO[domain], sent_by=owner, ops_user=ops_user)
            if domain == "contoso.onmicrosoft.com":
                _seed_gdap(customer, owner)


def _seed_gdap(customer, owner) -> None:
    """Contoso's admin relationship (GDAP), waiting for the customer's approval: its link shows
    on the customer page and in the customer portal."""
    from customers.gdap import roles
    from customers.gdap.models import AdminRelationship
    from customers.gdap.services import relationship_request
    from portal.models import Membership

    if not customer.tenant_id or AdminRelationship.objects.filter(customer=customer).exists():
        return
    relationship_request(
        member=Membership.objects.get(user=owner, reseller=customer.reseller),
        customer=customer,
        role_ids=list(roles.DEFAULTS),
        days=730,
        auto_extend=True,
        security_group_id="",
    )
