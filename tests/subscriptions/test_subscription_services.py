"""Subscription services against the sandbox Partner Center: refusals write nothing, every
change produces the right charge to the cent."""

import datetime as dt
from decimal import Decimal

import pytest
import time_machine
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404

from partner_center.models import SandboxSubscription
from portal.roles import Role
from subscriptions import services
from subscriptions.models import ChargeEvent, ScheduledChange, Subscription
from tests.factories import CustomerFactory
from tests.subscriptions.conftest import BASIC, PERPETUAL, PREMIUM, DownGateway, buy_now

UTC = dt.UTC
BOUGHT = dt.datetime(2026, 6, 18, 10, 0, tzinfo=UTC)


def at(moment):
    return time_machine.travel(moment, tick=False)


def buy(
    member, customer, offer, *, quantity=10, term="P1Y", frequency="monthly", key="k1", **kwargs
):
    return buy_now(
        member=member,
        customer=customer,
        offer=offer,
        term=term,
        billing_frequency=frequency,
        quantity=quantity,
        idempotency_key=key,
        **kwargs,
    )


def charges(unscoped, **filters):
    with unscoped():
        return list(
            ChargeEvent.objects.filter(**filters)
            .order_by("pk")
            .values_list("kind", "quantity", "price_amount", "charge_date")
        )


def nothing_bought(unscoped):
    with unscoped():
        return (
            Subscription.objects.count(),
            SandboxSubscription.objects.count(),
            ChargeEvent.objects.count(),
        ) == (0, 0, 0)


@pytest.mark.django_db
def test_purchase_charges_the_first_cycle_and_creates_it_in_partner_center(
    owner_a, onboard, catalog, unscoped
):
    customer = onboard(owner_a)
    with at(BOUGHT):
        sub = buy(owner_a, customer, catalog[PREMIUM])
    assert (sub.term_start, sub.term_end, sub.quantity) == (
        dt.date(2026, 6, 18),
        dt.date(2027, 6, 17),
        10,
    )
    # P1Y billed monthly: 264.00 a year / 12 = 22.00 a month, × 10 seats
    assert charges(unscoped) == [("cycle", 10, Decimal("220.00"), dt.date(2026, 6, 18))]
    with unscoped():
        assert SandboxSubscription.objects.get().subscription_id == sub.partner_center_id


@pytest.mark.django_db
def test_replayed_purchase_does_not_order_twice(owner_a, onboard, catalog, unscoped):
    customer = onboard(owner_a)
    first = buy(owner_a, customer, catalog[PREMIUM], key="same")
    again = buy(owner_a, customer, catalog[PREMIUM], key="same")
    assert again.pk == first.pk
    with unscoped():
        assert Subscription.objects.count() == SandboxSubscription.objects.count() == 1
        assert ChargeEvent.objects.count() == 1


@pytest.mark.django_db
def test_no_purchase_before_the_mca_is_accepted(owner_a, reseller_a, catalog, unscoped):
    customer = CustomerFactory(reseller=reseller_a, company_name="Fabrikam Inc")
    with pytest.raises(ValidationError, match="MCA not accepted for Fabrikam Inc"):
        buy(owner_a, customer, catalog[PREMIUM])
    assert nothing_bought(unscoped)


@pytest.mark.django_db
@pytest.mark.parametrize(
    "quantity, message",
    [
        (0, "minimum of 1"),
        (301, "maximum of 300"),
    ],
)
def test_quantity_outside_min_max_is_refused(
    owner_a, onboard, catalog, quantity, message, unscoped
):
    customer = onboard(owner_a)
    with pytest.raises(ValidationError, match=message):
        buy(owner_a, customer, catalog[PREMIUM], quantity=quantity)
    assert nothing_bought(unscoped)


@pytest.mark.django_db
def test_business_offers_share_the_300_seat_cap(owner_a, onboard, catalog, unscoped):
    customer = onboard(owner_a)
    buy(owner_a, customer, catalog[BASIC], quantity=250, term="P1M", key="basic")
    with pytest.raises(ValidationError, match="300"):
        buy(owner_a, customer, catalog[PREMIUM], quantity=51, key="premium")
    buy(owner_a, customer, catalog[PREMIUM], quantity=50, key="premium-ok")
    with unscoped():
        assert Subscription.objects.count() == 2


@pytest.mark.django_db
def test_sunset_and_unsupported_products_are_refused(owner_a, onboard, catalog, unscoped):
    from subscriptions.catalog.models import ProductType
    from tests.factories import OfferFactory

    customer = onboard(owner_a)
    legacy = OfferFactory(
        name="Office 365 E3 (legacy)",
        product_type=ProductType.objects.get(code="modern-workplace-legacy"),
    )
    with pytest.raises(ValidationError, match="cannot be bought"):
        buy(owner_a, customer, legacy, term="P1M")
    ea = OfferFactory(name="EA", product_type=ProductType.objects.get(code="direct-ea"))
    with pytest.raises(ValidationError, match="not supported"):
        buy(owner_a, customer, ea, term="P1M")
    assert nothing_bought(unscoped)


@pytest.mark.django_db
@pytest.mark.parametrize("role", [Role.VIEWER, Role.BILLING])
def test_viewer_and_billing_cannot_buy(
    reseller_a, member_of, owner_a, onboard, catalog, role, unscoped
):
    customer = onboard(owner_a)
    with pytest.raises(PermissionDenied):
        buy(member_of(reseller_a, role), customer, catalog[PREMIUM])
    assert nothing_bought(unscoped)


@pytest.mark.django_db
def test_another_resellers_customer_or_subscription_is_not_found(
    owner_a, owner_b, onboard, catalog
):
    customer = onboard(owner_a)
    sub = buy(owner_a, customer, catalog[PREMIUM])
    with pytest.raises(Http404):
        buy(owner_b, customer, catalog[PREMIUM], key="b")
    with pytest.raises(Http404):
        services.subscription_change_seats(
            member=owner_b, subscription=sub, quantity=11, idempotency_key="b"
        )


