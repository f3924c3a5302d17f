"""Licence use from the customer's tenant (Graph sandbox), seat savings and the one-click
decrease at renewal, as a reseller sees them: subscription page, savings page, CSV, dashboard."""

import csv
import datetime as dt
import io
from decimal import Decimal

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

from customers.gdap.models import AdminRelationship
from partner_center.models import SandboxTenantSku, SandboxTenantUser
from portal.roles import Role
from subscriptions.insight.models import TenantLicence
from subscriptions.insight.services import tenant_licences_sync
from subscriptions.models import ScheduledChange, Subscription
from subscriptions.tasks import sync_tenant_licences
from tests.subscriptions.conftest import PREMIUM, buy_now

UTC = dt.UTC
BOUGHT = dt.datetime(2026, 6, 18, 10, 0, tzinfo=UTC)
LATER = BOUGHT + dt.timedelta(days=40)  # the 168-hour window long closed
SKU = "cbdc14ab-d96c-4c30-b9f4-6ada7cdc1d46"  # Microsoft 365 Business Premium (SPB)


def grant_access(customer, status="active"):
    """The reseller's GDAP relationship with the customer, as last polled from Microsoft."""
    return AdminRelationship.objects.create(
        reseller=customer.reseller,
        customer=customer,
        relationship_id=f"rel-{customer.pk}",
        display_name=f"{customer.company_name} {customer.pk}",
        role_ids=["88d8e3e3-8f55-4a1e-953a-9b9898b8876b"],
        duration="P730D",
        status=status,
    )


def simulate_tenant(customer, sub, *, active=10, inactive=3, disabled=1, unlicensed=2):
    """The customer's tenant in the Graph sandbox: the SKU behind `sub` and its users, reached
    through an active GDAP relationship."""
    grant_access(customer)
    SandboxTenantSku.objects.create(
        tenant_id=str(customer.tenant_id),
        sku_id=SKU,
        part_number="SPB",
        enabled_units=sub.quantity,
        subscription_ids=[sub.partner_center_id],
    )
    tenant = str(customer.tenant_id)

    def user(n, kind, *, enabled=True, seen=LATER - dt.timedelta(days=1), skus=(SKU,)):
        SandboxTenantUser.objects.create(
            tenant_id=tenant,
            display_name=f"{kind} {n}",
            user_principal_name=f"{kind.lower()}{n}@contoso.example",
            enabled=enabled,
            sku_ids=list(skus),
            last_sign_in=seen,
        )

    for n in range(active):
        user(n, "Active")
    for n in range(inactive):
        user(n, "Away", seen=LATER - dt.timedelta(days=45) if n else None)  # one never
    for n in range(disabled):
        user(n, "Left", enabled=False)
    for n in range(unlicensed):
        user(n, "Guest", skus=())


@pytest.fixture
def premium(owner_a, onboard, catalog, unscoped):
    customer = onboard(owner_a)
    with time_machine.travel(BOUGHT, tick=False):
        sub = buy_now(
            member=owner_a,
            customer=customer,
            offer=catalog[PREMIUM],
            term="P1Y",
            billing_frequency="monthly",
            quantity=20,
            idempotency_key="k1",
        )
    with unscoped():
        # prices as locked at purchase: 12.50 a seat a month to the customer, 10.20 at cost
        Subscription.objects.filter(pk=sub.pk).update(
            unit_price=Decimal("12.50"), unit_cost=Decimal("10.20")
        )
        sub.refresh_from_db()
        simulate_tenant(customer, sub)
    return sub


def test_twenty_seats_fourteen_used_three_inactive_one_disabled(
    premium, owner_a, client_for, unscoped
):
    with time_machine.travel(LATER, tick=False):
        assert sync_tenant_licences() == {"synced": 1, "no_access": 0, "failed": 0}
        client = client_for(owner_a)
        page = client.get(reverse("savings:savings")).content.decode()
        detail = client.get(
            reverse("subscriptions:detail", kwargs={"subscription_id": premium.pk})
        ).content.decode()
        dashboard = client.get(reverse("savings:card")).content.decode()  # the dashboard's
    with unscoped():
        licence = TenantLicence.objects.get(subscription=premium)
        assert (licence.consumed_units, licence.holders.count()) == (14, 14)
    # 6 unused + 4 reclaimable = 10 seats × 12.50 = 125.00 a month (102.00 at cost); 2026-07-28
    # to the term's end 2027-06-17 is 325 of 365 days: 10 × 150.00 × 325/365 = 1335.62
    assert "<td>20</td><td>6</td><td>4</td>" in page
    assert "125.00 USD" in page and "1,335.62 USD" in page and "102.00 USD" in page
    assert "6 unused and 4 reclaimable seats" in detail
    assert "Licence holders" in detail and "Left 0" in detail and "disabled" in detail
    assert "never" in detail  # the user who never signed in
    assert "Schedule decrease to 10 seats at renewal" in detail
    assert "10 seats: <strong>125.00 USD</strong> a month" in dashboard


