import pytest
from django.core.management import call_command
from django_scopes import scopes_disabled
from playwright.sync_api import expect

from customers.models import Customer
from partner_center.sandbox import SandboxGateway
from portal.models import Reseller

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_maple_takes_over_a_northwind_subscription(live_server, page, sign_in):
    call_command("seed_demo", stdout=open("/dev/null", "w"))  # noqa: SIM115
    with scopes_disabled():  # Contoso moves to Maple Leaf: it accepted Maple's relationship
        contoso = Customer.objects.get(primary_domain="contoso.onmicrosoft.com")
        maple = Reseller.objects.get(partner_id="7654321")
        SandboxGateway().accept_relationship(str(contoso.tenant_id), maple.partner_id)
        Customer.objects.create(
            reseller=maple,
            company_name="Contoso Ltd",
            primary_domain=contoso.primary_domain,
            country="CA",
            currency="CAD",
            address_line1="1 Bay Street",
            city="Toronto",
            postal_code="M5H 2N2",
            contact_first_name="Avery",
            contact_last_name="Hill",
            contact_email="avery@contoso.example",
        )

    sign_in("owner@mapleleaf.example", "demo-portal-2026")
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Subscriptions").click()
    page.get_by_role("button", name="Transfers").click()
    page.get_by_role("button", name="Request a transfer").click()
    page.get_by_label("Customer").select_option(label="Contoso Ltd")
    page.get_by_label("Current provider's MPN/Partner ID").fill("4567890")
    page.get_by_role("button", name="List the customer's subscriptions").click()
    # one tenant, one reseller: the tenant moves with all its subscriptions
    for box in page.get_by_role("checkbox").all():
        box.check()
    page.get_by_role("button", name="Request the transfer").click()
    expect(page.get_by_text("Transfer requested from partner 4567890")).to_be_visible()
    expect(page.get_by_test_id("status")).to_have_text("Pending")
    transfer_url = page.url

    page.context.clear_cookies()
    sign_in("owner@northwind.example", "demo-portal-2026")
    page.goto(f"{live_server.url}/subscriptions/transfers/?tab=incoming")
    expect(page.get_by_test_id("transfers")).to_contain_text("Maple Leaf IT Solutions")
    page.get_by_test_id("transfers").get_by_role("link").first.click()
    page.get_by_role("button", name="Approve and transfer").click()
    expect(page.get_by_text("The transfer is completed.")).to_be_visible()

    page.context.clear_cookies()
    sign_in("owner@mapleleaf.example", "demo-portal-2026")
    page.goto(transfer_url)
    expect(page.get_by_test_id("status")).to_have_text("Completed")
    page.get_by_test_id("items").get_by_role("link", name="Microsoft 365 Business Premium").click()
    expect(page.get_by_test_id("status")).to_have_text("Active")
