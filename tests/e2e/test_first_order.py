"""Issue 21 item 1 in the browser: a new customer's first order in the natural order (create
customer → send MCA → customer accepts → create the tenant → buy). Before the customer is
ready the buy page says what is missing, with a link to do it."""

import re

import pytest
from django.core import mail
from django.core.management import call_command
from playwright.sync_api import expect

from tests.e2e.test_every_page import listen_for_errors

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

PREMIUM = (
    "Microsoft 365 Business Premium (New Commerce licence-based (Microsoft 365, "
    "Dynamics 365, Windows 365))"
)


def test_first_order_in_the_natural_order(live_server, page, sign_in, browser):
    call_command("seed_demo", stdout=open("/dev/null", "w"))  # noqa: SIM115
    mail.outbox.clear()
    errors = listen_for_errors(page)

    sign_in("owner@northwind.example", "demo-portal-2026")
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Customers").click()
    page.get_by_role("button", name="New customer").click()
    page.get_by_label("Company name").fill("Lamna Healthcare")
    page.get_by_label("Primary domain").fill("lamnahealthcare.onmicrosoft.com")
    page.get_by_label(re.compile(r"^Address:?$")).fill("400 Broad Street")
    page.get_by_label("City").fill("Seattle")
    page.get_by_label("Postal code").fill("98109")
    page.get_by_label("Contact first name").fill("Robin")
    page.get_by_label("Contact last name").fill("Kline")
    page.get_by_label("Contact e-mail").fill("robin@lamna.test")
    page.get_by_role("button", name="Add customer").click()
    expect(page.get_by_text("Lamna Healthcare added")).to_be_visible()
    customer_url = page.url

    # the buy page says what is missing, with links that lead to doing it
    page.get_by_role("button", name="Buy a subscription").click()
    missing = page.get_by_test_id("missing")
    expect(missing).to_contain_text("MCA not accepted for Lamna Healthcare")
    expect(missing).to_contain_text("Lamna Healthcare has no Microsoft tenant yet.")
    missing.get_by_role("link", name="Send the MCA click-through").click()
    expect(page).to_have_url(re.compile(re.escape(customer_url) + "#mca$"))

    page.get_by_role("button", name="Send MCA click-through").click()
    expect(page.get_by_test_id("mca-state")).to_have_text("Sent")

    email = next(m for m in mail.outbox if m.to == ["robin@lamna.test"])
    link = re.search(r"http://\S+/c/mca/\S+/", email.body).group(0)
    customer_context = browser.new_context()
    customer = customer_context.new_page()
    customer.goto(link)
    customer.get_by_label("I accept the Microsoft Customer Agreement").check()
    customer.get_by_role("button", name="Accept the agreement").click()
    expect(customer.get_by_test_id("accepted")).to_contain_text("Robin Kline accepted")
    customer_context.close()

    page.goto(customer_url)
    expect(page.get_by_test_id("mca-state")).to_have_text("Accepted")
    expect(page.get_by_text("as soon as the customer has its Microsoft tenant")).to_be_visible()
    page.get_by_role("button", name="Create the Microsoft tenant in Partner Center").click()
    expect(page.get_by_test_id("tenant-id")).to_be_visible()
    # the acceptance is attested as soon as the tenant exists: no operations step
    expect(page.get_by_test_id("mca-state")).to_have_text("Logged in Partner Center")
    expect(page.get_by_test_id("missing")).to_have_count(0)

    page.get_by_role("button", name="Buy a subscription").click()
    page.get_by_label("Offer").select_option(label=PREMIUM)
    page.get_by_label("Term:").select_option("P1Y")
    page.get_by_label("Billing").select_option("monthly")
    page.get_by_label("Quantity").fill("5")
    expect(page.get_by_test_id("quote")).to_contain_text("5 seats")
    expect(page.get_by_test_id("missing")).to_have_count(0)
    page.get_by_role("button", name="Buy", exact=True).click()
    expect(
        page.get_by_text("Bought 5 × Microsoft 365 Business Premium for Lamna Healthcare")
    ).to_be_visible()
    expect(page.get_by_test_id("status")).to_have_text("Active")
    assert errors == [], "\n".join(errors)
