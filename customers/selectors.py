"""Reads of customers, always within the member's reseller."""

from dataclasses import dataclass

from django.db.models import Q
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django_scopes import scopes_disabled

from customers.models import Customer, McaAcceptance, McaInvitation, McaStatus


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


@dataclass(frozen=True)
class Missing:
    """One thing still missing before a customer can order: what, and where to do it."""

    text: str
    url: str = ""
    link_text: str = ""
    refusal: str = ""  # the shorter words of a refused order, when they differ


def order_readiness(customer: Customer) -> list[Missing]:
    """What the customer still lacks before Partner Center takes an order, in the order a
    reseller does it: the MCA accepted, the Microsoft tenant, the acceptance attested in
    Partner Center (done on its own as soon as both the acceptance and the tenant exist)."""
    page = reverse("customers:detail", kwargs={"customer_id": customer.pk})
    missing: list[Missing] = []
    if customer.mca_status == McaStatus.NOT_SENT:
        missing.append(
            Missing(
                f"MCA not accepted for {customer}: send the MCA click-through to "
                f"{customer.contact_email}.",
                f"{page}#mca",
                "Send the MCA click-through",
                refusal=f"MCA not accepted for {customer}.",
            )
        )
    elif customer.mca_status == McaStatus.SENT:
        missing.append(
            Missing(
                f"MCA not accepted for {customer}: the click-through was sent to "
                f"{customer.contact_email}, who has not accepted it yet.",
                f"{page}#mca",
                "Resend the MCA click-through",
                refusal=f"MCA not accepted for {customer}.",
            )
        )
    if not customer.tenant_id:
        if not customer.reseller.partner_id:
            missing.append(
                Missing(
                    "Your MPN/Partner ID is missing: Partner Center needs it to create the "
                    "customer's tenant.",
                    reverse("profile"),
                    "Enter it in the partner profile",
                )
            )
        missing.append(
            Missing(
                f"{customer} has no Microsoft tenant yet.",
                f"{page}#tenant",
                "Create or link the Microsoft tenant",
            )
        )
    if customer.mca_status == McaStatus.ACCEPTED and customer.tenant_id:
        acceptance = McaAcceptance.objects.filter(customer=customer).first()
        if acceptance and acceptance.log_error:
            missing.append(
                Missing(
                    "Partner Center refused the attestation of the MCA acceptance "
                    f"({acceptance.log_error}); operations have it in their queue.",
                    reverse("support:ticket_create"),
                    "Open a support ticket",
                )
            )
        else:
            missing.append(
                Missing(
                    "The MCA acceptance is being attested in Partner Center; reload this "
                    "page in a minute.",
                    page,
                    "See the customer",
                )
            )
    return missing
