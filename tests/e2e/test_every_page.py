"""Checks that run on every main page of the journeys: no console error under the CSP, no
sideways scrolling on a phone."""

import pytest
from django.core.management import call_command
from playwright.sync_api import expect

from tests.e2e.pages import OPS_PAGES, RESELLER_PAGES, customer_pages, detail_pages

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def listen_for_errors(page):
    errors = []
    page.on(
        "console", lambda m: errors.append(f"{page.url}: {m.text}") if m.type == "error" else None
    )
    page.on("pageerror", lambda e: errors.append(f"{page.url}: {e}"))
    return errors


def test_no_console_error_on_any_page_of_the_journeys(live_server, page, sign_in):
    call_command("seed_demo", stdout=open("/dev/null", "w"))  # noqa: SIM115
    errors = listen_for_errors(page)

    sign_in("owner@northwind.example", "demo-portal-2026")
    for path in RESELLER_PAGES + detail_pages():
        page.goto(live_server.url + path)
        page.wait_for_load_state("networkidle")
    page.goto(live_server.url + "/accounts/logout/")
    page.get_by_role("button", name="Sign Out").click()
    for path in customer_pages():
        page.goto(live_server.url + path)
        page.wait_for_load_state("networkidle")

    sign_in("ops@example.com", "demo-portal-2026")
    for path in OPS_PAGES:
        page.goto(live_server.url + path)
        page.wait_for_load_state("networkidle")

    assert errors == [], "\n".join(errors)


PHONE = {"width": 390, "height": 844}


def page_width(page) -> int:
    return page.evaluate("document.scrollingElement.scrollWidth")


def test_every_page_fits_a_phone_390_px_wide(live_server, page, sign_in):
    """No sideways scrolling at 390×844: the navigation collapses, tables scroll inside their
    card, forms are one column. Prints each page's width (pytest -s)."""
    call_command("seed_demo", stdout=open("/dev/null", "w"))  # noqa: SIM115
    page.set_viewport_size(PHONE)
    widths = {}

    def visit(paths):
        for path in paths:
            page.goto(live_server.url + path)
            widths[path[:40]] = page_width(page)
            print(f"width at 390 px: {path[:40]} {widths[path[:40]]}")

    sign_in("owner@northwind.example", "demo-portal-2026")
    visit(RESELLER_PAGES + detail_pages())
    # the collapsed navigation opens with its button and shows the links
    nav = page.get_by_role("navigation", name="Main")
    expect(nav.get_by_role("link", name="Customers")).to_be_hidden()
    nav.get_by_role("button", name="Menu").click()
    expect(nav.get_by_role("link", name="Customers")).to_be_visible()
    assert page_width(page) <= PHONE["width"]
    nav.get_by_role("link", name="Customers").click()
    expect(page).to_have_url(f"{live_server.url}/customers/")

    page.goto(live_server.url + "/accounts/logout/")
    page.get_by_role("button", name="Sign Out").click()
    visit(customer_pages())
    sign_in("ops@example.com", "demo-portal-2026")
    visit(OPS_PAGES)
    assert {p: w for p, w in widths.items() if w > PHONE["width"]} == {}
