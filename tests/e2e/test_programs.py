import pytest
from django.core.management import call_command
from playwright.sync_api import expect

from portal.roles import Role
from tests.factories import PASSWORD, MembershipFactory, ResellerFactory, UserFactory

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_owner_requests_base_program_ops_approves_then_azure_plan(
    live_server, page, sign_in, browser
):
    call_command("seed_demo", stdout=open("/dev/null", "w"))  # noqa: SIM115
    reseller = ResellerFactory(name="Fresh Cloud Reseller", partner_id=None, programs=())
    owner = UserFactory(email="owner@fresh.example")
    MembershipFactory(user=owner, reseller=reseller, role=Role.OWNER)

    sign_in("owner@fresh.example", PASSWORD)
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Programs").click()
    expect(page.get_by_test_id("profile-missing")).to_contain_text("MPN/Partner ID")
    page.get_by_role("link", name="Complete the partner profile").click()
    page.get_by_label("MPN/Partner ID").fill("8642097")
    page.get_by_label("Microsoft Partner Agreement accepted on").fill("2025-02-03")
    page.get_by_role("button", name="Save profile").click()
    expect(page.get_by_text("Partner profile saved.")).to_be_visible()

    page.get_by_role("navigation", name="Main").get_by_role("link", name="Programs").click()
    expect(page.get_by_test_id("profile-missing")).to_contain_text(
        "the verification of your MPN/Partner ID by operations"
    )

    ops_context = browser.new_context()
    ops = ops_context.new_page()
    ops.goto(f"{live_server.url}/accounts/login/")
    ops.get_by_label("Email").fill("ops@example.com")
    ops.get_by_label("Password").fill("demo-portal-2026")
    ops.get_by_role("button", name="Sign In").click()
    ops.goto(f"{live_server.url}/ops/")
    ops.get_by_role("button", name="Verify MPN/Partner ID of Fresh Cloud Reseller").click()
    expect(
        ops.get_by_text("MPN/Partner ID 8642097 of Fresh Cloud Reseller verified.")
    ).to_be_visible()

    page.reload()
    expect(page.get_by_test_id("profile-missing")).to_have_count(0)
    plan_row = page.get_by_test_id("program-azure-plan")
    expect(plan_row.get_by_role("button", name="Request access")).to_be_disabled()
    page.get_by_label("I accept the terms of Microsoft Azure Reseller Program").check()
    page.get_by_role("button", name="Request access to Microsoft Azure Reseller Program").click()
    expect(
        page.get_by_text("Access to Microsoft Azure Reseller Program requested.")
    ).to_be_visible()
    expect(page.get_by_test_id("state-azure-reseller")).to_have_text("Pending")

    ops.goto(f"{live_server.url}/ops/")
    ops.get_by_role("link", name="Program requests").click()
    decision = "Microsoft Azure Reseller Program for Fresh Cloud Reseller"
    ops.get_by_role("button", name=f"Approve {decision}").click()
    expect(ops.get_by_text(f"Approved {decision}.")).to_be_visible()
    ops_context.close()

    page.reload()
    expect(page.get_by_test_id("state-azure-reseller")).to_have_text("Approved")
    expect(page.get_by_test_id("unread-count")).to_have_text("2")  # verified, approved
    page.get_by_label("I accept the terms of Microsoft Azure Plan").check()
    page.get_by_role("button", name="Request access to Microsoft Azure Plan").click()
    expect(page.get_by_text("Access to Microsoft Azure Plan requested.")).to_be_visible()
    expect(page.get_by_test_id("state-azure-plan")).to_have_text("Pending")
