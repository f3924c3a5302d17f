"""Destructive actions ask first (issue 21, item 2): GET on the action's URL is a confirmation
page that says what will happen and changes nothing; only its button (a POST) acts. No
script: it works under the Content-Security-Policy."""

import datetime as dt
import re

import pytest
import time_machine
from django.urls import reverse

from portal.roles import Role
from subscriptions.catalog.models import PriceRule
from subscriptions.models import ChargeEvent, SeatAssignment, Subscription
from tests.factories import PriceRuleFactory, SeatAssignmentFactory, SeatSubscriptionFactory
from tests.subscriptions.conftest import PREMIUM, buy_now

BOUGHT = dt.datetime(2026, 3, 10, 9, 30, tzinfo=dt.UTC)


def consequences(page: str) -> str:
    return re.sub(
        r"\s+", " ", re.search(r'data-testid="consequences">(.*?)</ul>', page, re.S).group(1)
    )


@pytest.mark.django_db
def test_cancel_asks_first_with_the_credit_and_the_window_closing_instant(
    owner_a, onboard, catalog, client_for, unscoped
):
    customer = onboard(owner_a, company_name="Contoso Ltd")
    with time_machine.travel(BOUGHT, tick=False):
        sub = buy_now(
            member=owner_a,
            customer=customer,
            offer=catalog[PREMIUM],
            term="P1Y",
            billing_frequency="monthly",
            quantity=10,
            idempotency_key="k-1",
        )
    client = client_for(owner_a)
    url = reverse("subscriptions:cancel", kwargs={"subscription_id": sub.pk})
    detail = client.get(reverse("subscriptions:detail", kwargs={"subscription_id": sub.pk}))
    assert f'<form method="get" action="{url}">' in detail.content.decode()

    with time_machine.travel(BOUGHT + dt.timedelta(days=2), tick=False):
        page = client.get(url).content.decode()
        said = consequences(page)
        assert "Partner Center cancels 10 × Microsoft 365 Business Premium for Contoso Ltd" in said
        assert "The cancellation window closes 2026-03-17 09:30 UTC" in said
        credit = re.search(r"credited ([\d,.]+ USD): the rest of the charge cycle", said).group(1)
        cost = re.search(r"Your cost is credited ([\d,.]+ USD)", said).group(1)
        with unscoped():
            assert Subscription.objects.get(pk=sub.pk).status == "active"  # nothing happened
        key = re.search(r'name="idempotency_key" value="(\w+)"', page).group(1)
        client.post(url, {"idempotency_key": key})
    with unscoped():
        assert Subscription.objects.get(pk=sub.pk).status == "cancelled"
        line = ChargeEvent.objects.get(subscription=sub, kind="cancel")
    assert credit == f"{-line.price_amount:,.2f} USD"
    assert cost == f"{-line.cost_amount:,.2f} USD"


@pytest.mark.django_db
def test_unassign_asks_first(owner_a, reseller_a, client_for, unscoped):
    a = SeatAssignmentFactory(
        subscription__reseller=reseller_a,
        display_name="Ann Lee",
        user_principal_name="ann@contoso.example",
    )
    url = reverse("subscriptions:unassign", kwargs={"assignment_id": a.pk})
    page = client_for(owner_a).get(url).content.decode()
    assert "Ann Lee (ann@contoso.example) loses" in consequences(page)
    assert 'method="post"' in page
    with unscoped():
        assert SeatAssignment.objects.filter(pk=a.pk).exists()


@pytest.mark.django_db
def test_price_rule_removal_asks_first(owner_a, reseller_a, client_for, unscoped):
    rule = PriceRuleFactory(
        book__reseller=reseller_a,
        percent=15,
        effective_from=dt.date.today() + dt.timedelta(days=10),
    )
    url = reverse("subscriptions:price_rule_remove", kwargs={"price_rule_id": rule.pk})
    page = client_for(owner_a).get(url).content.decode()
    assert "Markup 15% on cost" in consequences(page)  # not "15.000%"
    with unscoped():
        assert PriceRule.objects.filter(pk=rule.pk).exists()
    client_for(owner_a).post(url)
    with unscoped():
        assert not PriceRule.objects.filter(pk=rule.pk).exists()


@pytest.mark.django_db
def test_member_removal_and_mca_revocation_ask_first(
    owner_a, reseller_a, member_of, client_for, unscoped
):
    from customers.models import McaInvitation
    from portal.models import Membership
    from tests.factories import McaInvitationFactory

    sales = member_of(reseller_a, Role.SALES)
    client = client_for(owner_a)
    page = client.get(reverse("member_remove", kwargs={"membership_id": sales.pk}))
    assert f"{sales.user.email} (Sales) loses access" in consequences(page.content.decode())
    invitation = McaInvitationFactory(customer__reseller=reseller_a)
    page = client.get(
        reverse("customers:mca_revoke", kwargs={"customer_id": invitation.customer_id})
    )
    assert "The link stops working" in consequences(page.content.decode())
    with unscoped():
        assert Membership.objects.filter(pk=sales.pk).exists()
        assert McaInvitation.objects.get(pk=invitation.pk).state == "active"


@pytest.mark.django_db
def test_a_viewer_gets_no_confirmation_page(reseller_a, member_of, client_for):
    sub = SeatSubscriptionFactory(reseller=reseller_a)
    client = client_for(member_of(reseller_a, Role.VIEWER))
    url = reverse("subscriptions:cancel", kwargs={"subscription_id": sub.pk})
    assert client.get(url).status_code == 403


@pytest.mark.django_db
def test_cancel_within_24_hours_says_the_whole_cycle_is_refunded(
    owner_a, onboard, catalog, client_for, unscoped
):
    customer = onboard(owner_a, company_name="Contoso Ltd")
    with time_machine.travel(BOUGHT, tick=False):
        sub = buy_now(
            member=owner_a,
            customer=customer,
            offer=catalog[PREMIUM],
            term="P1Y",
            billing_frequency="monthly",
            quantity=10,
            idempotency_key="k-2",
        )
    client = client_for(owner_a)
    url = reverse("subscriptions:cancel", kwargs={"subscription_id": sub.pk})
    with time_machine.travel(BOUGHT + dt.timedelta(hours=3), tick=False):
        page = client.get(url).content.decode()
        credit = re.search(
            r"credited ([\d,.]+ USD): the whole charge cycle", consequences(page)
        ).group(1)
        key = re.search(r'name="idempotency_key" value="(\w+)"', page).group(1)
        client.post(url, {"idempotency_key": key})
    with unscoped():
        line = ChargeEvent.objects.get(subscription=sub, kind="cancel")
    assert credit == f"{-line.price_amount:,.2f} USD"
