import re

import pytest
from django.core import mail
from django.core.management import call_command
from playwright.sync_api import expect

from tests.e2e.test_every_page import PHONE, page_width

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_customer_onboarding_with_mca_click_through(live_server, page, sign_in, browser):
    call_command("seed_demo", stdout=open("/dev/null", "w"))  # noqa: SIM115
    mail.outbox.clear()

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
    expect(page.get_by_test_id("mca-state")).to_have_text("Not sent")
    customer_url = page.url

    page.get_by_role("button", name="Send MCA click-through").click()
    expect(page.get_by_text("MCA click-through sent to robin@lamna.test")).to_be_visible()
    expect(page.get_by_test_id("mca-state")).to_have_text("Sent")

    # the customer opens the e-mailed link on its phone, no account
    email = next(m for m in mail.outbox if m.to == ["robin@lamna.test"])
    link = re.search(r"http://\S+/c/mca/\S+/", email.body).group(0)
    customer_context = browser.new_context(viewport=PHONE, is_mobile=True, has_touch=True)
    customer = customer_context.new_page()
    errors = []
    customer.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    customer.goto(link)
    expect(customer.get_by_role("heading", name="Microsoft Customer Agreement")).to_be_visible()
    assert page_width(customer) <= PHONE["width"]  # nothing to scroll sideways
    expect(customer.get_by_text("Northwind Cloud Partners").first).to_be_visible()
    customer.get_by_label("Phone (optional)").fill("+1 206 555 0142")
    customer.get_by_label("I accept the Microsoft Customer Agreement").check()
    customer.get_by_role("button", name="Accept the agreement").click()
    expect(customer.get_by_test_id("accepted")).to_contain_text("Robin Kline accepted")
    assert page_width(customer) <= PHONE["width"]
    assert errors == [], errors
    customer.goto(link)  # a used link answers 410 Gone (the browser logs that status)
    expect(customer.get_by_test_id("refusal")).to_contain_text("already been used")
    assert page_width(customer) <= PHONE["width"]
    customer_context.close()

    page.goto(customer_url)
    expect(page.get_by_test_id("mca-state")).to_have_text("Accepted")
    expect(page.get_by_text("Accepted by Robin Kline")).to_be_visible()

    ops_context = browser.new_context()
    ops = ops_context.new_page()
    ops.goto(f"{live_server.url}/accounts/login/")
    ops.get_by_label("Email").fill("ops@example.com")
    ops.get_by_label("Password").fill("demo-portal-2026")
    ops.get_by_role("button", name="Sign In").click()
    ops.goto(f"{live_server.url}/ops/customers/mca/")
    ops.get_by_label("Partner Center reference for Lamna Healthcare").fill("PC-2026-11-0042")
    ops.get_by_label("Partner Center reference for Lamna Healthcare").press("Enter")
    expect(ops.get_by_text("MCA of Lamna Healthcare marked as logged")).to_be_visible()
    ops_context.close()

    page.goto(customer_url)
    expect(page.get_by_test_id("mca-state")).to_have_text("Logged in Partner Center")
    expect(page.get_by_text("PC-2026-11-0042")).to_be_visible()
