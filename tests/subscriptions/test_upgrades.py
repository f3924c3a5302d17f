"""Upgrades (Partner Center transitions) from the portal: eligibility from Partner Center,
full and partial upgrades with the moved seats credited and charged prorated daily to the
cent, and the partial upgrade's new subscription keeping the source's cancellation window."""

import datetime as dt
from decimal import Decimal

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.urls import reverse

from partner_center.models import SandboxSubscription
from subscriptions import services
from subscriptions.models import ChargeEvent, Subscription
from tests.subscriptions.conftest import BASIC, PREMIUM, buy_now

UTC = dt.UTC
STANDARD = "CFQ7TTC0LDPB:0001"
BOUGHT = dt.datetime(2026, 6, 18, 10, 0, tzinfo=UTC)
UPGRADED = dt.datetime(2026, 6, 20, 9, 0, tzinfo=UTC)


def at(moment):
    return time_machine.travel(moment, tick=False)


@pytest.fixture
def basic(owner_a, onboard, catalog):
    """10 Business Basic seats, P1Y billed monthly (USD 72.00 a year: 6.00 a cycle), bought
    2026-06-18 10:00 UTC: its first cycle runs Jun 18 – Jul 17 (30 days)."""
    with at(BOUGHT):
        customer = onboard(owner_a, company_name="Contoso Ltd")
        return buy_now(
            member=owner_a,
            customer=customer,
            offer=catalog[BASIC],
            term="P1Y",
            billing_frequency="monthly",
            quantity=10,
            idempotency_key="buy-basic",
        )


def upgrade(member, sub, offer, quantity, key="up-1"):
    return services.subscription_upgrade(
        member=member, subscription=sub, to_offer=offer, quantity=quantity, idempotency_key=key
    )


def lines(unscoped, sub):
    with unscoped():
        return list(
            ChargeEvent.objects.filter(subscription=sub, kind__startswith="upgrade")
            .order_by("pk")
            .values_list(
                "kind", "quantity", "price_amount", "charge_date", "billing_days", "cycle_days"
            )
        )


@pytest.mark.django_db
def test_partner_center_lists_the_upgrades_of_the_family(owner_a, basic, catalog):
    with at(UPGRADED):
        offers, why = services.upgrade_options(basic)
    assert why == ""
    assert [o.sku for o, _ in offers] == [PREMIUM, STANDARD]  # by name
    assert all(option.eligible for _, option in offers)


@pytest.mark.django_db
def test_a_partial_upgrade_credits_and_charges_the_moved_seats_prorated(
    owner_a, basic, catalog, unscoped
):
    with at(UPGRADED):
        new = upgrade(owner_a, basic, catalog[STANDARD], 4)
    basic.refresh_from_db()
    assert (basic.quantity, basic.status) == (6, "active")
    assert (new.offer.sku, new.quantity, new.upgraded_from_id) == (STANDARD, 4, basic.pk)
    assert (new.term, new.billing_frequency, new.term_start, new.term_end) == (
        basic.term,
        basic.billing_frequency,
        basic.term_start,
        basic.term_end,
    )
    # 4 seats × 6.00 × 28/30 days credited; 4 × 12.50 (150.00 a year) × 28/30 charged
    assert lines(unscoped, basic) == [
        ("upgrade_out", -4, Decimal("-22.40"), dt.date(2026, 6, 20), 28, 30)
    ]
    assert lines(unscoped, new) == [
        ("upgrade_in", 4, Decimal("46.67"), dt.date(2026, 6, 20), 28, 30)
    ]
    with unscoped():
        pc = {s.subscription_id: s for s in SandboxSubscription.objects.all()}
    assert (pc[basic.partner_center_id].quantity, pc[new.partner_center_id].quantity) == (6, 4)
    with at(UPGRADED):  # the same request again: the same subscription, nothing charged twice
        assert upgrade(owner_a, basic, catalog[STANDARD], 4) == new
    assert len(lines(unscoped, new)) == 1


@pytest.mark.django_db
def test_the_new_subscription_keeps_the_sources_cancellation_window(owner_a, basic, catalog):
    """DESIGN: a target created by a partial upgrade inherits the source's open window (it
    closes 168 hours after the purchase on Jun 18 10:00, not after the upgrade on Jun 20)."""
    with at(UPGRADED):
        new = upgrade(owner_a, basic, catalog[STANDARD], 4)
    assert new.window_opened_at == BOUGHT
    with at(dt.datetime(2026, 6, 25, 11, 0, tzinfo=UTC)), pytest.raises(ValidationError):
        services.subscription_cancel(member=owner_a, subscription=new, idempotency_key="x-1")
    with at(dt.datetime(2026, 6, 25, 9, 0, tzinfo=UTC)):
        services.subscription_cancel(member=owner_a, subscription=new, idempotency_key="x-2")
    new.refresh_from_db()
    assert new.status == "cancelled"


@pytest.mark.django_db
def test_a_full_upgrade_ends_the_source(owner_a, basic, catalog, unscoped):
    with at(UPGRADED):
        new = upgrade(owner_a, basic, catalog[PREMIUM], 10)
    basic.refresh_from_db()
    assert (basic.quantity, basic.status) == (0, Subscription.Status.UPGRADED)
    assert new.quantity == 10
    assert lines(unscoped, basic)[0][:2] == ("upgrade_out", -10)