def test_one_click_schedules_the_decrease_at_renewal(premium, owner_a, client_for, unscoped):
    with time_machine.travel(LATER, tick=False):
        tenant_licences_sync()
        client = client_for(owner_a)
        response = client.post(
            reverse("savings:savings_decrease", kwargs={"subscription_id": premium.pk}), follow=True
        )
    assert "2027-06-18" in response.content.decode()
    with unscoped():
        change = ScheduledChange.objects.get(subscription=premium)
        assert (change.quantity, change.effective_on) == (10, dt.date(2027, 6, 18))
        premium.refresh_from_db()
        assert premium.quantity == 20  # the seats stay until renewal


def test_the_savings_page_asks_for_confirmation_first(premium, owner_a, client_for, unscoped):
    with time_machine.travel(LATER, tick=False):
        tenant_licences_sync()
        client = client_for(owner_a)
        page = client.get(reverse("savings:savings")).content.decode()
        url = reverse("savings:savings_decrease", kwargs={"subscription_id": premium.pk})
        assert f'<form method="get" action="{url}">' in page
        confirm = client.get(url).content.decode()
    assert "20 seats now; 10 seats at renewal on 2027-06-18" in confirm
    assert "6 unused and 4 reclaimable seats (read from the tenant)" in confirm
    assert "saves 125.00 USD a month" in confirm
    assert "Schedule 10 seats at renewal" in confirm
    with unscoped():
        assert not ScheduledChange.objects.exists()  # nothing happens on GET


def test_the_subscription_page_asks_for_confirmation_first_too(premium, owner_a, client_for):
    with time_machine.travel(LATER, tick=False):
        tenant_licences_sync()
        detail = client_for(owner_a).get(
            reverse("subscriptions:detail", kwargs={"subscription_id": premium.pk})
        )
    url = reverse("savings:savings_decrease", kwargs={"subscription_id": premium.pk})
    assert f'<form method="get" action="{url}"><button type="submit">Schedule decrease' in (
        detail.content.decode()
    )


def test_the_csv_lists_each_subscription_with_its_money(premium, owner_a, client_for):
    with time_machine.travel(LATER, tick=False):
        tenant_licences_sync()
        response = client_for(owner_a).get(reverse("savings:savings_csv"))
    rows = list(csv.DictReader(io.StringIO(response.content.decode())))
    assert [
        (
            r["seats"],
            r["unused"],
            r["reclaimable"],
            r["source"],
            r["monthly_price"],
            r["monthly_cost"],
        )
        for r in rows
    ] == [("20", "6", "4", "tenant", "125.00", "102.00")]


def test_without_tenant_access_the_portal_assignments_count(premium, owner_a, client_for, unscoped):
    with unscoped():
        SandboxTenantSku.objects.all().delete()
    with time_machine.travel(LATER, tick=False):
        assert tenant_licences_sync()["no_access"] == 1
        page = client_for(owner_a).get(reverse("savings:savings")).content.decode()
    # no assignments in the portal: all 20 seats unused
    assert "<td>20</td><td>20</td><td>0</td>" in page and "portal assignments" in page


@pytest.mark.parametrize("status", ["approvalPending", "expiring", "expired", "terminated"])
def test_without_an_active_gdap_relationship_the_tenant_is_not_read(
    premium, owner_a, client_for, unscoped, status
):
    """The tenant is simulated (Graph would answer), but the reseller's relationship is not
    active: no tenant access, the portal's own seat list counts."""
    with unscoped():
        AdminRelationship.objects.update(status=status)
    with time_machine.travel(LATER, tick=False):
        assert tenant_licences_sync() == {"synced": 0, "no_access": 1, "failed": 0}
        page = client_for(owner_a).get(reverse("savings:savings")).content.decode()
        detail = (
            client_for(owner_a)
            .get(reverse("subscriptions:detail", kwargs={"subscription_id": premium.pk}))
            .content.decode()
        )
    with unscoped():
        assert not TenantLicence.objects.exists()
    assert "<td>20</td><td>20</td><td>0</td>" in page and "portal assignments" in page
    assert "Licence holders" not in detail and "only through an active" in detail


