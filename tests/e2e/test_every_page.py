"""Checks that run on every main page of the journeys: no console error under the CSP."""

import pytest
from django.core.management import call_command

from tests.e2e.pages import OPS_PAGES, RESELLER_PAGES, customer_pages, detail_pages

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def listen_for_errors(page):
    errors = []
    page.on("console", lambda m: errors.append(f"{page.url}: {m.text}")
            if m.type == "error" else None)
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
