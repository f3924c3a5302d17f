from datetime import date

import pytest
from django.core.exceptions import ValidationError

from billing.models import BillingCalendar
from billing.periods import Period
from billing.selectors import calendar_overrides, reseller_period
from portal.models import AuditEvent
from tests.factories import ResellerFactory, UserFactory


@pytest.mark.django_db
def test_reseller_period_uses_the_admin_calendar_for_other_countries(django_assert_num_queries):
    BillingCalendar.objects.create(country="GB", period_start_day=15, note="UK cut-off")
    assert calendar_overrides() == {"GB": 15}
    gb = ResellerFactory(country="GB", currency="GBP")
    de = ResellerFactory(country="DE", currency="EUR")
    ca = ResellerFactory(country="CA", currency="CAD")
    assert reseller_period(gb, date(2026, 3, 14)) == Period(date(2026, 2, 15), date(2026, 3, 14))
    assert reseller_period(de, date(2026, 3, 14)) == Period(date(2026, 3, 1), date(2026, 3, 31))
    assert reseller_period(ca, date(2026, 1, 19)) == Period(date(2025, 12, 20), date(2026, 1, 19))
    overrides = calendar_overrides()
    with django_assert_num_queries(0):
        assert reseller_period(gb, date(2026, 3, 15), overrides=overrides).label == (
            "2026-03-15 – 2026-04-14"
        )


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("country", "day", "field", "text"),
    [
        ("US", 5, "country", "United States billing periods are fixed (start day 1)"),
        ("CA", 1, "country", "Canada billing periods are fixed (start day 20)"),
        ("GB", 29, "period_start_day", "less than or equal to 28"),
        ("GB", 0, "period_start_day", "greater than or equal to 1"),
    ],
)
def test_calendar_refuses_fixed_countries_and_bad_days(country, day, field, text):
    with pytest.raises(ValidationError) as e:
        BillingCalendar(country=country, period_start_day=day).full_clean()
    assert text in " ".join(e.value.message_dict[field])
    assert not BillingCalendar.objects.exists()


@pytest.mark.django_db
def test_operations_edit_the_calendar_in_admin_and_it_is_audited(client, settings, unscoped):
    settings.STAFF_MFA_REQUIRED = False
    staff = UserFactory(is_staff=True, is_superuser=True)
    client.force_login(staff)
    response = client.post(
        "/admin/billing/billingcalendar/add/",
        {"country": "AU", "period_start_day": "10", "note": "AU cut-off"},
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    assert calendar_overrides() == {"AU": 10}
    refused = client.post(
        "/admin/billing/billingcalendar/add/",
        {"country": "CA", "period_start_day": "1", "note": ""},
    )
    assert "Canada billing periods are fixed" in refused.content.decode()
    listing = client.get("/admin/billing/billingcalendar/").content.decode()
    assert "Australia" in listing and "AU cut-off" in listing
    with unscoped():
        event = AuditEvent.objects.get(action="admin.billingcalendar.created")
    assert event.actor == staff and event.reseller is None