def test_a_viewer_cannot_schedule_and_sees_no_cost(
    premium, reseller_a, member_of, client_for, unscoped
):
    viewer = client_for(member_of(reseller_a, Role.VIEWER))
    with time_machine.travel(LATER, tick=False):
        tenant_licences_sync()
        page = viewer.get(reverse("savings:savings")).content.decode()
        response = viewer.post(
            reverse("savings:savings_decrease", kwargs={"subscription_id": premium.pk})
        )
    assert "102.00" not in page and "Decrease to" not in page
    assert response.status_code == 403
    with unscoped():
        assert not ScheduledChange.objects.exists()


def test_another_reseller_gets_404(premium, owner_b, client_for):
    client = client_for(owner_b)
    assert (
        client.post(
            reverse("savings:savings_decrease", kwargs={"subscription_id": premium.pk})
        ).status_code
        == 404
    )
    assert (
        client.get(reverse("savings:savings") + f"?customer={premium.customer_id}").status_code
        == 404
    )


def test_the_dashboard_totals_read_as_plain_values_equal_the_savings_rows_totals(
    premium, owner_a, unscoped
):
    from django_scopes import scope

    from subscriptions.insight import selectors as insight

    with time_machine.travel(LATER, tick=False):
        sync_tenant_licences()
        now = timezone.now()
        with scope(reseller=owner_a.reseller):
            expected = insight.totals(insight.savings_rows(owner_a.reseller, now=now))
            assert insight.savings_totals(owner_a.reseller, now=now) == expected
    assert expected[0]["seats"] == 10 and expected[0]["monthly_price"] == Decimal("125.00")


def test_the_savings_page_lists_25_rows_a_page_with_the_totals_of_all(
    premium, owner_a, client_for, unscoped, django_assert_max_num_queries
):
    """A reseller with hundreds of subscriptions sees the largest savings first, 25 a page,
    the totals over every page; the queries do not grow with the rows."""
    with unscoped():
        for n in range(1, 60):  # 59 more, each with n unused seats (no seat is assigned)
            copy = Subscription.objects.get(pk=premium.pk)
            copy.pk = None
            copy.partner_center_id = copy.order_key = f"copy-{n}"
            copy.quantity = n
            copy.save()
    client = client_for(owner_a)
    with time_machine.travel(LATER, tick=False):
        sync_tenant_licences()
        with django_assert_max_num_queries(15):
            first = client.get(reverse("savings:savings")).content.decode()
        second = client.get(reverse("savings:savings"), {"page": 3}).content.decode()
    # 59 copies save 1 + 2 + … + 59 = 1,770 seats, the tenant-read subscription 10 seats
    assert "1780 seats: 22,250.00 USD a month</strong>" in first
    assert "1780 seats: 22,250.00 USD a month</strong>" in second
    assert first.count('data-testid="savings-row"') == 25
    assert second.count('data-testid="savings-row"') == 10  # the third and last page
    assert "Page 1 of 3 (60 subscriptions)" in first and "page=2" in first
    # largest first: 59 unused seats (737.50 a month) on page one, 1 seat (12.50) last
    assert first.index("737.50 USD") < first.index("725.00 USD")
    assert "12.50 USD</td>" in second and "737.50 USD" not in second


