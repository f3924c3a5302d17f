"""Monthly Azure budgets: the alert rule (tables), the daily check (80 % and forecast alerts
fire once each, 100 % later; a new month starts over), the budgets page, Partner Center's
usage spending budget kept in step through the sandbox gateway, roles and isolation."""

from datetime import date, timedelta
from decimal import Decimal

import pytest
import time_machine
from django.urls import reverse

from billing.insight.budget import MonthSpend, due_alerts
from billing.insight.models import Budget, BudgetAlert
from billing.insight.services import budgets_check
from billing.usage.models import UsageLine
from partner_center.models import SandboxCustomer
from portal.models import AuditEvent, Notification
from portal.roles import Role
from tests.factories import SubscriptionFactory, UsageImportFactory

MAY = date(2026, 5, 1)


@pytest.mark.parametrize(
    ("spent", "through", "fired", "due"),
    [
        ("100", 10, set(), []),  # forecast 310 < 1000
        ("400", 10, set(), ["forecast"]),  # forecast 1240 > 1000
        ("400", 10, {"forecast"}, []),  # once a month
        ("800", 20, {"forecast"}, ["80"]),
        ("800", 28, set(), ["80"]),  # forecast 885.71: under the budget
        ("1000", 25, {"80", "forecast"}, ["100"]),
        ("1200", 31, set(), ["80", "100"]),  # over it: no forecast alert any more
        ("999.99", 31, {"80"}, []),
    ],
)
def test_due_alerts(spent, through, fired, due):
    spend = MonthSpend(month=MAY, spent=Decimal(spent), through=MAY + timedelta(days=through - 1))
    assert due_alerts(amount=Decimal(1000), spend=spend, fired=fired) == due


def test_the_forecast_extends_the_daily_average_to_the_whole_month():
    spend = MonthSpend(month=date(2026, 2, 1), spent=Decimal("100"), through=date(2026, 2, 7))
    assert spend.forecast == Decimal("400.00")


def add_usage(sub, day: date, cost: str):
    UsageLine.objects.create(
        reseller=sub.reseller,
        customer=sub.customer,
        subscription=sub,
        usage_import=UsageImportFactory(reseller=sub.reseller),
        usage_date=day,
        meter_category="Virtual Machines",
        meter_name="D2s v5",
        meter_id="m",
        quantity=1,
        unit_price=Decimal(cost),
        billing_pre_tax_total=Decimal(cost),
        currency=sub.currency,
        charge_type="new",
    )


def in_sandbox(customer):
    """Partner Center's (sandbox) record of the customer."""
    return SandboxCustomer.objects.get_or_create(
        tenant_id=str(customer.tenant_id),
        defaults={
            "company_name": customer.company_name,
            "domain": customer.primary_domain,
            "country": "US",
            "currency": "USD",
            "reseller_mpn_id": "1234567",
        },
    )[0]


@pytest.fixture
def azure(reseller_a, unscoped):
    with unscoped():
        sub = SubscriptionFactory(reseller=reseller_a)
        in_sandbox(sub.customer)
        return sub


@pytest.fixture
def billing_member(reseller_a, member_of):
    return member_of(reseller_a, Role.BILLING)


