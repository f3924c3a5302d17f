import datetime

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from portal import services
from portal.models import AuditEvent, Reseller
from portal.roles import Role
from tests.factories import ResellerFactory


@pytest.mark.django_db
def test_profile_rejects_bad_partner_id_and_future_mpa_date(owner_a, client_for):
    client = client_for(owner_a)
    tomorrow = (timezone.now().date() + datetime.timedelta(days=1)).isoformat()
    response = client.post(
        "/partner/profile/",
        {
            "name": "Alpha Cloud",
            "partner_id": "12ab",
            "mpa_accepted_on": tomorrow,
            "brand_colour": "#0b5cad",
            "accent_colour": "#0f766e",
        },
    )
    page = response.content.decode()
    assert "The MPN/Partner ID is a number of 6 to 10 digits." in page
    assert "The agreement date cannot be in the future." in page
    assert Reseller.objects.get(pk=owner_a.reseller_id).partner_id != "12ab"


@pytest.mark.django_db
def test_partner_id_is_unique_across_resellers(owner_a):
    ResellerFactory(partner_id="5550001")
    with pytest.raises(ValidationError, match="already exists"):
        services.reseller_update_profile(member=owner_a, partner_id="5550001")


@pytest.mark.django_db
def test_profile_saved_and_audited_with_the_change(owner_a, client_for, unscoped):
    client = client_for(owner_a)
    response = client.post(
        "/partner/profile/",
        {
            "name": "Alpha Cloud",
            "partner_id": "7001234",
            "mpa_accepted_on": "2025-02-03",
            "brand_colour": "#112233",
            "accent_colour": "#0f766e",
            "support_email": "help@alpha.test",
        },
        follow=True,
    )
    assert "Partner profile saved." in response.content.decode()
    reseller = Reseller.objects.get(pk=owner_a.reseller_id)
    assert reseller.partner_id == "7001234"
    assert reseller.mpa_accepted_on == datetime.date(2025, 2, 3)
    with unscoped():
        event = AuditEvent.objects.get(action="portal.reseller.profile_updated")
    assert event.actor == owner_a.user
    assert event.data["partner_id"][1] == "7001234"
    # the brand colour reaches the layout through a nonce'd style block
    assert ":root { --brand: #112233;" in client.get("/dashboard/").content.decode()


@pytest.mark.django_db
def test_viewer_sees_profile_read_only_and_cannot_post(reseller_a, member_of, client_for):
    viewer = member_of(reseller_a, Role.VIEWER)
    client = client_for(viewer)
    page = client.get("/partner/profile/").content.decode()
    assert "Only owners and admins can change the profile." in page
    assert "Save profile" not in page
    response = client.post(
        "/partner/profile/",
        {"name": "Hacked", "brand_colour": "#000000", "accent_colour": "#000000"},
    )
    assert response.status_code == 403
    assert Reseller.objects.get(pk=reseller_a.pk).name == "Alpha Cloud"


@pytest.mark.django_db
def test_audit_events_are_append_only(owner_a, unscoped):
    services.reseller_update_profile(member=owner_a, support_phone="+1 555 0100")
    with unscoped():
        event = AuditEvent.objects.get()
        event.action = "tampered"
        with pytest.raises(ValidationError, match="append-only"):
            event.save()
        with pytest.raises(ValidationError, match="append-only"):
            event.delete()
        assert AuditEvent.objects.get().action == "portal.reseller.profile_updated"


@pytest.mark.django_db
def test_activity_log_for_managers_only(owner_a, reseller_a, member_of, client_for):
    services.reseller_update_profile(member=owner_a, support_phone="+1 555 0100")
    page = client_for(owner_a).get("/partner/activity/").content.decode()
    assert "portal.reseller.profile_updated" in page
    viewer = member_of(reseller_a, Role.VIEWER)
    assert client_for(viewer).get("/partner/activity/").status_code == 403


@pytest.mark.django_db
def test_admin_edits_are_audited(client, settings, reseller_a, unscoped):
    from tests.factories import UserFactory

    settings.STAFF_MFA_REQUIRED = False
    staff = UserFactory(is_staff=True, is_superuser=True)
    client.force_login(staff)
    response = client.post(
        f"/admin/portal/reseller/{reseller_a.pk}/change/",
        {
            "name": "Alpha Cloud Renamed",
            "country": "US",
            "currency": "USD",
            "partner_id": reseller_a.partner_id,
            "brand_colour": "#0b5cad",
            "accent_colour": "#0f766e",
            "memberships-TOTAL_FORMS": "0",
            "memberships-INITIAL_FORMS": "0",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    with unscoped():
        event = AuditEvent.objects.get(action="admin.reseller.changed")
    assert event.actor == staff and event.reseller == reseller_a
    assert "name" in event.data["fields"]
