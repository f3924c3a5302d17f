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

    page.get_by_label("Offer").select_option(
        label="Microsoft 365 Business Premium "
        "(New Commerce licence-based (Microsoft 365, "
        "Dynamics 365, Windows 365))"
    )
    page.get_by_label("Term:").select_option("P1Y")
    page.get_by_label("Billing").select_option("monthly")
    page.get_by_label("Quantity").fill("10")
    expect(page.get_by_test_id("quote")).to_contain_text("25.30 USD")
    expect(page.get_by_test_id("quote")).to_contain_text("253.00 USD")
    page.get_by_role("button", name="Buy", exact=True).click()
    expect(
        page.get_by_text("Bought 10 × Microsoft 365 Business Premium for Contoso Ltd")
    ).to_be_visible()
    expect(page.get_by_test_id("seats")).to_have_text("10")
    subscription_url = page.url

    page.get_by_role("spinbutton", name="Seats:", exact=True).fill("15")
    page.get_by_role("button", name="Change seats now").click()
    expect(page.get_by_text("5 seats added")).to_be_visible()
    expect(page.get_by_test_id("seats")).to_have_text("15")

    page.get_by_role("spinbutton", name="Seats:", exact=True).fill("10")
    page.get_by_role("button", name="Change seats now").click()
    expect(page.get_by_text("5 seats removed with a prorated credit")).to_be_visible()
    expect(page.get_by_test_id("seats")).to_have_text("10")

    with time_machine.travel(timezone.now() + dt.timedelta(days=8), tick=True):
        page.goto(subscription_url)
        expect(page.get_by_test_id("window")).to_contain_text("Closed")
        page.get_by_role("spinbutton", name="Seats:", exact=True).fill("8")
        page.get_by_role("button", name="Change seats now").click()
        expect(page.get_by_text("Only 0 of the 2 seats can be removed now")).to_be_visible()
        page.get_by_role("button", name="Schedule 8 seats for renewal").click()
        expect(page.get_by_test_id("scheduled")).to_contain_text("8 seats")
        expect(page.get_by_test_id("seats")).to_have_text("10")

        for name, upn in (
            ("Ann Lee", "ann@contoso.example"),
            ("Bo Ray", "bo@contoso.example"),
            ("Cy Ng", "cy@contoso.example"),
        ):
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


def test_cancel_and_unassign_ask_for_confirmation_first(live_server, page, sign_in):
    from django_scopes import scopes_disabled

    from customers.models import Customer
    from portal.models import Membership
    from subscriptions.catalog.models import Offer
    from tests.factories import SeatAssignmentFactory
    from tests.subscriptions.conftest import PREMIUM, buy_now

    call_command("seed_demo", stdout=open("/dev/null", "w"))  # noqa: SIM115
    with scopes_disabled():
        owner = Membership.objects.get(user__email="owner@northwind.example")
        sub = buy_now(
            member=owner,
            customer=Customer.objects.get(company_name="Contoso Ltd"),
            offer=Offer.objects.get(sku=PREMIUM),
            term="P1Y",
            billing_frequency="monthly",
            quantity=4,
            idempotency_key="e2e-cancel",
        )
        SeatAssignmentFactory(subscription=sub, display_name="Ann Lee")
    errors = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    sign_in("owner@northwind.example", "demo-portal-2026")
    page.goto(f"{live_server.url}/subscriptions/{sub.pk}/")

    page.get_by_role("button", name="Unassign").click()
    expect(page.get_by_test_id("consequences")).to_contain_text("Ann Lee")
    page.get_by_role("button", name="Go back, change nothing").click()
    expect(page.get_by_role("cell", name="Ann Lee")).to_be_visible()  # still assigned
    page.get_by_role("button", name="Unassign").click()
    page.get_by_role("button", name="Unassign").click()
    expect(page.get_by_text("Ann Lee no longer has a seat.")).to_be_visible()

    page.get_by_role("button", name="Cancel subscription").click()
    said = page.get_by_test_id("consequences")
    expect(said).to_contain_text("The customer is credited")
    expect(said).to_contain_text("The cancellation window closes")
    expect(page.get_by_test_id("status")).to_have_count(0)  # nothing happened yet
    page.get_by_role("button", name="Cancel the subscription").click()
    expect(page.get_by_text("Cancelled within 24 hours of the purchase")).to_be_visible()
    expect(page.get_by_test_id("status")).to_have_text("Cancelled")
    assert errors == []