@pytest.mark.django_db
def test_a_key_of_the_longest_allowed_length_upgrades_once(owner_a, basic, catalog):
    longest = "k" * 64  # what a form or an API client may send
    with at(UPGRADED):
        new = upgrade(owner_a, basic, catalog[PREMIUM], 4, key=longest)
        again = upgrade(owner_a, basic, catalog[PREMIUM], 4, key=longest)
    basic.refresh_from_db()
    assert again.pk == new.pk
    assert basic.quantity == 6


@pytest.mark.django_db
def test_an_upgrade_partner_center_does_not_offer_is_refused(owner_a, basic, catalog):
    dynamics = next(o for o in catalog.values() if o.name.startswith("Dynamics"))
    with at(UPGRADED), pytest.raises(ValidationError, match="does not offer an upgrade"):
        upgrade(owner_a, basic, dynamics, 2)
    with at(UPGRADED), pytest.raises(ValidationError, match="Between 1 and 10"):
        upgrade(owner_a, basic, catalog[STANDARD], 11)
    basic.refresh_from_db()
    assert basic.quantity == 10


@pytest.mark.django_db
def test_the_page_shows_partner_centers_refund_facts_and_the_upgrades(
    owner_a, basic, catalog, client_for
):
    client = client_for(owner_a)
    detail = reverse("subscriptions:detail", kwargs={"subscription_id": basic.pk})
    options = reverse("subscriptions:upgrade_options", kwargs={"subscription_id": basic.pk})
    with at(UPGRADED):
        text = client.get(detail).content.decode()
        card = client.get(options).content.decode()  # what htmx loads once the page shows
        without_script = client.get(detail, {"upgrades": "1"}).content.decode()
    assert 'data-testid="refundable">10<' in text  # refundableQuantity
    assert 'data-testid="cancellable-until">2026-06-25 10:00 UTC' in text
    # the page asks Partner Center once; the upgrades come by their own request
    assert f'hx-get="{options}" hx-trigger="load"' in text and "upgrade-form" not in text
    assert 'href="?upgrades=1#upgrade"' in text  # the link for a browser without JavaScript
    for html in (card, without_script):
        assert 'data-testid="upgrade-form"' in html and "Microsoft 365 Business Standard" in html
    with at(UPGRADED):
        done = client.post(
            reverse("subscriptions:upgrade", kwargs={"subscription_id": basic.pk}),
            {"offer": catalog[STANDARD].pk, "quantity": 3, "idempotency_key": "page-1"},
            follow=True,
        )
    assert "Upgraded 3 seats to Microsoft 365 Business Standard" in done.content.decode()
    assert 'data-testid="upgraded-from"' in done.content.decode()


@pytest.mark.django_db
def test_the_page_polls_a_pending_order_and_reloads_once_provisioned(
    owner_a, onboard, catalog, client_for, settings
):
    """Partner Center's order answers "pending" to its first check: the page shows the order
    on its way and polls; once provisioned the poll asks for a full reload (HX-Refresh)."""
    settings.PARTNER_CENTER_SANDBOX_ORDER_CHECKS = 1
    customer = onboard(owner_a, company_name="Contoso Ltd")
    sub = services.subscription_purchase(  # its task is queued on commit: not run here
        member=owner_a,
        customer=customer,
        offer=catalog[BASIC],
        term="P1Y",
        billing_frequency="monthly",
        quantity=2,
        auto_renew=True,
        idempotency_key="poll-1",
    )
    client = client_for(owner_a)
    url = reverse("subscriptions:provisioning_status", kwargs={"subscription_id": sub.pk})
    with pytest.raises(services.ProvisioningDelayed):
        services.subscription_provision(subscription_id=sub.pk, final_attempt=False)
    pending = client.get(url)
    assert "Retrying (Partner Center busy)" in pending.content.decode()
    assert 'hx-trigger="every 2s"' in pending.content.decode()
    assert "HX-Refresh" not in pending
    assert services.subscription_provision(subscription_id=sub.pk).is_provisioned
    done = client.get(url)
    assert done["HX-Refresh"] == "true"
    assert "hx-trigger" not in done.content.decode()


@pytest.mark.django_db
def test_the_page_asks_partner_center_once_before_it_shows(owner_a, basic, client_for, monkeypatch):
    """The transition eligibilities (a second Partner Center call, hundreds of milliseconds
    over the network) are not asked while the page is made: only by the card's own request."""
    from partner_center.sandbox import SandboxGateway

    asked = []
    real = SandboxGateway.get_transition_options

    def counted(self, *args, **kwargs):
        asked.append(args)
        return real(self, *args, **kwargs)

    monkeypatch.setattr(SandboxGateway, "get_transition_options", counted)
    client = client_for(owner_a)
    with at(UPGRADED):
        client.get(reverse("subscriptions:detail", kwargs={"subscription_id": basic.pk}))
        assert asked == []
        client.get(reverse("subscriptions:upgrade_options", kwargs={"subscription_id": basic.pk}))
    assert len(asked) == 1
