"""One rule names a subscription's term end and renewal date, and every page uses it
(issue 21, items 5–7): one-time products have no term, renewal or window; a failed or
cancelled subscription has no window and no Unassign."""

import datetime as dt
import re

import pytest
import time_machine
from django.urls import reverse

from customers import links
from customers.models import McaStatus
from subscriptions.catalog.models import ProductType
from tests.factories import OfferFactory, SeatAssignmentFactory, SeatSubscriptionFactory

TODAY = dt.datetime(2026, 12, 5, 12, 0, tzinfo=dt.UTC)


def text(response) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", response.content.decode()))


@pytest.mark.django_db
@time_machine.travel(TODAY, tick=False)
def test_every_page_names_the_same_renewal_date(owner_a, reseller_a, client_for):
    # bought 2025-12-20 for a year: the term's last day is 2026-12-19, it renews 2026-12-20
    sub = SeatSubscriptionFactory(
        reseller=reseller_a,
        customer__company_name="Contoso Ltd",
        customer__mca_status=McaStatus.LOGGED,
        purchased_at=dt.datetime(2025, 12, 20, 9, 0, tzinfo=dt.UTC),
        term="P1Y",
    )
    assert sub.term_end == dt.date(2026, 12, 19) and sub.renewal() == "Renews 2026-12-20"
    client = client_for(owner_a)
    pages = {
        "list": reverse("subscriptions:list"),
        "detail": reverse("subscriptions:detail", kwargs={"subscription_id": sub.pk}),
        "customer": reverse("customers:detail", kwargs={"customer_id": sub.customer_id}),
        "renewals": reverse("subscriptions:renewals"),
        "dashboard": reverse("dashboard"),
        "customer portal": reverse(
            "customer_portal:home", kwargs={"token": links.portal_token(sub.customer)}
        ),
    }
    for name, url in pages.items():
        shown = text(client.get(url))
        assert "Renews 2026-12-20" in shown, name
        assert not re.search(r"(?i)renews\W+2026-12-19", shown), name

    sub.auto_renew = False
    sub.save()
    for name, url in pages.items():
        assert "Ends 2026-12-19 (auto-renew off)" in text(client.get(url)), name


@pytest.mark.django_db
def test_a_one_time_product_shows_no_term_renewal_or_window(owner_a, reseller_a, client_for):
    perpetual = OfferFactory(
        name="Office LTSC Standard 2024",
        terms="P1M",
        billing_frequencies="monthly",
        product_type=ProductType.objects.get(code="perpetual-software"),
    )
    sub = SeatSubscriptionFactory(
        reseller=reseller_a, offer=perpetual, term="P1M", billing_frequency="monthly"
    )
    client = client_for(owner_a)
    detail = text(client.get(reverse("subscriptions:detail", kwargs={"subscription_id": sub.pk})))
    assert "One-time purchase on" in detail and "no term, no renewal" in detail
    assert "Cancellation window" not in detail and "Renews" not in detail
    assert "auto-renew" not in detail.lower()
    listing = text(client.get(reverse("subscriptions:list")))
    assert "No term (one-time purchase)" in listing and "closes in" not in listing


@pytest.mark.django_db
@pytest.mark.parametrize("state", [{"status": "cancelled"}, {"provisioning": "failed"}])
def test_a_failed_or_cancelled_subscription_has_no_window_and_no_unassign(
    state, owner_a, reseller_a, client_for
):
    sub = SeatSubscriptionFactory(reseller=reseller_a, **state)  # window would still be open
    SeatAssignmentFactory(subscription=sub, display_name="Ann Lee")
    client = client_for(owner_a)
    detail = client.get(reverse("subscriptions:detail", kwargs={"subscription_id": sub.pk}))
    shown = text(detail)
    assert "Ann Lee" in shown
    assert "Cancellation window" not in shown and "Unassign" not in shown
    assert "closes in" not in text(client.get(reverse("subscriptions:list")))
