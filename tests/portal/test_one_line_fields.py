"""Line breaks in one-line fields (issue 20, item 9): a ticket subject, a customer or reseller
name with a line break is refused (form error, nothing saved), and e-mail subjects are made one
line anyway so that such text can never stop an e-mail (the operations e-mail of an urgent
ticket)."""

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from customers import services as customer_services
from customers.models import Customer
from portal import services as portal_services
from portal.emails import send
from portal.notifications import email_operations_task
from support import services as support_services
from support.models import Ticket
from tests.factories import UserFactory

BREAKS = ["Urgent\r\nBcc: victim@example.test", "Two\nlines", "Line\u2028separator"]
CUSTOMER = {
    "company_name": "Lamna",
    "country": "US",
    "currency": "USD",
    "address_line1": "1 Main St",
    "city": "Seattle",
    "postal_code": "98101",
    "contact_first_name": "Rita",
    "contact_last_name": "Kim",
    "contact_email": "rita@lamna.test",
    "primary_domain": "lamna.onmicrosoft.com",
}


@pytest.mark.django_db
@pytest.mark.parametrize("text", BREAKS)
def test_line_breaks_in_one_line_fields_are_refused(owner_a, text, unscoped):
    with pytest.raises(ValidationError, match="line breaks are not allowed"):
        support_services.ticket_open(
            member=owner_a,
            subject=text,
            category="billing",
            priority="urgent",
            description="Invoice is wrong.",
        )
    with pytest.raises(ValidationError, match="line breaks are not allowed"):
        customer_services.customer_create(member=owner_a, **{**CUSTOMER, "company_name": text})
    with pytest.raises(ValidationError, match="line breaks are not allowed"):
        portal_services.reseller_update_profile(member=owner_a, name=text)
    with unscoped():
        assert not Ticket.objects.exists() and not Customer.objects.exists()
    owner_a.reseller.refresh_from_db()
    assert owner_a.reseller.name == "Alpha Cloud"


@pytest.mark.django_db
def test_the_ticket_form_says_so(owner_a, client_for, unscoped):
    response = client_for(owner_a).post(
        reverse("support:ticket_create"),
        {
            "subject": "Down\r\nBcc: x@example.test",
            "category": "billing",
            "priority": "urgent",
            "description": "Invoice is wrong.",
        },
    )
    assert response.status_code == 200
    assert "line breaks are not allowed" in response.content.decode()
    with unscoped():
        assert not Ticket.objects.exists()


@pytest.mark.django_db
def test_email_subjects_are_made_one_line(mailoutbox):
    UserFactory(email="duty@distributor.test", is_staff=True)
    email_operations_task("[URGENT] New ticket #7 from Old\r\nName: Down\nnow", "body")
    send(subject="Tailspin\u2028Toys: your customer portal", body="b", to=["c@example.test"])
    assert [m.subject for m in mailoutbox] == [
        "[URGENT] New ticket #7 from Old Name: Down now",
        "Tailspin Toys: your customer portal",
    ]
