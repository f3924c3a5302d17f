"""Scheduled jobs go row by row: one bad row is recorded as an upkeep failure (Operations page,
its reseller told once) and every other row is processed (issue 20, item 2)."""

import datetime as dt
from decimal import Decimal

import pytest
import time_machine
from django.urls import reverse

from portal.models import Notification, UpkeepFailure
from subscriptions import services, tasks
from subscriptions.catalog.pricing import PricingError
from subscriptions.models import ChargeEvent, Subscription
from tests.factories import InvitationFactory
from tests.subscriptions.conftest import PREMIUM, buy_now

UTC = dt.UTC
BOUGHT = dt.datetime(2026, 6, 18, 10, 0, tzinfo=UTC)
CYCLE_DAY = dt.datetime(2026, 7, 18, 3, 0, tzinfo=UTC)

pytestmark = pytest.mark.django_db


def _buy(member, customer, offer, term="P1Y", key="k"):
    return buy_now(
        member=member,
        customer=customer,
        offer=offer,
        term=term,
        billing_frequency="monthly",
        quantity=10,
        idempotency_key=key,
    )


@pytest.fixture
def channel(owner_a, owner_b, onboard, catalog):
    """Three resellers' subscriptions whose month 2 starts on Jul 18, and one P1M that renews
    that day. The second one's pricing is broken (a price rule in another currency, as the
    issue found): charging its cycle raises."""
    with time_machine.travel(BOUGHT, tick=False):
        subs = [
            _buy(owner_a, onboard(owner_a), catalog[PREMIUM], key="a"),
            _buy(owner_b, onboard(owner_b), catalog[PREMIUM], key="b"),
            _buy(owner_a, onboard(owner_a), catalog[PREMIUM], key="c"),
        ]
        monthly = _buy(owner_a, onboard(owner_a), catalog[PREMIUM], term="P1M", key="d")
    return subs, monthly


def _break(monkeypatch, bad: Subscription):
    emit = services._emit

    def broken(sub, *args, **kwargs):
        if sub.pk == bad.pk and kwargs.get("full_cycle"):
            raise PricingError(
                "The fixed price is in USD but the cost is in CAD; add a fixed price in CAD."
            )
        return emit(sub, *args, **kwargs)

    monkeypatch.setattr(services, "_emit", broken)


def test_one_bad_subscription_does_not_stop_the_daily_upkeep(
    channel, owner_b, unscoped, monkeypatch
):
    (good_a, bad, good_c), monthly = channel
    _break(monkeypatch, bad)
    with time_machine.travel(CYCLE_DAY, tick=False):
        result = tasks.daily_upkeep()
    assert result["cycle_charges"] == 2
    assert result["renewals"] == {"renewed": 1, "expired": 0, "failed": 0}
    with unscoped():
        month_2 = set(
            ChargeEvent.objects.filter(charge_date=dt.date(2026, 7, 18), kind="cycle").values_list(
                "subscription_id", "price_amount"
            )
        )
        assert month_2 == {
            (good_a.pk, Decimal("220.00")),
            (good_c.pk, Decimal("220.00")),
            (monthly.pk, Decimal("264.00")),
        }
        failure = UpkeepFailure.objects.get()
        assert (failure.job, failure.reseller, failure.object_id, failure.attempts) == (
            "subscriptions.cycle_charge",
            bad.reseller,
            str(bad.pk),
            1,
        )
        assert failure.reason == (
            "PricingError: The fixed price is in USD but the cost is in "
            "CAD; add a fixed price in CAD."
        )
        told = Notification.objects.filter(user=owner_b.user)
        assert [n.title for n in told] == [
            f"Scheduled processing of {Subscription.objects.get(pk=bad.pk)} failed"
        ]

    # the next hourly run tries again: counted, not told twice; once fixed it goes through
    with time_machine.travel(CYCLE_DAY + dt.timedelta(hours=1), tick=False):
        assert tasks.daily_upkeep()["cycle_charges"] == 0
    with unscoped():
        assert UpkeepFailure.objects.get().attempts == 2
        assert Notification.objects.filter(user=owner_b.user).count() == 1
    monkeypatch.undo()
    with time_machine.travel(CYCLE_DAY + dt.timedelta(hours=2), tick=False):
        assert tasks.daily_upkeep()["cycle_charges"] == 1
    with unscoped():
        assert UpkeepFailure.objects.get().resolved_at is not None


def test_operations_see_the_upkeep_failures_with_their_reason(
    channel, ops, client, monkeypatch, settings
):
    settings.STAFF_MFA_REQUIRED = False
    (_, bad, _), _ = channel
    _break(monkeypatch, bad)
    with time_machine.travel(CYCLE_DAY, tick=False):
        tasks.daily_upkeep()
    client.force_login(ops)
    home = client.get(reverse("ops:home")).content.decode()
    assert 'Upkeep failures</a> <span class="badge" data-testid="queue-count">1</span>' in home
    page = client.get(reverse("ops:upkeep_failures")).content.decode()
    assert "subscriptions.cycle_charge" in page and "Beta Systems" in page
    assert "PricingError: The fixed price is in USD but the cost is in CAD" in page


def test_one_bad_invitation_does_not_stop_the_others_expiring(reseller_a, unscoped, monkeypatch):
    from portal import services as portal_services
    from portal.models import Invitation

    past = dt.datetime(2026, 1, 1, tzinfo=UTC)
    invitations = [InvitationFactory(reseller=reseller_a, expires_at=past) for _ in range(3)]
    update = type(Invitation.objects.none()).update

    def broken(queryset, **values):
        if queryset.filter(pk=invitations[1].pk).exists():
            raise RuntimeError("disk full")
        return update(queryset, **values)

    monkeypatch.setattr(type(Invitation.objects.none()), "update", broken)
    assert portal_services.invitations_expire() == 2
    with unscoped():
        assert [i.state for i in Invitation.objects.order_by("pk")] == [
            "expired",
            "pending",
            "expired",
        ]
        assert UpkeepFailure.objects.get().reason == "RuntimeError: disk full"