@pytest.mark.django_db
def test_seat_increase_is_prorated_to_the_end_of_the_cycle(owner_a, onboard, catalog, unscoped):
    customer = onboard(owner_a)
    with at(BOUGHT):
        sub = buy(owner_a, customer, catalog[PREMIUM])
    with at(dt.datetime(2026, 6, 27, 9, 0, tzinfo=UTC)):
        services.subscription_change_seats(
            member=owner_a, subscription=sub, quantity=15, idempotency_key="add5"
        )
    # cycle Jun 18 – Jul 17 has 30 days; Jun 27 – Jul 17 is 21 days: 22.00 × 5 × 21 / 30
    assert charges(unscoped, kind="seat_increase") == [
        ("seat_increase", 5, Decimal("77.00"), dt.date(2026, 6, 27))
    ]
    sub.refresh_from_db()
    assert sub.quantity == 15


@pytest.mark.django_db
def test_seats_added_can_be_removed_inside_their_window_only(owner_a, onboard, catalog, unscoped):
    customer = onboard(owner_a)
    with at(BOUGHT):
        sub = buy(owner_a, customer, catalog[PREMIUM])
    added_at = dt.datetime(2026, 6, 27, 9, 0, tzinfo=UTC)
    with at(added_at):
        services.subscription_change_seats(
            member=owner_a, subscription=sub, quantity=15, idempotency_key="add5"
        )
    with at(added_at + dt.timedelta(hours=167, minutes=59)):
        done = services.subscription_change_seats(
            member=owner_a, subscription=sub, quantity=12, idempotency_key="remove3"
        )
    assert "3 seats removed" in done
    # Jul 4 – Jul 17: 14 days: 22.00 × 3 × 14 / 30 = 30.80 credited
    assert charges(unscoped, kind="seat_decrease") == [
        ("seat_decrease", -3, Decimal("-30.80"), dt.date(2026, 7, 4))
    ]
    with at(added_at + dt.timedelta(hours=168)):
        with pytest.raises(services.NeedsScheduling, match="Only 0 of the 2 seats"):
            services.subscription_change_seats(
                member=owner_a, subscription=sub, quantity=10, idempotency_key="remove2"
            )
        done = services.subscription_change_seats(
            member=owner_a, subscription=sub, quantity=10, idempotency_key="remove2", schedule=True
        )
    assert "scheduled for renewal on 2027-06-18" in done
    sub.refresh_from_db()
    assert sub.quantity == 12
    with unscoped():
        assert ScheduledChange.objects.get().quantity == 10
        assert SandboxSubscription.objects.get().quantity == 12
    # an immediate change deletes the scheduled one
    with at(added_at + dt.timedelta(days=3)):
        services.subscription_change_seats(
            member=owner_a, subscription=sub, quantity=13, idempotency_key="add1"
        )
    with unscoped():
        assert not ScheduledChange.objects.exists()


@pytest.mark.django_db
def test_scheduling_a_decrease_needs_auto_renew(owner_a, onboard, catalog, unscoped):
    customer = onboard(owner_a)
    with at(BOUGHT):
        sub = buy(owner_a, customer, catalog[PREMIUM], auto_renew=False)
    with at(BOUGHT + dt.timedelta(days=10)), pytest.raises(ValidationError, match="auto-renew"):
        services.subscription_change_seats(
            member=owner_a, subscription=sub, quantity=5, idempotency_key="x", schedule=True
        )
    with unscoped():
        assert not ScheduledChange.objects.exists()


@pytest.mark.django_db
def test_cancel_inside_the_window_credits_the_rest_of_the_cycle(
    owner_a, onboard, catalog, unscoped
):
    customer = onboard(owner_a)
    with at(BOUGHT):
        sub = buy(owner_a, customer, catalog[PREMIUM])
    with at(BOUGHT + dt.timedelta(hours=167, minutes=59)):
        services.subscription_cancel(member=owner_a, subscription=sub, idempotency_key="c")
    # Jun 25 – Jul 17 is 23 days: 22.00 × 10 × 23 / 30 = 168.67 credited
    assert charges(unscoped, kind="cancel") == [
        ("cancel", -10, Decimal("-168.67"), dt.date(2026, 6, 25))
    ]
    sub.refresh_from_db()
    assert sub.status == "cancelled"


@pytest.mark.django_db
def test_cancel_after_the_window_is_refused_with_the_closing_instant(
    owner_a, onboard, catalog, unscoped
):
    customer = onboard(owner_a)
    with at(BOUGHT):
        sub = buy(owner_a, customer, catalog[PREMIUM])
    with (
        at(BOUGHT + dt.timedelta(hours=168)),
        pytest.raises(ValidationError, match="2026-06-25 10:00 UTC"),
    ):
        services.subscription_cancel(member=owner_a, subscription=sub, idempotency_key="c")
    assert charges(unscoped, kind="cancel") == []


@pytest.mark.django_db
def test_perpetual_software_refund_through_day_30_only(owner_a, onboard, catalog, unscoped):
    customer = onboard(owner_a)
    with at(BOUGHT):
        early = buy(owner_a, customer, catalog[PERPETUAL], quantity=2, term="P1M", key="a")
        late = buy(owner_a, customer, catalog[PERPETUAL], quantity=1, term="P1M", key="b")
    assert charges(unscoped, kind="one_time") == [
        ("one_time", 2, Decimal("1000.00"), dt.date(2026, 6, 18)),
        ("one_time", 1, Decimal("500.00"), dt.date(2026, 6, 18)),
    ]
    with at(dt.datetime(2026, 7, 18, 23, 59, tzinfo=UTC)):  # 30th day after purchase
        services.subscription_cancel(member=owner_a, subscription=early, idempotency_key="a")
    with at(dt.datetime(2026, 7, 19, 0, 0, tzinfo=UTC)), pytest.raises(ValidationError):
        services.subscription_cancel(member=owner_a, subscription=late, idempotency_key="b")
    assert charges(unscoped, kind="refund") == [
        ("refund", -2, Decimal("-1000.00"), dt.date(2026, 7, 18))
    ]