def test_eighty_percent_and_forecast_alerts_fire_once_each(
    azure, owner_a, billing_member, client_for, unscoped
):
    client = client_for(billing_member)
    response = client.post(
        reverse("billing_insight:budgets"), {"customer": azure.customer_id, "amount": "1000.00"}
    )
    assert response.status_code == 302
    with unscoped():
        for n in range(10):  # 50 a day: forecast 1,550 on the 10th
            add_usage(azure, MAY + timedelta(days=n), "50")
        day = MAY + timedelta(days=10)
        alerts = budgets_check(today=day)
        assert [a.kind for a in alerts] == ["forecast"]
        assert budgets_check(today=day) == []
        for n in range(10, 16):  # 800 by the 16th
            add_usage(azure, MAY + timedelta(days=n), "50")
        for today in (MAY + timedelta(days=16), MAY + timedelta(days=17)):
            budgets_check(today=today)
        assert list(BudgetAlert.objects.order_by("pk").values_list("kind", "spent")) == [
            ("forecast", Decimal("500.00")),
            ("80", Decimal("800.00")),
        ]
        notes = Notification.objects.filter(user=billing_member.user).order_by("pk")
        assert [n.title for n in notes] == [
            f"{azure.customer}: forecast above the budget (Azure, May 2026)",
            f"{azure.customer}: 80 % of the budget reached (Azure, May 2026)",
        ]
        assert "Spent 800.00 of 1,000.00 USD through 2026-05-16" in notes[1].body
        assert Notification.objects.filter(user=owner_a.user).count() == 2
        assert AuditEvent.objects.filter(action="billing.budget.alert").count() == 2
    with time_machine.travel(MAY + timedelta(days=17)):
        page = client.get(reverse("billing_insight:budgets")).content.decode()
        dashboard = client.get(reverse("dashboard")).content.decode()
    assert "80 % of the budget reached" in page and "(80 %, through 2026-05-16)" in page
    assert "Forecast above the budget" in page and "1550.00" in page
    assert "Azure budgets this month" in dashboard and "80 % of the budget reached" in dashboard


def test_a_new_month_alerts_again(azure, billing_member, unscoped):
    with unscoped():
        Budget.objects.create(
            reseller=azure.reseller, customer=azure.customer, amount=Decimal(100), currency="USD"
        )
        add_usage(azure, MAY, "90")
        add_usage(azure, MAY + timedelta(days=31), "95")
        budgets_check(today=MAY + timedelta(days=1))
        budgets_check(today=MAY + timedelta(days=32))
        assert sorted(BudgetAlert.objects.values_list("month", "kind")) == [
            (MAY, "80"),
            (MAY, "forecast"),
            (date(2026, 6, 1), "80"),
            (date(2026, 6, 1), "forecast"),
        ]


def test_a_subscription_budget_counts_only_that_subscription(
    azure, reseller_a, unscoped, billing_member, client_for
):
    with unscoped():
        other = SubscriptionFactory(reseller=reseller_a, customer=azure.customer)
        add_usage(other, MAY, "500")
        add_usage(azure, MAY, "2")  # forecast 62, under 100 (the other would be 15,500)
    client_for(billing_member).post(
        reverse("billing_insight:budgets"),
        {"customer": azure.customer_id, "subscription": azure.pk, "amount": "100"},
    )
    with unscoped():
        budget = Budget.objects.get()
        assert budget.subscription == azure and budget.synced_at is None
        assert budgets_check(today=MAY + timedelta(days=1)) == []


def test_a_customer_budget_is_set_in_partner_center(azure, billing_member, client_for, unscoped):
    client = client_for(billing_member)
    response = client.post(
        reverse("billing_insight:budgets"),
        {"customer": azure.customer_id, "amount": "250.00"},
        follow=True,
    )
    assert "Partner Center has it too." in response.content.decode()
    with unscoped():
        assert SandboxCustomer.objects.get().usage_budget == Decimal("250.00")
        budget = Budget.objects.get()
    client.post(reverse("billing_insight:budget_remove", kwargs={"budget_id": budget.pk}))
    with unscoped():
        assert SandboxCustomer.objects.get().usage_budget is None
        assert not Budget.objects.exists()


def test_a_viewer_may_not_set_budgets_and_another_reseller_gets_404(
    azure, reseller_a, member_of, owner_b, client_for, unscoped
):
    viewer = client_for(member_of(reseller_a, Role.VIEWER))
    assert viewer.get(reverse("billing_insight:budgets")).status_code == 403
    with unscoped():
        budget = Budget.objects.create(
            reseller=azure.reseller, customer=azure.customer, amount=Decimal(100), currency="USD"
        )
    other = client_for(owner_b)
    assert (
        other.post(
            reverse("billing_insight:budget_remove", kwargs={"budget_id": budget.pk})
        ).status_code
        == 404
    )
    response = other.post(
        reverse("billing_insight:budgets"), {"customer": azure.customer_id, "amount": "5"}
    )
    assert "Select a valid choice" in response.content.decode()
    with unscoped():
        assert Budget.objects.count() == 1
