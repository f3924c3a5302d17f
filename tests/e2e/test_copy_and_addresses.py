"""Issue 21 items 8 and 11 in the browser: the relationship link and a report's subscription
IDs are copied by their buttons (no inline script, under the CSP); US addresses read
"Seattle, WA 98101"."""

import pytest
from django.core.management import call_command
from playwright.sync_api import expect

from tests.e2e.test_every_page import listen_for_errors

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]
REPORTS = [
    "/billing/reports/azure-plan/",
    "/billing/reports/azure-plan/daily/",
    "/billing/reports/modern-workplace/",
    "/billing/reports/azure-legacy/",
]


def test_copy_buttons_and_us_address_order(live_server, page, sign_in, browser):
    from customers.models import Customer

    call_command("seed_demo", stdout=open("/dev/null", "w"))  # noqa: SIM115
    page.context.grant_permissions(["clipboard-read", "clipboard-write"])
    errors = listen_for_errors(page)
    sign_in("owner@northwind.example", "demo-portal-2026")
    from django_scopes import scopes_disabled

    with scopes_disabled():
        contoso = Customer.objects.get(company_name="Contoso Ltd")
    page.goto(f"{live_server.url}/customers/{contoso.pk}/")
    expect(page.get_by_test_id("locality")).to_have_text("Seattle, WA 98101")

    link = page.get_by_test_id("relationship-link").input_value()
    page.get_by_role("button", name="Copy the relationship link").click()
    expect(page.get_by_role("button", name="Copy the relationship link")).to_have_text("Copied")
    assert page.evaluate("navigator.clipboard.readText()") == link

    page.goto(f"{live_server.url}/billing/reports/modern-workplace/")
    copy = page.get_by_role("button", name="Copy the subscription ID").first
    full = copy.get_attribute("data-copy")
    assert len(full) > 9
    copy.click()
    assert page.evaluate("navigator.clipboard.readText()") == full

    # the report tables fit a 1366-px screen: no sideways scrolling of the page or a table
    page.set_viewport_size({"width": 1366, "height": 768})
    too_wide = {}
    for path in REPORTS:
        page.goto(live_server.url + path)
        widths = page.evaluate(
            "[document.documentElement.scrollWidth, ...Array.from("
            "document.querySelectorAll('table.report'), t => t.scrollWidth - t.clientWidth)]"
        )
        if widths[0] > 1366 or any(extra > 1 for extra in widths[1:]):
            too_wide[path] = widths + page.evaluate(
                "Array.from(document.querySelectorAll('table.report th'),"
                " th => th.textContent.trim() + ':' + Math.round(th.getBoundingClientRect().width))"
            )
    assert too_wide == {}
    assert errors == [], "\n".join(errors)