@pytest.mark.django_db
def test_proration_in_cad_to_the_cent(reseller_b, owner_b, onboard, catalog, unscoped):
    customer = onboard(owner_b, country="CA")
    with at(dt.datetime(2026, 7, 1, 8, 0, tzinfo=UTC)):
        sub = buy(owner_b, customer, catalog[PREMIUM], quantity=4)
    with at(dt.datetime(2026, 7, 25, 8, 0, tzinfo=UTC)):
        services.subscription_change_seats(
            member=owner_b, subscription=sub, quantity=7, idempotency_key="add3"
        )
    # CAD 356.40 a year → 29.70 a month; Jul 25 – Jul 31: 7 of 31 days × 3 seats = 20.12
    assert charges(unscoped) == [
        ("cycle", 4, Decimal("118.80"), dt.date(2026, 7, 1)),
        ("seat_increase", 3, Decimal("20.12"), dt.date(2026, 7, 25)),
    ]


@pytest.mark.django_db
def test_renewal_applies_the_scheduled_change_and_opens_a_new_window(
    owner_a, onboard, catalog, unscoped
):
    customer = onboard(owner_a)
    with at(BOUGHT):
        sub = buy(owner_a, customer, catalog[PREMIUM], term="P1M")
    with at(BOUGHT + dt.timedelta(days=10)):
        services.subscription_change_seats(
            member=owner_a, subscription=sub, quantity=6, idempotency_key="s", schedule=True
        )
    with at(dt.datetime(2026, 7, 18, 0, 5, tzinfo=UTC)):
        assert services.subscriptions_renew_due(today=dt.date(2026, 7, 18))["renewed"] == 1
        assert services.subscriptions_renew_due(today=dt.date(2026, 7, 18))["renewed"] == 0
    sub.refresh_from_db()
    assert (sub.term_start, sub.term_end, sub.quantity) == (
        dt.date(2026, 7, 18),
        dt.date(2026, 8, 17),
        6,
    )
    assert sub.window_opened_at == dt.datetime(2026, 7, 18, 0, 5, tzinfo=UTC)
    # P1M: 26.40 a month
    assert charges(unscoped, kind="cycle") == [
        ("cycle", 10, Decimal("264.00"), dt.date(2026, 6, 18)),
        ("cycle", 6, Decimal("158.40"), dt.date(2026, 7, 18)),
    ]
    with unscoped():
        assert not ScheduledChange.objects.exists()
        assert SandboxSubscription.objects.get().quantity == 6


@pytest.mark.django_db
def test_without_auto_renew_the_subscription_expires(owner_a, onboard, catalog):
    customer = onboard(owner_a)
    with at(BOUGHT):
        sub = buy(owner_a, customer, catalog[PREMIUM], term="P1M", auto_renew=False)
    with at(dt.datetime(2026, 7, 18, 0, 5, tzinfo=UTC)):
        assert services.subscriptions_renew_due(today=dt.date(2026, 7, 18))["expired"] == 1
    sub.refresh_from_db()
    assert sub.status == "expired"


@pytest.mark.django_db
def test_monthly_cycles_of_an_annual_term_are_charged_once(owner_a, onboard, catalog, unscoped):
    customer = onboard(owner_a)
    with at(BOUGHT):
        buy(owner_a, customer, catalog[PREMIUM])
    assert services.subscriptions_charge_cycles(today=dt.date(2026, 7, 17)) == 0
    assert services.subscriptions_charge_cycles(today=dt.date(2026, 7, 18)) == 1
    assert services.subscriptions_charge_cycles(today=dt.date(2026, 7, 18)) == 0
    assert charges(unscoped, kind="cycle")[-1] == (
        "cycle",
        10,
        Decimal("220.00"),
        dt.date(2026, 7, 18),
    )


@pytest.mark.django_db
def test_owners_are_reminded_7_and_1_days_before_renewal(
    owner_a, reseller_a, member_of, onboard, catalog, unscoped
):
    from portal.models import Notification

    viewer = member_of(reseller_a, Role.VIEWER)
    customer = onboard(owner_a)
    with at(BOUGHT):
        buy(owner_a, customer, catalog[PREMIUM], term="P1M")  # renews 2026-07-18
    assert services.subscriptions_remind_renewals(today=dt.date(2026, 7, 10)) == 0
    assert services.subscriptions_remind_renewals(today=dt.date(2026, 7, 11)) == 1
    assert services.subscriptions_remind_renewals(today=dt.date(2026, 7, 11)) == 0
    assert services.subscriptions_remind_renewals(today=dt.date(2026, 7, 17)) == 1
    with unscoped():
        titles = list(
            Notification.objects.filter(user=owner_a.user).values_list("title", flat=True)
        )
        assert not Notification.objects.filter(user=viewer.user).exists()
    assert sorted(titles) == [
        f"Microsoft 365 Business Premium for {customer} renews in 1 day",
        f"Microsoft 365 Business Premium for {customer} renews in 7 days",
    ]


