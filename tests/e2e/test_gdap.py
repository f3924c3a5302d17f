"""Browser journey (issue 25): a reseller asks a customer for admin access (GDAP) with chosen
roles, sees the approval link, the (sandbox) customer approves, the relationship is active
with its end date; Global Administrator with auto-extend is refused; no console error."""

import re

import pytest
from django.core.management import call_command
from playwright.sync_api import expect

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_ask_for_admin_access_and_see_it_approved(live_server, page, sign_in):
    errors = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    call_command("seed_demo", stdout=open("/dev/null", "w"))  # noqa: SIM115
    sign_in("owner@northwind.example", "demo-portal-2026")
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Customers").click()
    page.get_by_role("link", name="Fabrikam Inc").click()
    page.get_by_role("button", name="Ask for admin access").click()

    # the least-privileged set is ticked; Global Administrator with auto-extend is refused
    expect(page.get_by_role("checkbox", name="Directory Readers:")).to_be_checked()
    page.get_by_role("checkbox", name="Global Administrator:").check()
    page.get_by_role("button", name="Create the relationship and get the approval link").click()
    expect(page.get_by_text("Microsoft does not auto-extend").first).to_be_visible()

    page.get_by_role("checkbox", name="Global Administrator:").uncheck()
    page.get_by_role("checkbox", name="Exchange Administrator:").check()
    page.get_by_label("Duration (days)").fill("365")
    page.get_by_label("Your security group (object ID)").fill(
        "869713c9-0b28-4d08-8949-ae07ae1bf528"
    )
    page.get_by_role("button", name="Create the relationship and get the approval link").click()

    expect(page.get_by_test_id("gdap-status")).to_have_text("Waiting for the customer's approval")
    link = page.get_by_test_id("gdap-approval-link")
    expect(link).to_have_value(
        re.compile(
            r"^https://admin\.microsoft\.com/AdminPortal/Home#/partners/invitation/"
            r"granularAdminRelationships/[0-9a-f-]+$"
        )
    )
    expect(page.locator("#gdap")).to_contain_text("Exchange Administrator")

    page.get_by_role("button", name="Approve as the customer (sandbox)").click()
    expect(page.get_by_test_id("gdap-status")).to_have_text("Active")
    expect(page.get_by_test_id("gdap-ends")).to_be_visible()
    expect(page.locator("#gdap")).to_contain_text("access pending")
    page.get_by_role("button", name="Turn auto-extend off").click()
    expect(page.get_by_text("Auto-extend is off")).to_be_visible()
    expect(page.get_by_role("button", name="Turn auto-extend on")).to_be_visible()
    assert errors == []
