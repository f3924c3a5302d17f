"""E-mails to customer contacts. Run in Celery tasks once the sending transaction committed."""

from django.template.loader import render_to_string
from django.urls import reverse
from django_scopes import scopes_disabled

from customers import links
from customers.models import Customer, McaInvitation
from portal.emails import absolute_url, send


def send_mca_link(invitation_id: int) -> None:
    with scopes_disabled():
        invitation = McaInvitation.objects.select_related("customer", "reseller").get(
            pk=invitation_id
        )
    token = links.mca_token(invitation)
    link = absolute_url(reverse("customer_portal:mca", kwargs={"token": token}))
    body = render_to_string(
        "customers/email/mca_link.txt",
        {
            "invitation": invitation,
            "customer": invitation.customer,
            "reseller": invitation.reseller,
            "link": link,
        },
    )
    send(
        subject=f"{invitation.reseller.name}: please accept the Microsoft Customer Agreement "
        f"for {invitation.customer}",
        body=body,
        to=[invitation.sent_to],
    )


def send_portal_link(customer_id: int) -> None:
    with scopes_disabled():
        customer = Customer.objects.select_related("reseller").get(pk=customer_id)
    link = absolute_url(
        reverse("customer_portal:home", kwargs={"token": links.portal_token(customer)})
    )
    body = render_to_string(
        "customers/email/portal_link.txt",
        {"customer": customer, "reseller": customer.reseller, "link": link},
    )
    send(
        subject=f"{customer.reseller.name}: your customer portal",
        body=body,
        to=[customer.contact_email],
    )