@pytest.mark.django_db
def test_assigned_users_never_exceed_seats(owner_a, onboard, catalog, unscoped):
    customer = onboard(owner_a)
    sub = buy(owner_a, customer, catalog[PREMIUM], quantity=2)
    services.seat_assign(
        member=owner_a,
        subscription=sub,
        display_name="Ann Lee",
        user_principal_name="Ann@contoso.test",
    )
    with pytest.raises(ValidationError, match="already has a seat"):
        services.seat_assign(
            member=owner_a,
            subscription=sub,
            display_name="Ann",
            user_principal_name="ann@contoso.test",
        )
    services.seat_assign(
        member=owner_a,
        subscription=sub,
        display_name="Bo Ray",
        user_principal_name="bo@contoso.test",
    )
    with pytest.raises(ValidationError, match="All 2 seats are assigned"):
        services.seat_assign(
            member=owner_a,
            subscription=sub,
            display_name="Cy",
            user_principal_name="cy@contoso.test",
        )
    with unscoped():
        assert sub.assignments.count() == 2


# --- term lengthening (now) and billing frequency (from the next cycle) ---------------------


def lengthen(member, sub, term, frequency, key="t1"):
    return services.subscription_change_term(
        member=member, subscription=sub, term=term, billing_frequency=frequency, idempotency_key=key
    )


@pytest.mark.django_db
def test_lengthening_the_term_credits_the_old_cycle_and_starts_a_new_term(
    owner_a, onboard, catalog, unscoped
):
    customer = onboard(owner_a)
    with at(BOUGHT):
        sub = buy(owner_a, customer, catalog[PREMIUM], term="P1M")
    with at(dt.datetime(2026, 6, 28, 9, 0, tzinfo=UTC)):
        done = lengthen(owner_a, sub, "P1Y", "annual")
    sub.refresh_from_db()
    assert (sub.term, sub.billing_frequency, sub.term_start, sub.term_end, sub.quantity) == (
        "P1Y",
        "annual",
        dt.date(2026, 6, 28),
        dt.date(2027, 6, 27),
        10,
    )
    assert sub.unit_price == Decimal("264.00")
    # old P1M cycle Jun 18 – Jul 17 (30 days) at 26.40: Jun 28 – Jul 17 is 20 days → 176.00
    # back; the new annual cycle: 264.00 × 10 seats
    assert charges(unscoped) == [
        ("cycle", 10, Decimal("264.00"), dt.date(2026, 6, 18)),
        ("term_change", -10, Decimal("-176.00"), dt.date(2026, 6, 28)),
        ("cycle", 10, Decimal("2640.00"), dt.date(2026, 6, 28)),
    ]
    assert done == (
        "The term is now 1 year, billed annually, from 2026-06-28 to 2027-06-27: "
        "176.00 USD credited for the rest of the old cycle, 2,640.00 USD charged "
        "for the first new cycle."
    )
    with unscoped():
        pc = SandboxSubscription.objects.get()
        assert (pc.term, pc.billing_frequency, pc.term_start) == (
            "P1Y",
            "annual",
            dt.date(2026, 6, 28),
        )


@pytest.mark.django_db
def test_lengthening_in_cad_keeps_monthly_billing_to_the_cent(owner_b, onboard, catalog, unscoped):
    customer = onboard(owner_b)
    with at(dt.datetime(2026, 7, 1, 8, 0, tzinfo=UTC)):
        sub = buy(owner_b, customer, catalog[PREMIUM], quantity=4)
    with at(dt.datetime(2026, 7, 25, 8, 0, tzinfo=UTC)):
        lengthen(owner_b, sub, "P3Y", "monthly")
    sub.refresh_from_db()
    assert (sub.term, sub.term_start, sub.term_end) == (
        "P3Y",
        dt.date(2026, 7, 25),
        dt.date(2029, 7, 24),
    )
    # CAD 29.70 a month × 4 = 118.80; Jul 25 – Jul 31 is 7 of 31 days → 26.83 back
    assert charges(unscoped) == [
        ("cycle", 4, Decimal("118.80"), dt.date(2026, 7, 1)),
        ("term_change", -4, Decimal("-26.83"), dt.date(2026, 7, 25)),
        ("cycle", 4, Decimal("118.80"), dt.date(2026, 7, 25)),
    ]
    # the next monthly cycle of the new term is charged by the daily upkeep
    assert services.subscriptions_charge_cycles(today=dt.date(2026, 8, 25)) == 1


@pytest.mark.django_db
@pytest.mark.parametrize(
    "term, frequency, message",
    [
        (
            "P1M",
            "monthly",
            "A P1Y term cannot be shortened to P1M mid-term; it can only be lengthened.",
        ),
        ("P1Y", "monthly", "The term is already P1Y; mid-term it can only be lengthened."),
        ("P3Y", "weekly", "Microsoft 365 Business Premium cannot be billed weekly."),
    ],
)
def test_term_changes_that_are_refused_write_nothing(
    owner_a, onboard, catalog, unscoped, term, frequency, message
):
    customer = onboard(owner_a)
    with at(BOUGHT):
        sub = buy(owner_a, customer, catalog[PREMIUM])
    with at(BOUGHT + dt.timedelta(days=3)), pytest.raises(ValidationError) as e:
        lengthen(owner_a, sub, term, frequency)
    assert e.value.messages == [message]
    sub.refresh_from_db()
    assert (sub.term, sub.billing_frequency, sub.term_start) == ("P1Y", "monthly", BOUGHT.date())
    assert [c[0] for c in charges(unscoped)] == ["cycle"]
    with unscoped():
        assert SandboxSubscription.objects.get().term == "P1Y"


@pytest.mark.django_db
def test_a_perpetual_licence_has_no_term_to_change(owner_a, onboard, catalog):
    customer = onboard(owner_a)
    sub = buy(owner_a, customer, catalog[PERPETUAL], quantity=1, term="P1M")
    with pytest.raises(ValidationError, match="has no term to change"):
        lengthen(owner_a, sub, "P1Y", "annual")


