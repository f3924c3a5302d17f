"""Browser journey (issue 25): from the dashboard's savings card to the savings page, one click
"decrease at renewal" with its confirmation, and the subscription showing the scheduled
decrease; no console error on the way."""

import pytest
from django.core.management import call_command
from django.urls import reverse
from playwright.sync_api import expect

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_from_the_savings_card_to_a_scheduled_decrease(live_server, page, sign_in):
    errors = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    call_command("seed_demo", stdout=open("/dev/null", "w"))  # noqa: SIM115
    sign_in("owner@northwind.example", "demo-portal-2026")

    card = page.locator("#savings-card")
    expect(card).to_contain_text("a month")
    card.get_by_role("link", name="See savings").click()
    expect(page.get_by_role("heading", name="Seat savings")).to_be_visible()

    row = page.get_by_test_id("savings-row").filter(has=page.get_by_role("button")).first
    offer = row.get_by_test_id("savings-offer").inner_text().strip()
    keep = (row.get_by_test_id("savings-keep").text_content() or "").strip()
    row.get_by_role("button", name=f"Decrease to {keep} at renewal").click()

    confirm = page.get_by_test_id("confirm")
    expect(confirm).to_contain_text(f"{keep} seats")
    expect(confirm).to_contain_text("at renewal")
    page.get_by_role("button", name=f"Schedule {keep} seats at renewal").click()

    expect(page.get_by_role("heading", name=offer)).to_be_visible()
    expect(page.get_by_test_id("scheduled")).to_contain_text(f"{keep} seats")

    # back on the savings page the row says what is scheduled instead of offering it again
    page.goto(live_server.url + reverse("savings:savings"))
    expect(page.get_by_test_id("savings-row").filter(has_text=offer).first).to_contain_text(
        f"{keep} seats from"
    )
    assert errors == []
