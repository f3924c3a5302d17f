"""Anomaly alerts as resellers meet them: raised by the daily job from imported usage, once
per customer-day, to the members who see money (in-app and e-mail), on the dashboard and the
anomalies page; thresholds tuned per reseller."""

from datetime import date, timedelta
from decimal import Decimal

import pytest
import time_machine
from django.core import mail
from django.urls import reverse

from billing.insight.models import AnomalyAlert
from billing.insight.services import anomalies_detect
from billing.tasks import detect_cost_anomalies
from billing.usage.models import UsageLine
from partner_center import usage
from portal.models import AuditEvent, Notification
from portal.roles import Role
from tests.factories import SubscriptionFactory, UsageImportFactory

START = date(2026, 3, 2)
SPIKE = START + timedelta(days=50)


def import_usage(sub, *, days=60, spikes=()):
    """The sandbox's lines of `sub` for `days` days from START, as the import stores them."""
    span = usage.Span(
        tenant_id=str(sub.customer.tenant_id),
        customer_name=sub.customer.company_name,
        subscription_id=sub.partner_center_id,
        currency=sub.currency,
        first_day=START,
        days=days,
        spikes=tuple(spikes),
    )
    lines, _ = usage.generate([span], seed=7, offset=0, limit=10**9)
    imp = UsageImportFactory(reseller=sub.reseller)
    UsageLine.objects.bulk_create(
        [
            UsageLine(
                reseller=sub.reseller,
                customer=sub.customer,
                subscription=sub,
                usage_import=imp,
                usage_date=line.usage_date,
                meter_category=line.meter_category,
                meter_name=line.meter_name,
                meter_id=line.meter_id,
                quantity=line.quantity,
                unit_price=line.unit_price,
                billing_pre_tax_total=line.billing_pre_tax_total * 4,
                currency=line.billing_currency,
                charge_type="new",
            )
            for line in lines
        ]
    )


@pytest.fixture
def watched(reseller_a, member_of, unscoped):
    """An owner, a billing member and a sales member of reseller A; its customer's Azure plan
    with 60 days of usage and a day at 5x on day 50."""
    people = {role: member_of(reseller_a, role) for role in (Role.OWNER, Role.BILLING, Role.SALES)}
    with unscoped():
        sub = SubscriptionFactory(reseller=reseller_a)
        import_usage(sub, spikes=[usage.Spike(day=SPIKE, factor=Decimal(5))])
    return sub, people


def run_daily_job_through(last_day):
    day = START
    while day <= last_day:
        anomalies_detect(today=day)
        day += timedelta(days=1)


def test_the_daily_job_raises_one_alert_for_the_spike_day_naming_the_top_meter(
    watched, unscoped, django_capture_on_commit_callbacks
):
    sub, people = watched
    with django_capture_on_commit_callbacks(execute=True):
        run_daily_job_through(START + timedelta(days=62))  # each day checked three times
    with unscoped():
        alerts = list(AnomalyAlert.objects.all())
        assert [(a.customer_id, a.day) for a in alerts] == [(sub.customer_id, SPIKE)]
        assert alerts[0].top_meter == "SQL Database / vCore"
        notes = Notification.objects.filter(title__startswith="Azure cost anomaly")
        assert {n.user for n in notes} == {people[Role.OWNER].user, people[Role.BILLING].user}
        assert AuditEvent.objects.filter(action="billing.anomaly.raise").count() == 1
    assert sorted(m.to[0] for m in mail.outbox if "anomaly" in m.subject) == sorted(
        [people[Role.OWNER].user.email, people[Role.BILLING].user.email]
    )
    assert f"on {SPIKE}" in notes[0].title


def test_the_beat_task_checks_the_days_before_today(watched, unscoped):
    with time_machine.travel(SPIKE + timedelta(days=2)):
        assert detect_cost_anomalies() == 1
        assert detect_cost_anomalies() == 0


def test_the_alert_shows_on_the_dashboard_and_the_anomalies_page(watched, client_for):
    sub, people = watched
    with time_machine.travel(SPIKE + timedelta(days=1)):
        anomalies_detect(today=SPIKE + timedelta(days=1))
        client = client_for(people[Role.BILLING])
        dashboard = client.get(reverse("dashboard")).content.decode()
        assert "Azure cost anomalies" in dashboard and sub.customer.company_name in dashboard
        page = client.get(reverse("billing_insight:anomalies")).content.decode()
        assert "SQL Database / vCore" in page and SPIKE.isoformat() in page
        client = client_for(people[Role.SALES])
        assert "Azure cost anomalies" not in client.get(reverse("dashboard")).content.decode()
        assert client.get(reverse("billing_insight:anomalies")).status_code == 403


def test_a_reseller_raising_its_minimum_rise_silences_the_spike(watched, client_for, unscoped):
    sub, people = watched
    client = client_for(people[Role.OWNER])
    response = client.post(
        reverse("billing_insight:anomalies"),
        {"anomaly_score": "6", "anomaly_min_amount": "100000", "anomaly_min_ratio": "1.5"},
    )
    assert response.status_code == 302
    anomalies_detect(today=SPIKE + timedelta(days=1))
    with unscoped():
        assert not AnomalyAlert.objects.exists()
        assert AuditEvent.objects.filter(action="billing.insight_settings.update").exists()


def test_a_billing_member_may_not_change_thresholds(watched, client_for):
    _, people = watched
    response = client_for(people[Role.BILLING]).post(
        reverse("billing_insight:anomalies"),
        {"anomaly_score": "2", "anomaly_min_amount": "0", "anomaly_min_ratio": "1"},
    )
    assert response.status_code == 403


def test_another_resellers_alerts_are_not_shown(watched, owner_b, client_for):
    anomalies_detect(today=SPIKE + timedelta(days=1))
    page = client_for(owner_b).get(reverse("billing_insight:anomalies")).content.decode()
    assert "No anomalies." in page
