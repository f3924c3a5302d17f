"""Issue 21 item 12: the distributor's own support contacts, edited by operations, shown to
resellers (support page, contact page, help page and menu) and, next to the customer's plan,
in the customer portal; the help menu links Microsoft's direct-bill-to-indirect transition
guide; the Marketplace one-time-charges notice links a new support ticket."""

import pytest
from django.urls import reverse

from customers.links import portal_token
from portal.context_processors import TRANSITION_GUIDE
from support.models import DistributorSupport, PlanAssignment
from tests.factories import CustomerFactory, SupportPlanFactory

CONTACTS = {
    "name": "Distributor operations desk",
    "chat_url": "https://chat.distributor.test/csp",
    "email": "csp-support@distributor.test",
    "phone": "+1 425 555 0100",
    "hours": "24x365",
}


@pytest.fixture
def desk(db):
    return DistributorSupport.objects.create(**CONTACTS)


def _shows_contacts(page: str) -> bool:
    return all(v in page for v in CONTACTS.values())


@pytest.mark.django_db
def test_one_desk_row_whatever_is_saved():
    DistributorSupport.objects.create(email="a@distributor.test")
    DistributorSupport(email="b@distributor.test").save()
    assert DistributorSupport.objects.count() == 1
    assert DistributorSupport.load().email == "b@distributor.test"


@pytest.mark.django_db
def test_resellers_see_the_contacts_and_the_transition_guide(desk, owner_a, client_for):
    client = client_for(owner_a)
    for name in ("support:home", "support:contact", "help"):
        page = client.get(reverse(name)).content.decode()
        assert _shows_contacts(page), name
    page = client.get(reverse("dashboard")).content.decode()
    assert f'href="{reverse("support:contact")}"' in page  # the help menu, on every page
    assert f'href="{TRANSITION_GUIDE}"' in page


@pytest.mark.django_db
def test_no_contacts_card_until_operations_publish_them(owner_a, client_for):
    page = client_for(owner_a).get(reverse("support:contact")).content.decode()
    assert 'data-testid="distributor-support"' not in page
    assert "has not published its contacts yet" in page


@pytest.mark.django_db
def test_operations_edit_the_contacts_in_the_admin(desk, client, settings):
    from tests.factories import UserFactory

    settings.STAFF_MFA_REQUIRED = False
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    url = reverse("admin:support_distributorsupport_change", args=[1])
    response = client.post(url, {**CONTACTS, "phone": "+1 425 555 0199"})
    assert response.status_code == 302
    assert DistributorSupport.load().phone == "+1 425 555 0199"
    assert client.get(reverse("admin:support_distributorsupport_add")).status_code == 403


@pytest.mark.django_db
def test_customer_portal_shows_the_desk_with_the_customers_plan(desk, reseller_a, client):
    customer = CustomerFactory(reseller=reseller_a)
    url = reverse("customer_portal:home", kwargs={"token": portal_token(customer)})
    assert not _shows_contacts(client.get(url).content.decode())  # no plan: the reseller
    plan = SupportPlanFactory(reseller=reseller_a, name="Gold")
    from django_scopes import scopes_disabled

    with scopes_disabled():
        PlanAssignment.objects.create(reseller=reseller_a, customer=customer, plan=plan)
    page = client.get(url).content.decode()
    assert "Gold" in page and _shows_contacts(page)


@pytest.mark.django_db
def test_marketplace_notice_links_a_billing_ticket(owner_a, client_for):
    page = client_for(owner_a).get(reverse("billing:home")).content.decode()
    assert "Azure Marketplace one-time charges" in page
    assert f'href="{reverse("support:ticket_create")}?category=billing"' in page
    form = client_for(owner_a).get(reverse("support:ticket_create") + "?category=billing")
    assert '<option value="billing" selected>' in form.content.decode()


@pytest.mark.django_db
def test_report_and_invoice_notices_link_a_billing_ticket(owner_a, client_for):
    ticket = f'href="{reverse("support:ticket_create")}?category=billing"'
    client = client_for(owner_a)
    for name in ("billing:reports", "billing:report_azure_plan"):
        page = client.get(reverse(name)).content.decode()
        notice = page.split('data-testid="marketplace-notice"', 1)[1].split("</p>", 1)[0]
        assert "one-time charges" in notice and ticket in notice, name
