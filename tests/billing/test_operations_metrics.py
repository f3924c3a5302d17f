"""Billing runs and usage imports are timed for /metrics (portal.observability)."""

import datetime as dt

import pytest
from django.urls import reverse
from prometheus_client import REGISTRY

from billing import services
from portal.roles import Role
from tests.billing.usage_helpers import rows_for, to_csv, upload
from tests.factories import SubscriptionFactory


def count(name, **labels):
    return REGISTRY.get_sample_value(f"{name}_count", labels) or 0.0


@pytest.mark.django_db
def test_a_billing_run_is_timed(
    ops, us_reseller, charge_factory, django_capture_on_commit_callbacks
):
    charge_factory(us_reseller, cost="10.00", price="12.00")
    before = count("portal_billing_compute_duration_seconds", outcome="ok")
    with django_capture_on_commit_callbacks(execute=True):
        services.billing_run_start(user=ops, on_date=dt.date(2026, 6, 1), reseller=us_reseller)
    assert count("portal_billing_compute_duration_seconds", outcome="ok") == before + 1


@pytest.mark.django_db
def test_a_usage_import_is_timed(
    reseller_a, member_of, client_for, django_capture_on_commit_callbacks
):
    subs = [SubscriptionFactory(reseller=reseller_a)]
    client = client_for(member_of(reseller_a, Role.BILLING))
    before = count("portal_usage_import_duration_seconds", outcome="ok")
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("billing:usage_imports"),
            {"file": upload(to_csv(rows_for(subs, dt.date(2026, 9, 1), 2)))},
        )
    assert response.status_code == 302
    assert count("portal_usage_import_duration_seconds", outcome="ok") == before + 1
