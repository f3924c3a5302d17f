import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from portal import services
from portal.models import AuditEvent, Membership
from portal.roles import Role


@pytest.mark.django_db
def test_last_owner_cannot_be_demoted_or_removed(owner_a, reseller_a, member_of, unscoped):
    other_admin = member_of(reseller_a, Role.ADMIN)
    with pytest.raises(ValidationError, match="at least one owner"):
        services.membership_change_role(member=owner_a, target=owner_a, role=Role.ADMIN)
    with pytest.raises(ValidationError, match="at least one owner"):
        services.membership_remove(member=owner_a, target=owner_a)
    with pytest.raises(PermissionDenied):
        services.membership_remove(member=other_admin, target=owner_a)
    with unscoped():
        owner_a.refresh_from_db()
        assert owner_a.role == Role.OWNER
        assert AuditEvent.objects.count() == 0


@pytest.mark.django_db
def test_owner_changes_a_role_and_removes_a_member_with_audit(
    owner_a, reseller_a, member_of, unscoped
):
    viewer = member_of(reseller_a, Role.VIEWER)
    services.membership_change_role(member=owner_a, target=viewer, role=Role.BILLING)
    services.membership_remove(member=owner_a, target=viewer)
    with unscoped():
        assert not Membership.objects.filter(pk=viewer.pk).exists()
        events = list(AuditEvent.objects.order_by("at", "id").values_list("action", "data"))
    assert events[0] == (
        "portal.membership.role_changed",
        {"user": viewer.user.email, "from": "viewer", "to": "billing"},
    )
    assert events[1][0] == "portal.membership.removed"


@pytest.mark.django_db
def test_members_page_controls_follow_the_role(reseller_a, member_of, client_for):
    viewer = member_of(reseller_a, Role.VIEWER)
    page = client_for(viewer).get("/partner/members/").content.decode()
    assert "Invite a colleague" not in page and "Remove" not in page
    response = client_for(viewer).post(f"/partner/members/{viewer.pk}/remove/")
    assert response.status_code == 403
    assert "Your role may not do this" in response.content.decode()


@pytest.mark.django_db
def test_members_page_query_count_is_constant(
    owner_a, reseller_a, member_of, client_for, django_assert_max_num_queries
):
    client = client_for(owner_a)
    client.get("/partner/members/")  # warm up session and caches
    for _ in range(3):
        member_of(reseller_a, Role.VIEWER)
    with django_assert_max_num_queries(12) as few:
        client.get("/partner/members/")
    for _ in range(30):
        member_of(reseller_a, Role.SALES)
    with django_assert_max_num_queries(len(few.captured_queries)):
        response = client.get("/partner/members/")
    assert response.content.decode().count("<tr>") >= 34


@pytest.mark.django_db
def test_services_refuse_another_resellers_member(owner_a, owner_b, unscoped):
    from django.http import Http404

    with pytest.raises(Http404):
        services.membership_remove(member=owner_a, target=owner_b)
    with pytest.raises(Http404):
        services.membership_change_role(member=owner_a, target=owner_b, role=Role.VIEWER)
    with unscoped():
        assert Membership.objects.filter(pk=owner_b.pk, role=Role.OWNER).exists()