@pytest.mark.django_db
def test_lengthening_the_term_removes_a_scheduled_decrease(owner_a, onboard, catalog, unscoped):
    customer = onboard(owner_a)
    with at(BOUGHT):
        sub = buy(owner_a, customer, catalog[PREMIUM])
    with at(BOUGHT + dt.timedelta(days=10)):
        services.subscription_change_seats(
            member=owner_a, subscription=sub, quantity=6, idempotency_key="s", schedule=True
        )
        lengthen(owner_a, sub, "P3Y", "monthly")
    with unscoped():
        assert not ScheduledChange.objects.exists()


@pytest.mark.django_db
def test_a_shorter_billing_cycle_starts_with_the_next_cycle_inside_the_term(
    owner_a, onboard, catalog, unscoped
):
    customer = onboard(owner_a)
    with at(BOUGHT):
        sub = buy(owner_a, customer, catalog[PREMIUM], term="P3Y", frequency="annual")
    with at(BOUGHT + dt.timedelta(days=20)):
        done = services.subscription_schedule_frequency(
            member=owner_a, subscription=sub, billing_frequency="monthly"
        )
    assert done == ("The subscription will be billed monthly from the cycle starting 2027-06-18.")
    assert services.subscriptions_apply_frequency_changes(today=dt.date(2027, 6, 17)) == 0
    sub.refresh_from_db()
    assert sub.billing_frequency == "annual"
    with at(dt.datetime(2027, 6, 18, 0, 5, tzinfo=UTC)):
        assert services.subscriptions_apply_frequency_changes(today=dt.date(2027, 6, 18)) == 1
        assert services.subscriptions_apply_frequency_changes(today=dt.date(2027, 6, 18)) == 0
        # the switch charged the first monthly cycle; the cycle run adds nothing
        assert services.subscriptions_charge_cycles(today=dt.date(2027, 6, 18)) == 0
    assert services.subscriptions_charge_cycles(today=dt.date(2027, 7, 18)) == 1
    sub.refresh_from_db()
    assert (sub.billing_frequency, sub.unit_price) == ("monthly", Decimal("22.00"))
    # year 1 upfront (264.00 × 10), then 22.00 × 10 a month
    assert charges(unscoped, kind="cycle") == [
        ("cycle", 10, Decimal("2640.00"), dt.date(2026, 6, 18)),
        ("cycle", 10, Decimal("220.00"), dt.date(2027, 6, 18)),
        ("cycle", 10, Decimal("220.00"), dt.date(2027, 7, 18)),
    ]
    with unscoped():
        assert not ScheduledChange.objects.exists()
        assert SandboxSubscription.objects.get().billing_frequency == "monthly"


@pytest.mark.django_db
def test_a_frequency_change_at_the_end_of_the_term_is_applied_by_the_renewal(
    owner_a, onboard, catalog, unscoped
):
    customer = onboard(owner_a)
    with at(BOUGHT):
        sub = buy(owner_a, customer, catalog[PREMIUM], frequency="annual")
    with at(BOUGHT + dt.timedelta(days=20)):
        services.subscription_schedule_frequency(
            member=owner_a, subscription=sub, billing_frequency="monthly"
        )
        # turning auto-renew off drops it (it needs a renewal)
        services.subscription_set_auto_renew(member=owner_a, subscription=sub, auto_renew=False)
        with unscoped():
            assert not ScheduledChange.objects.exists()
        services.subscription_set_auto_renew(member=owner_a, subscription=sub, auto_renew=True)
        services.subscription_schedule_frequency(
            member=owner_a, subscription=sub, billing_frequency="monthly"
        )
    with at(dt.datetime(2027, 6, 18, 0, 5, tzinfo=UTC)):
        assert services.subscriptions_apply_frequency_changes(today=dt.date(2027, 6, 18)) == 0
        assert services.subscriptions_renew_due(today=dt.date(2027, 6, 18))["renewed"] == 1
    sub.refresh_from_db()
    assert (sub.billing_frequency, sub.term_start) == ("monthly", dt.date(2027, 6, 18))
    assert charges(unscoped, kind="cycle")[-1] == (
        "cycle",
        10,
        Decimal("220.00"),
        dt.date(2027, 6, 18),
    )
    with unscoped():
        assert SandboxSubscription.objects.get().billing_frequency == "monthly"


@pytest.mark.django_db
def test_auto_renew_off_keeps_a_frequency_change_inside_the_term(
    owner_a, onboard, catalog, unscoped
):
    customer = onboard(owner_a)
    with at(BOUGHT):
        sub = buy(owner_a, customer, catalog[PREMIUM], term="P3Y", frequency="annual")
    with at(BOUGHT + dt.timedelta(days=20)):
        services.subscription_schedule_frequency(
            member=owner_a, subscription=sub, billing_frequency="monthly"
        )
        services.subscription_set_auto_renew(member=owner_a, subscription=sub, auto_renew=False)
    with unscoped():
        change = ScheduledChange.objects.get()
    assert (change.billing_frequency, change.frequency_from) == ("monthly", dt.date(2027, 6, 18))


@pytest.mark.django_db
@pytest.mark.parametrize(
    "term, old, new, message",
    [
        ("P1Y", "monthly", "monthly", "The subscription is already billed monthly."),
        ("P1Y", "annual", "triennial", "A P1Y term cannot be billed triennial."),
    ],
)
def test_refused_frequency_changes_schedule_nothing(
    owner_a, onboard, catalog, unscoped, term, old, new, message
):
    customer = onboard(owner_a)
    sub = buy(owner_a, customer, catalog[PREMIUM], term=term, frequency=old)
    with pytest.raises(ValidationError) as e:
        services.subscription_schedule_frequency(
            member=owner_a, subscription=sub, billing_frequency=new
        )
    assert e.value.messages == [message]
    with unscoped():
        assert not ScheduledChange.objects.exists()


