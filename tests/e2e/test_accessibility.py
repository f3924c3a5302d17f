"""Issue 21 item 13: axe-core (WCAG 2.0 and 2.1, A and AA) finds nothing on the main pages of
the reseller's, the customer's and operations' journeys, on a desktop and at 390 px; the brand
and the status badges keep their contrast in a dark-mode browser; the menus close on Escape
and when the focus leaves them, one open at a time."""

import os

import pytest
from django.core.management import call_command
from playwright.sync_api import expect

from tests.e2e.axe import violations
from tests.e2e.pages import OPS_PAGES, RESELLER_PAGES, customer_pages, detail_pages
from tests.e2e.test_every_page import listen_for_errors

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

PHONE = {"width": 390, "height": 844}
# E2E_SCREENSHOTS=DIR keeps a screenshot of every page checked at 390 px (for the closing note)
SHOTS = os.environ.get("E2E_SCREENSHOTS")


def _check(page, live_server, paths, found, widths=None):
    for path in paths:
        page.goto(live_server.url + path)
        page.wait_for_load_state("networkidle")
        for line in violations(page):
            found.append(f"{path}: {line}")
        if widths is not None:
            widths[path] = page.evaluate("document.documentElement.scrollWidth")
            if SHOTS:
                name = path.strip("/").replace("/", "_")[:60] or "home"
                page.screenshot(path=f"{SHOTS}/{name}.png", full_page=True)


def _journeys(page, live_server, sign_in, widths=None):
    found: list[str] = []
    sign_in("owner@northwind.example", "demo-portal-2026")
    _check(page, live_server, RESELLER_PAGES + detail_pages(), found, widths)
    page.goto(live_server.url + "/accounts/logout/")
    page.get_by_role("button", name="Sign Out").click()
    _check(page, live_server, customer_pages() + ["/accounts/login/"], found, widths)
    sign_in("ops@example.com", "demo-portal-2026")
    _check(page, live_server, OPS_PAGES, found, widths)
    return found


def test_axe_finds_nothing_on_the_main_pages(live_server, page, sign_in):
    call_command("seed_demo", stdout=open("/dev/null", "w"))  # noqa: SIM115
    errors = listen_for_errors(page)
    found = _journeys(page, live_server, sign_in)
    assert found == [], "\n".join(found)
    assert errors == [], "\n".join(errors)


def test_axe_finds_nothing_at_390_px(live_server, page, sign_in):
    call_command("seed_demo", stdout=open("/dev/null", "w"))  # noqa: SIM115
    errors = listen_for_errors(page)
    page.set_viewport_size(PHONE)
    widths: dict[str, int] = {}
    found = _journeys(page, live_server, sign_in, widths)
    for path, width in widths.items():
        print(f"scrollWidth at 390 px: {width:5d} {path}")
    assert found == [], "\n".join(found)
    assert {p: w for p, w in widths.items() if w > PHONE["width"]} == {}
    assert errors == [], "\n".join(errors)


def test_dark_mode_browser_keeps_the_light_theme(live_server, page, sign_in):
    call_command("seed_demo", stdout=open("/dev/null", "w"))  # noqa: SIM115
    page.emulate_media(color_scheme="dark")
    sign_in("owner@northwind.example", "demo-portal-2026")
    for path in ["/dashboard/", "/subscriptions/", *detail_pages()[:2]]:
        page.goto(live_server.url + path)
        assert violations(page) == [], path
        root = page.evaluate(
            "(() => { const s = getComputedStyle(document.documentElement);"
            " return [s.colorScheme, s.backgroundColor]; })()"
        )
        assert root == ["light", "rgb(255, 255, 255)"], path


def test_menus_close_on_escape_and_focus_out_one_at_a_time(live_server, page, sign_in):
    call_command("seed_demo", stdout=open("/dev/null", "w"))  # noqa: SIM115
    sign_in("owner@northwind.example", "demo-portal-2026")
    page.goto(live_server.url + "/dashboard/")
    help_menu = page.locator("details.dropdown").filter(has=page.get_by_label("Help"))
    account = page.locator("details.dropdown").filter(
        has=page.get_by_label("Account owner@northwind.example")
    )
    help_menu.locator("summary").click()
    expect(help_menu).to_have_attribute("open", "")
    # opening one closes the other (the open help list covers the account button: open it
    # as a keyboard or screen reader user would, without a pointer)
    account.evaluate("menu => { menu.open = true; }")
    expect(account).to_have_attribute("open", "")
    expect(help_menu).not_to_have_attribute("open", "")
    page.keyboard.press("Escape")
    expect(account).not_to_have_attribute("open", "")
    expect(account.locator("summary")).to_be_focused()
    # keyboard: open the help menu, tab through its links and out of it
    help_menu.locator("summary").focus()
    page.keyboard.press("Enter")
    expect(help_menu).to_have_attribute("open", "")
    for _ in range(help_menu.get_by_role("link").count() + 1):
        page.keyboard.press("Tab")
    expect(help_menu).not_to_have_attribute("open", "")
