"""Browser journey on the sandbox Partner Center: a purchase is a cart whose order stays
pending for a check before it completes (the page shows the order pending, then the
provisioned subscription, by itself); part of the seats are upgraded (Partner Center's
transition, credited and charged prorated); a seat decrease is scheduled for renewal
(scheduled next-term instructions). No console error on the way."""

import datetime as dt
import re

import pytest
import time_machine
from django.core.management import call_command
from django.utils import timezone
from django_scopes import scopes_disabled
from playwright.sync_api import expect

from subscriptions import services
from subscriptions.models import Subscription

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

BASIC = (
    "Microsoft 365 Business Basic "
    "(New Commerce licence-based (Microsoft 365, Dynamics 365, Windows 365))"
)


def test_buy_through_a_pending_order_upgrade_part_and_schedule_a_decrease(
    live_server, page, sign_in, settings, monkeypatch
):
    call_command("seed_demo", stdout=open("/dev/null", "w"))  # noqa: SIM115
    # Partner Center answers "pending" to the order's first check (create-a-cart, checkout, then
    # get-an-order-by-id until completed).
    settings.PARTNER_CENTER_SANDBOX_ORDER_CHECKS = 1
    # The Celery worker is ours to play: orders queued on commit are run below, when the test
    # says, with the worker's own function and its retry semantics.
    queued = []
    monkeypatch.setattr(
        services.provision_task, "delay_on_commit", lambda pk, **kw: queued.append(pk)
    )
    errors = []
    page.on(
        "console", lambda m: errors.append(f"{page.url}: {m.text}") if m.type == "error" else None
    )

    sign_in("owner@northwind.example", "demo-portal-2026")
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Customers").click()
    page.get_by_role("link", name="Contoso Ltd").click()
    page.get_by_role("button", name="Buy a subscription").click()
    page.get_by_label("Offer").select_option(label=BASIC)
    page.get_by_label("Term:").select_option("P1Y")
    page.get_by_label("Billing").select_option("monthly")
    page.get_by_label("Quantity").fill("10")
    page.get_by_role("button", name="Buy", exact=True).click()
    expect(
        page.get_by_text("Ordered 10 × Microsoft 365 Business Basic for Contoso Ltd")
    ).to_be_visible()
    expect(page.get_by_test_id("provisioning-state")).to_have_text("Ordering from Partner Center")

    (pk,) = queued
    with scopes_disabled(), pytest.raises(services.ProvisioningDelayed):  # the worker's first try
        services.subscription_provision(subscription_id=pk, final_attempt=False)
    expect(page.get_by_test_id("provisioning-state")).to_have_text("Retrying (Partner Center busy)")
    expect(page.get_by_test_id("provisioning-status")).to_contain_text("still provisioning")
    with scopes_disabled():  # its retry: the order completed, the same one
        assert services.subscription_provision(subscription_id=pk).is_provisioned
    # the page polls and reloads by itself once Partner Center has provisioned it
    expect(page.get_by_test_id("seats")).to_have_text("10", timeout=15000)
    expect(page.get_by_test_id("refundable")).to_have_text("10")
    expect(page.get_by_test_id("cancellable-until")).to_be_visible()
    basic_url = page.url

    # upgrade 4 of the 10 seats: a partial upgrade into a new Business Standard subscription
    form = page.get_by_test_id("upgrade-form")
    form.get_by_label("Upgrade to").select_option(label="Microsoft 365 Business Standard")
    form.get_by_label("Seats to upgrade").fill("4")
    form.get_by_role("button", name="Upgrade").click()
    expect(page.get_by_text("Upgraded 4 seats to Microsoft 365 Business Standard")).to_be_visible()
    expect(page.get_by_test_id("seats")).to_have_text("4")
    expect(page.get_by_test_id("upgraded-from")).to_contain_text("Microsoft 365 Business Basic")
    expect(page.get_by_text("Seats upgraded in (prorated)")).to_be_visible()
    page.get_by_test_id("upgraded-from").get_by_role("link").click()
    expect(page.get_by_test_id("seats")).to_have_text("6")
    expect(page.get_by_text("Seats upgraded away (prorated credit)")).to_be_visible()

    # after the 168-hour window: the decrease is scheduled for renewal
    with time_machine.travel(timezone.now() + dt.timedelta(days=8), tick=True):
        page.goto(basic_url)
        expect(page.get_by_test_id("window")).to_contain_text("Closed")
        page.get_by_label(re.compile(r"^Seats:?$")).fill("4")
        page.get_by_role("button", name="Change seats now").click()
        expect(page.get_by_text("Only 0 of the 2 seats can be removed now")).to_be_visible()
        page.get_by_role("button", name="Schedule 4 seats for renewal").click()
        expect(page.get_by_test_id("scheduled")).to_contain_text("4 seats")
        expect(page.get_by_test_id("seats")).to_have_text("6")
    with scopes_disabled():
        source = Subscription.objects.get(pk=pk)
        assert source.scheduled_change.quantity == 4
    assert errors == []