@pytest.mark.django_db
def test_viewers_cannot_change_the_term(owner_a, member_of, onboard, catalog):
    customer = onboard(owner_a)
    sub = buy(owner_a, customer, catalog[PREMIUM])
    viewer = member_of(owner_a.reseller, Role.VIEWER)
    with pytest.raises(PermissionDenied):
        lengthen(viewer, sub, "P3Y", "monthly")
    with pytest.raises(PermissionDenied):
        services.subscription_schedule_frequency(
            member=viewer, subscription=sub, billing_frequency="monthly"
        )


@pytest.mark.django_db
def test_a_frequency_switch_partner_center_refuses_charges_nothing_until_it_succeeds(
    owner_a, onboard, catalog, unscoped, monkeypatch
):
    customer = onboard(owner_a)
    with at(BOUGHT):
        sub = buy(owner_a, customer, catalog[PREMIUM], term="P3Y", frequency="annual")
    with at(BOUGHT + dt.timedelta(days=20)):
        services.subscription_schedule_frequency(
            member=owner_a, subscription=sub, billing_frequency="monthly"
        )
    with monkeypatch.context() as down:
        down.setattr(services, "get_gateway", DownGateway)
        assert services.subscriptions_apply_frequency_changes(today=dt.date(2027, 6, 18)) == 0
        # not a second annual cycle at the old frequency while the switch waits
        assert services.subscriptions_charge_cycles(today=dt.date(2027, 6, 18)) == 0
    with at(dt.datetime(2027, 6, 19, 0, 5, tzinfo=UTC)):  # Partner Center is back a day later
        assert services.subscriptions_apply_frequency_changes(today=dt.date(2027, 6, 19)) == 1
    assert services.subscriptions_charge_cycles(today=dt.date(2027, 7, 18)) == 1
    assert charges(unscoped, kind="cycle") == [
        ("cycle", 10, Decimal("2640.00"), dt.date(2026, 6, 18)),
        ("cycle", 10, Decimal("220.00"), dt.date(2027, 6, 18)),
        ("cycle", 10, Decimal("220.00"), dt.date(2027, 7, 18)),
    ]


@pytest.mark.django_db
def test_lengthening_on_a_cycle_day_before_the_cycle_run_charges_that_cycle_first(
    owner_a, onboard, catalog, unscoped
):
    customer = onboard(owner_a)
    with at(BOUGHT):
        sub = buy(owner_a, customer, catalog[PREMIUM])  # P1Y monthly, 22.00 a month × 10
    with at(dt.datetime(2026, 7, 18, 0, 20, tzinfo=UTC)):  # month 2 starts; the run is later
        lengthen(owner_a, sub, "P3Y", "monthly")
        assert services.subscriptions_charge_cycles(today=dt.date(2026, 7, 18)) == 0
    # month 2 charged, then fully credited (the new term starts the same day), new cycle charged
    assert charges(unscoped) == [
        ("cycle", 10, Decimal("220.00"), dt.date(2026, 6, 18)),
        ("cycle", 10, Decimal("220.00"), dt.date(2026, 7, 18)),
        ("term_change", -10, Decimal("-220.00"), dt.date(2026, 7, 18)),
        ("cycle", 10, Decimal("220.00"), dt.date(2026, 7, 18)),
    ]


@pytest.mark.django_db
def test_no_term_change_while_a_renewal_is_pending(owner_a, onboard, catalog, unscoped):
    customer = onboard(owner_a)
    with at(BOUGHT):
        sub = buy(owner_a, customer, catalog[PREMIUM], term="P1M")  # ends 2026-07-17
    with (
        at(dt.datetime(2026, 7, 18, 0, 1, tzinfo=UTC)),
        pytest.raises(
            ValidationError, match="The term ended on 2026-07-17 and its renewal is being processed"
        ),
    ):
        lengthen(owner_a, sub, "P1Y", "monthly")
    assert [c[0] for c in charges(unscoped)] == ["cycle"]


@pytest.mark.django_db
def test_an_immediate_seat_change_says_it_removed_the_scheduled_change(
    owner_a, onboard, catalog, unscoped
):
    customer = onboard(owner_a)
    with at(BOUGHT):
        sub = buy(owner_a, customer, catalog[PREMIUM], term="P3Y", frequency="annual")
    with at(BOUGHT + dt.timedelta(days=20)):
        services.subscription_schedule_frequency(
            member=owner_a, subscription=sub, billing_frequency="monthly"
        )
        done = services.subscription_change_seats(
            member=owner_a, subscription=sub, quantity=11, idempotency_key="add"
        )
    assert done == (
        "1 seat added; the scheduled change was removed (an immediate change replaces it)."
    )
    with unscoped():
        assert not ScheduledChange.objects.exists()


def _cycle_day_seats(owner_a, onboard, catalog, *, upkeep_first: bool):
    customer = onboard(owner_a)
    with at(BOUGHT):
        sub = buy(owner_a, customer, catalog[PREMIUM])  # P1Y monthly, 22.00 a month × 10
    # month 2 starts on Jul 18; the hourly upkeep runs before or after the seats are added
    with at(dt.datetime(2026, 7, 18, 0, 5 if upkeep_first else 40, tzinfo=UTC)) as clock:
        if upkeep_first:
            services.subscriptions_charge_cycles(today=dt.date(2026, 7, 18))
        clock.move_to(dt.datetime(2026, 7, 18, 0, 20, tzinfo=UTC))
        services.subscription_change_seats(
            member=owner_a, subscription=sub, quantity=12, idempotency_key="add2"
        )
        clock.move_to(dt.datetime(2026, 7, 18, 1, 0, tzinfo=UTC))
        services.subscriptions_charge_cycles(today=dt.date(2026, 7, 18))
    return sub


