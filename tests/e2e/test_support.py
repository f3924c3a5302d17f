import pytest
from django.core.management import call_command
from playwright.sync_api import expect

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_reseller_opens_a_ticket_ops_answers_reseller_resolves(live_server, page, sign_in, browser):
    call_command("seed_demo", stdout=open("/dev/null", "w"))  # noqa: SIM115

    sign_in("owner@northwind.example", "demo-portal-2026")
    page.get_by_label("Help").click()
    page.get_by_role("link", name="Open a ticket").click()
    page.get_by_label("Subject").fill("Invoice shows wrong seat count")
    page.get_by_label("Category").select_option("billing")
    page.get_by_label("Priority").select_option("high")
    page.get_by_label("Description").fill("November invoice lists 12 seats, we have 10.")
    page.get_by_role("button", name="Open the ticket").click()
    expect(page.get_by_text("is open. First response by")).to_be_visible()
    ticket_url = page.url

    ops_context = browser.new_context()
    ops = ops_context.new_page()
    ops.goto(f"{live_server.url}/accounts/login/")
    ops.get_by_label("Email").fill("ops@example.com")
    ops.get_by_label("Password").fill("demo-portal-2026")
    ops.get_by_role("button", name="Sign In").click()
    ops.goto(f"{live_server.url}/ops/support/")
    ops.get_by_role("link", name="Invoice shows wrong seat count").click()
    ops.get_by_label("Message").fill("Corrected: a credit note for 2 seats is issued.")
    ops.get_by_role("button", name="Send").click()
    expect(ops.get_by_text("Answer sent to the reseller.")).to_be_visible()
    ops_context.close()

    page.goto(ticket_url)
    expect(page.get_by_text("Corrected: a credit note for 2 seats is issued.")).to_be_visible()
    expect(page.get_by_test_id("ticket-status")).to_have_text("Waiting on reseller")
    page.get_by_role("button", name="Mark resolved").click()
    expect(page.get_by_test_id("ticket-status")).to_have_text("Resolved")
    expect(page.get_by_role("button", name="Reopen")).to_be_visible()
