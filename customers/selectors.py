"""Reads of customers, always within the member's reseller."""

from django.db.models import Q
from django.shortcuts import get_object_or_404
from django_scopes import scopes_disabled

from customers.models import Customer, McaAcceptance, McaInvitation


def customers_of(reseller):
    return Customer.objects.filter(reseller=reseller)


def search_q(text: str) -> Q:
    """Customers whose name, domain, contact or tenant ID contains `text`."""
    text = text.strip()
    return (
        Q(company_name__icontains=text)
        | Q(primary_domain__icontains=text)
        | Q(contact_email__icontains=text)
        | Q(contact_last_name__icontains=text)
        | Q(tenant_id__icontains=text)
    )


def customer_get(*, member, customer_id: int) -> Customer:
    """The member's customer, or 404 alike for a missing or another reseller's one."""
    return get_object_or_404(
        customers_of(member.reseller).select_related("reseller"), pk=customer_id
    )


def ops_customer_get(customer_id: int) -> Customer:
    """Operations: any reseller's customer."""
    with scopes_disabled():
        return get_object_or_404(Customer.objects.select_related("reseller"), pk=customer_id)


def mca_timeline(customer: Customer) -> dict:
    """What the customer page shows of the MCA: the latest link and the acceptance."""
    acceptance = McaAcceptance.objects.filter(customer=customer).select_related("logged_by").first()
    links = list(McaInvitation.objects.filter(customer=customer).select_related("sent_by")[:10])
    return {
        "acceptance": acceptance,
        "links": links,
        "active_link": next((i for i in links if i.state == McaInvitation.State.ACTIVE), None),
    }


def mca_logging_queue(*, show: str = "pending"):
    """Operations: acceptances to log in Partner Center, oldest first (all resellers)."""
    with scopes_disabled():
        acceptances = McaAcceptance.objects.select_related("customer", "reseller", "logged_by")
        if show == "pending":
            return list(acceptances.filter(logged_at__isnull=True).order_by("date_agreed"))
        return list(acceptances.filter(logged_at__isnull=False).order_by("-logged_at")[:100])