@pytest.mark.django_db
@pytest.mark.parametrize("upkeep_first", [True, False], ids=["upkeep-first", "seats-first"])
def test_seats_added_on_a_cycle_start_day_are_charged_once(
    owner_a, onboard, catalog, unscoped, upkeep_first
):
    _cycle_day_seats(owner_a, onboard, catalog, upkeep_first=upkeep_first)
    # hand-checked: the cycle Jul 18 – Aug 17 (31 days) for the 10 seats it started with,
    # 22.00 × 10 = 220.00, and the 2 seats added on its first day, 22.00 × 2 × 31 / 31 = 44.00:
    # 12 seats × 22.00 = 264.00 for the month, whichever ran first
    month_2 = sorted(c for c in charges(unscoped) if c[3] == dt.date(2026, 7, 18))
    assert month_2 == [
        ("cycle", 10, Decimal("220.00"), dt.date(2026, 7, 18)),
        ("seat_increase", 2, Decimal("44.00"), dt.date(2026, 7, 18)),
    ]
    assert services.subscriptions_charge_cycles(today=dt.date(2026, 8, 18)) == 1
    assert charges(unscoped)[-1] == ("cycle", 12, Decimal("264.00"), dt.date(2026, 8, 18))


@pytest.mark.django_db
@pytest.mark.parametrize(
    "after, credit, message",
    [
        # hand-checked: the first cycle Jun 18 – Jul 17 was charged 22.00 × 10 = 220.00
        (
            dt.timedelta(hours=23, minutes=59),
            Decimal("-220.00"),
            "Cancelled within 24 hours of the purchase: the cycle's 220.00 USD is refunded in full",
        ),
        # from 24h00m: Jun 19 – Jul 17 is 29 of 30 days, 220.00 × 29 / 30 = 212.666… → 212.67
        (
            dt.timedelta(hours=24),
            Decimal("-212.67"),
            "Cancelled with a prorated credit for the rest of the cycle",
        ),
    ],
)
def test_cancel_within_24_hours_of_the_purchase_refunds_the_cycle_in_full(
    owner_a, onboard, catalog, unscoped, after, credit, message
):
    customer = onboard(owner_a)
    with at(BOUGHT):
        sub = buy(owner_a, customer, catalog[PREMIUM])
    with at(BOUGHT + after):
        done = services.subscription_cancel(member=owner_a, subscription=sub, idempotency_key="c")
    assert done.startswith(message)
    assert charges(unscoped, kind="cancel") == [("cancel", -10, credit, dt.date(2026, 6, 19))]


@pytest.mark.django_db
def test_cancel_within_24_hours_of_a_renewal_refunds_the_renewed_cycle_and_its_seats(
    owner_a, onboard, catalog, unscoped
):
    customer = onboard(owner_a)
    with at(BOUGHT):
        sub = buy(owner_a, customer, catalog[PREMIUM], term="P1M")  # 26.40 × 10 a month
    renewed = dt.datetime(2026, 7, 18, 0, 30, tzinfo=UTC)
    with at(renewed):
        assert services.subscriptions_renew_due(today=dt.date(2026, 7, 18))["renewed"] == 1
    with at(renewed + dt.timedelta(hours=2)):
        services.subscription_change_seats(
            member=owner_a, subscription=sub, quantity=12, idempotency_key="add2"
        )
    with at(renewed + dt.timedelta(hours=23)):
        services.subscription_cancel(member=owner_a, subscription=sub, idempotency_key="c")
    # hand-checked: renewed cycle Jul 18 – Aug 17 (31 days) 264.00, 2 seats added the same day
    # 26.40 × 2 × 31 / 31 = 52.80; refunded in full: −316.80; the first cycle stays charged
    assert charges(unscoped) == [
        ("cycle", 10, Decimal("264.00"), dt.date(2026, 6, 18)),
        ("cycle", 10, Decimal("264.00"), dt.date(2026, 7, 18)),
        ("seat_increase", 2, Decimal("52.80"), dt.date(2026, 7, 18)),
        ("cancel", -12, Decimal("-316.80"), dt.date(2026, 7, 18)),
    ]


@pytest.mark.django_db
def test_a_p3y_subscription_switches_monthly_to_annual_mid_term_from_the_next_cycle(
    owner_a, onboard, catalog, unscoped
):
    customer = onboard(owner_a)
    with at(BOUGHT):
        sub = buy(owner_a, customer, catalog[PREMIUM], term="P3Y", frequency="monthly")
    with at(dt.datetime(2026, 8, 1, 9, 0, tzinfo=UTC)):
        done = services.subscription_schedule_frequency(
            member=owner_a, subscription=sub, billing_frequency="annual"
        )
    assert done == ("The subscription will be billed annually from the cycle starting 2027-06-18.")
    # the monthly cycles of the first year go on; the second year is one annual cycle
    assert services.subscriptions_charge_cycles(today=dt.date(2027, 5, 18)) == 1
    with at(dt.datetime(2027, 6, 18, 0, 5, tzinfo=UTC)):
        assert services.subscriptions_apply_frequency_changes(today=dt.date(2027, 6, 18)) == 1
    assert services.subscriptions_charge_cycles(today=dt.date(2027, 7, 18)) == 0
    sub.refresh_from_db()
    assert (sub.billing_frequency, sub.term_start) == ("annual", dt.date(2026, 6, 18))
    # hand-checked: 22.00 × 10 a month until May 2027, then 264.00 × 10 for the year
    assert charges(unscoped, kind="cycle")[-2:] == [
        ("cycle", 10, Decimal("220.00"), dt.date(2027, 5, 18)),
        ("cycle", 10, Decimal("2640.00"), dt.date(2027, 6, 18)),
    ]
    with unscoped():
        assert SandboxSubscription.objects.get().billing_frequency == "annual"