def test_the_dashboard_totals_counted_in_the_database_equal_the_savings_rows_totals(
    reseller_a, reseller_b, unscoped, in_scope
):
    """The dashboard's card counts each subscription's savable seats in the database and
    computes the money once per group of subscriptions alike: the totals equal the savings
    page's rows' totals whatever the mix (tenant licences with holders disabled, never signed
    in, inactive exactly 30 days or a second less, more seats used than bought; portal
    assignments; no savings; two identical subscriptions; two currencies; annual billing;
    terms started on different days), and leave out inactive and non-seat subscriptions and
    other resellers'."""
    from subscriptions.insight import selectors as insight
    from subscriptions.insight.models import LicenceHolder
    from tests.factories import (
        SeatAssignmentFactory,
        SeatSubscriptionFactory,
        SubscriptionFactory,
    )

    now = dt.datetime(2026, 9, 1, 12, 0, tzinfo=UTC)

    def seats(quantity, *, start=dt.date(2026, 3, 14), reseller=reseller_a, **fields):
        fields = {"unit_price": Decimal("12.50"), "unit_cost": Decimal("10.20"), **fields}
        return SeatSubscriptionFactory(
            reseller=reseller, quantity=quantity, term_start=start, **fields
        )

    def licence(sub, consumed, *holders):
        lic = TenantLicence.objects.create(
            reseller=sub.reseller,
            subscription=sub,
            sku_id=SKU,
            enabled_units=sub.quantity,
            consumed_units=consumed,
        )
        for n, (enabled, last_sign_in) in enumerate(holders):
            LicenceHolder.objects.create(
                reseller=sub.reseller,
                licence=lic,
                user_id=f"user-{sub.pk}-{n}",
                display_name=f"User {n}",
                user_principal_name=f"user{n}@tenant.test",
                enabled=enabled,
                last_sign_in=last_sign_in,
            )

    def assign(sub, n):
        for _ in range(n):
            SeatAssignmentFactory(subscription=sub)

    with unscoped():
        thirty_days = now - dt.timedelta(days=30)
        # 6 unused + disabled, never signed in, inactive exactly 30 days = 9
        licence(
            seats(20),
            14,
            (True, now - dt.timedelta(days=1)),
            (False, now - dt.timedelta(days=1)),
            (True, None),
            (True, thirty_days),
            (True, thirty_days + dt.timedelta(seconds=1)),
        )
        licence(seats(5, start=dt.date(2026, 8, 2)), 7, (False, None))  # 0 unused + 1
        for _ in range(2):  # alike: 7 each
            assign(seats(10, start=dt.date(2026, 1, 20)), 3)
        assign(seats(2), 2)  # none
        # 4 seats at 120.00 a year: 40.00 a month
        seats(
            4,
            currency="EUR",
            billing_frequency="annual",
            unit_price=Decimal("120.00"),
            unit_cost=Decimal("100.00"),
        )
        seats(8, status=Subscription.Status.CANCELLED)
        SubscriptionFactory(reseller=reseller_a, quantity=5)  # an Azure plan
        seats(30, reseller=reseller_b)
    with in_scope(reseller_a):
        expected = insight.totals(insight.savings_rows(reseller_a, now=now))
        got = insight.savings_totals(reseller_a, now=now)
    assert got == expected
    assert [(t["currency"], t["seats"]) for t in got] == [("EUR", 4), ("USD", 24)]
    assert got[0]["monthly_price"] == Decimal("40.00")
    assert got[1]["monthly_price"] == Decimal("300.00")  # 24 × 12.50


def test_a_savings_row_shows_its_cells_escaped_and_then_its_scheduled_change(
    premium, owner_a, client_for, unscoped
):
    """The rows (rendered in one pass in Python) as the template rendered them: names
    escaped, the tenant as source, the money, the renewal and the decrease button; once the
    decrease is scheduled, the change instead of the button."""
    with unscoped():
        premium.customer.company_name = 'Contoso & <"Sons">'
        premium.customer.save()
    client = client_for(owner_a)
    detail = reverse("subscriptions:detail", kwargs={"subscription_id": premium.pk})
    decrease = reverse("savings:savings_decrease", kwargs={"subscription_id": premium.pk})
    with time_machine.travel(LATER, tick=False):
        sync_tenant_licences()
        page = client.get(reverse("savings:savings")).content.decode()
        row = (
            f'<tr data-testid="savings-row"><td><a href="/savings/?customer='
            f'{premium.customer_id}">Contoso &amp; &lt;&quot;Sons&quot;&gt;</a></td>\n'
            f'    <td><a href="{detail}" data-testid="savings-offer">'
            f"{premium.offer.name}</a> "
            '<small class="muted">from the tenant</small></td>\n'
            "    <td>20</td><td>6</td><td>4</td>\n"
            '    <td class="num">125.00 USD</td><td class="num">1,335.62 USD</td>\n'
            '    <td class="num">102.00 USD</td>\n'
            "    <td>2027-06-18</td>\n"
            f'    <td><form method="get" action="{decrease}"><span hidden '
            'data-testid="savings-keep">10</span><button type="submit" class="secondary">'
            "Decrease to 10 at renewal</button></form></td></tr>"
        )
        assert row in page
        client.post(decrease)
        page = client.get(reverse("savings:savings")).content.decode()
    assert (
        '<td>2027-06-18</td>\n    <td><small class="muted">10 seats from 2027-06-18</small>'
        "</td></tr>" in page
    )
    assert "Decrease to" not in page
