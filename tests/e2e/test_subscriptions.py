import datetime as dt

import pytest
import time_machine
from django.core.management import call_command
from django.utils import timezone
from playwright.sync_api import expect

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_buy_change_seats_schedule_and_assign(live_server, page, sign_in):
    call_command("seed_demo", stdout=open("/dev/null", "w"))  # noqa: SIM115
    sign_in("owner@northwind.example", "demo-portal-2026")
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Customers").click()
    page.get_by_role("link", name="Contoso Ltd").click()
    page.get_by_role("button", name="Buy a subscription").click()

    page.get_by_label("Offer").select_option(label="Microsoft 365 Business Premium "
                                                   "(New Commerce licence-based (Microsoft 365, "
                                                   "Dynamics 365, Windows 365))")
    page.get_by_label("Term:").select_option("P1Y")
    page.get_by_label("Billing").select_option("monthly")
    page.get_by_label("Quantity").fill("10")
    expect(page.get_by_test_id("quote")).to_contain_text("25.30 USD")
    expect(page.get_by_test_id("quote")).to_contain_text("253.00 USD")
    page.get_by_role("button", name="Buy", exact=True).click()
    expect(page.get_by_text("Bought 10 × Microsoft 365 Business Premium for Contoso Ltd")
           ).to_be_visible()
    expect(page.get_by_test_id("seats")).to_have_text("10")
    subscription_url = page.url

    page.get_by_label("Seats").fill("15")
    page.get_by_role("button", name="Change seats now").click()
    expect(page.get_by_text("5 seats added")).to_be_visible()
    expect(page.get_by_test_id("seats")).to_have_text("15")

    page.get_by_label("Seats").fill("10")
    page.get_by_role("button", name="Change seats now").click()
    expect(page.get_by_text("5 seats removed with a prorated credit")).to_be_visible()
    expect(page.get_by_test_id("seats")).to_have_text("10")

    with time_machine.travel(timezone.now() + dt.timedelta(days=8), tick=True):
        page.goto(subscription_url)
        expect(page.get_by_test_id("window")).to_contain_text("Closed")
        page.get_by_label("Seats").fill("8")
        page.get_by_role("button", name="Change seats now").click()
        expect(page.get_by_text("Only 0 of the 2 seats can be removed now")).to_be_visible()
        page.get_by_role("button", name="Schedule 8 seats for renewal").click()
        expect(page.get_by_test_id("scheduled")).to_contain_text("8 seats")
        expect(page.get_by_test_id("seats")).to_have_text("10")

        for name, upn in (("Ann Lee", "ann@contoso.example"), ("Bo Ray", "bo@contoso.example"),
                          ("Cy Ng", "cy@contoso.example")):
            page.get_by_label("Display name").fill(name)
            page.get_by_label("User principal name (UPN)").fill(upn)
            page.get_by_role("button", name="Assign a seat").click()
            expect(page.get_by_text(f"{name} has a seat.")).to_be_visible()
        expect(page.get_by_test_id("unused")).to_have_text("7")

        # lengthen the term: a new 3-year term starts today and the scheduled decrease goes
        page.get_by_label("New term").select_option("P3Y")
        page.get_by_label("Billed:").select_option("monthly")
        page.get_by_role("button", name="Lengthen the term now").click()
        expect(page.get_by_text("The term is now 3 years, billed monthly")).to_be_visible()
        expect(page.get_by_test_id("scheduled")).to_have_count(0)
        expect(page.get_by_test_id("seats")).to_have_text("10")
        expect(page.get_by_text("Term lengthened (prorated credit)")).to_be_visible()