@pytest.mark.django_db
@pytest.mark.parametrize(
    "term, old, new, message",
    [
        (
            "P1Y",
            "monthly",
            "annual",
            "A P1Y subscription billed monthly keeps its billing frequency "
            "until renewal: it will be billed annually from the renewal on "
            "2027-06-18.",
        ),
        (
            "P1Y",
            "annual",
            "monthly",
            "A P1Y subscription billed annually keeps its billing "
            "frequency until renewal: it will be billed monthly from the "
            "renewal on 2027-06-18.",
        ),
        (
            "P3Y",
            "triennial",
            "monthly",
            "A P3Y subscription billed every three years keeps its "
            "billing frequency until renewal: it will be billed monthly "
            "from the renewal on 2029-06-18.",
        ),
    ],
)
def test_p1y_and_triennial_subscriptions_keep_their_frequency_until_renewal(
    owner_a, onboard, catalog, unscoped, term, old, new, message
):
    customer = onboard(owner_a)
    with at(BOUGHT):
        sub = buy(owner_a, customer, catalog[PREMIUM], term=term, frequency=old)
    with at(dt.datetime(2026, 8, 1, 9, 0, tzinfo=UTC)):
        done = services.subscription_schedule_frequency(
            member=owner_a, subscription=sub, billing_frequency=new
        )
    assert done == message
    with unscoped():
        change = ScheduledChange.objects.get()
    assert change.frequency_from == change.effective_on == sub.term_end + dt.timedelta(days=1)
    # nothing changes inside the term: the cycle run still bills the old frequency
    assert services.subscriptions_apply_frequency_changes(today=dt.date(2026, 8, 18)) == 0
    sub.refresh_from_db()
    assert sub.billing_frequency == old


@pytest.mark.django_db
def test_a_customer_with_active_subscriptions_cannot_change_currency(
    owner_a, onboard, catalog, unscoped
):
    from customers.services import customer_update

    customer = onboard(owner_a)
    with at(BOUGHT):
        buy(owner_a, customer, catalog[PREMIUM])
    with pytest.raises(ValidationError) as e:
        customer_update(member=owner_a, customer=customer, currency="CAD")
    assert e.value.messages == [
        f"{customer} has 1 active subscription billed in USD, and Partner Center keeps billing "
        "it in USD: the currency cannot change while it runs. Operations can change it for "
        "new subscriptions (open a ticket)."
    ]
    customer.refresh_from_db()
    assert customer.currency == "USD"


@pytest.mark.django_db
def test_operations_change_the_currency_and_running_subscriptions_renew_in_theirs(
    owner_a, ops, onboard, catalog, unscoped
):
    from django.core.management import call_command

    from customers.models import Customer

    customer = onboard(owner_a)
    with at(BOUGHT):
        sub = buy(owner_a, customer, catalog[PREMIUM], term="P1M")  # 26.40 USD a month × 10
    with pytest.raises(ValidationError, match="Give the reason"):
        call_command(
            "customer_change_currency", str(customer.pk), "CAD", "--by", ops.email, "--reason", " "
        )
    call_command(
        "customer_change_currency",
        str(customer.pk),
        "CAD",
        "--by",
        ops.email,
        "--reason",
        "Customer moved its billing to Canada (Microsoft case 123)",
    )
    with unscoped():
        assert Customer.objects.get(pk=customer.pk).currency == "CAD"
    with at(dt.datetime(2026, 7, 18, 0, 30, tzinfo=UTC)):
        assert services.subscriptions_renew_due(today=dt.date(2026, 7, 18))["renewed"] == 1
    # hand-checked: the renewal is priced and charged in the subscription's own USD
    # (26.40 × 10), not CAD prices written as USD
    with unscoped():
        renewal = ChargeEvent.objects.filter(subscription=sub).order_by("pk").last()
    assert (renewal.price_amount, renewal.currency) == (Decimal("264.00"), "USD")


@pytest.mark.django_db
def test_reserved_instance_cancellations_are_capped_at_usd_50000_in_a_rolling_year(
    owner_a, onboard, catalog, unscoped
):
    from tests.subscriptions.conftest import RESERVED

    customer = onboard(owner_a)
    ri = catalog[RESERVED]  # P1Y 613.20 USD a year per instance

    def buy_and_cancel(moment, quantity, key):
        with at(moment):
            sub = buy(owner_a, customer, ri, quantity=quantity, frequency="annual", key=key)
        with at(moment + dt.timedelta(hours=1)):
            return services.subscription_cancel(
                member=owner_a, subscription=sub, idempotency_key=f"c-{key}"
            )

    # hand-checked: 50 × 613.20 = 30,660.00 cancelled; then 40 × 613.20 = 24,528.00 would
    # bring the rolling year to 55,188.00 > 50,000.00
    buy_and_cancel(BOUGHT, 50, "ri1")
    later = BOUGHT + dt.timedelta(days=100)
    with pytest.raises(ValidationError) as e:
        buy_and_cancel(later, 40, "ri2")
    assert e.value.messages == [
        "Reserved instance cancellations are limited to USD 50,000.00 per customer in 12 "
        "months; USD 30,660.00 was already cancelled, so at most USD 19,340.00 remains (this "
        "cancellation is USD 24,528.00)."
    ]
    # 365 days after the first cancellation it no longer counts
    buy_and_cancel(BOUGHT + dt.timedelta(days=366), 40, "ri3")
    assert [c[:3] for c in charges(unscoped, kind="cancel")] == [
        ("cancel", -50, Decimal("-30660.00")),
        ("cancel", -40, Decimal("-24528.00")),
    ]
