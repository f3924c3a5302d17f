import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from portal.models import AuditEvent, Notification
from portal.roles import Role
from programs import services
from programs.models import ProgramRequest
from tests.factories import UserFactory


@pytest.fixture
def pending(owner_a, programs):
    return services.program_request_create(
        member=owner_a,
        program=programs["azure-reseller"],
        accepted_terms_version=programs["azure-reseller"].terms_version,
    )


@pytest.mark.django_db
def test_approve_notifies_managers_in_app_and_by_email_and_audits(
    pending,
    owner_a,
    reseller_a,
    member_of,
    ops,
    unscoped,
    mailoutbox,
    django_capture_on_commit_callbacks,
):
    admin = member_of(reseller_a, Role.ADMIN)
    viewer = member_of(reseller_a, Role.VIEWER)
    with django_capture_on_commit_callbacks(execute=True):
        services.program_request_approve(user=ops, program_request=pending)
    with unscoped():
        pending.refresh_from_db()
        assert pending.state == "approved"
        assert pending.decided_by == ops and pending.decided_at is not None
        notes = Notification.objects.filter(reseller=reseller_a)
        assert {n.user for n in notes} == {owner_a.user, admin.user}
        assert viewer.user not in {n.user for n in notes}
        assert notes[0].title == "Microsoft Azure Reseller Program: approved"
        assert notes[0].url == "/partner/programs/"
        event = AuditEvent.objects.get(action="programs.request.approved")
    assert event.actor == ops and event.reseller == reseller_a
    assert event.data["decided_by"] == "duty@distributor.test"
    assert event.data["decided_at"] == pending.decided_at.isoformat()
    assert sorted(m.to[0] for m in mailoutbox) == sorted([owner_a.user.email, admin.user.email])
    assert "approved" in mailoutbox[0].subject


@pytest.mark.django_db
def test_reject_needs_a_reason_and_tells_the_reseller(
    pending, owner_a, ops, unscoped, mailoutbox, django_capture_on_commit_callbacks
):
    with pytest.raises(ValidationError, match="reason"):
        services.program_request_reject(user=ops, program_request=pending, reason="  ")
    with unscoped():
        assert ProgramRequest.objects.get().state == "pending"
        assert not AuditEvent.objects.filter(action="programs.request.rejected").exists()
    with django_capture_on_commit_callbacks(execute=True):
        services.program_request_reject(
            user=ops, program_request=pending, reason="MPN ID 1000001 is not an indirect reseller."
        )
    with unscoped():
        pending.refresh_from_db()
        note = Notification.objects.get(user=owner_a.user)
        event = AuditEvent.objects.get(action="programs.request.rejected")
    assert pending.state == "rejected" and pending.reason.startswith("MPN ID 1000001")
    assert "Reason: MPN ID 1000001 is not an indirect reseller." in note.body
    assert event.data["reason"] == "MPN ID 1000001 is not an indirect reseller."
    assert mailoutbox[0].to == [owner_a.user.email]
    assert "rejected" in mailoutbox[0].subject


@pytest.mark.django_db
def test_only_staff_decide_and_a_decision_is_final(pending, owner_a, ops, unscoped):
    with pytest.raises(PermissionDenied):
        services.program_request_approve(user=owner_a.user, program_request=pending)
    with pytest.raises(PermissionDenied):
        services.program_request_reject(user=UserFactory(), program_request=pending, reason="x")
    services.program_request_approve(user=ops, program_request=pending)
    with pytest.raises(ValidationError, match="already approved"):
        services.program_request_reject(user=ops, program_request=pending, reason="late")
    with unscoped():
        assert AuditEvent.objects.filter(action__startswith="programs.request.").count() == 2


@pytest.mark.django_db
def test_ops_queue_page_approves_and_rejects(
    pending, owner_a, reseller_b, member_of, programs, ops, client, settings, unscoped
):
    settings.STAFF_MFA_REQUIRED = False
    other = services.program_request_create(
        member=member_of(reseller_b, Role.OWNER),
        program=programs["azure-reseller"],
        accepted_terms_version="2026-01",
    )
    client.force_login(ops)
    page = client.get("/ops/programs/").content.decode()
    assert "Alpha Cloud" in page and "Beta Systems" in page
    home = client.get("/ops/")
    assert _queue_count(home, "Program requests") == 2
    assert "Program requests" in home.content.decode()

    response = client.post(
        f"/ops/programs/{pending.pk}/decide/", {"decision": "approve"}, follow=True
    )
    assert "Approved Microsoft Azure Reseller Program for Alpha Cloud." in (
        response.content.decode()
    )
    response = client.post(
        f"/ops/programs/{other.pk}/decide/", {"decision": "reject", "reason": ""}, follow=True
    )
    assert "Give the reseller a reason" in response.content.decode()
    client.post(
        f"/ops/programs/{other.pk}/decide/", {"decision": "reject", "reason": "Unknown MPN ID"}
    )
    with unscoped():
        assert dict(ProgramRequest.objects.values_list("reseller__name", "state")) == {
            "Alpha Cloud": "approved",
            "Beta Systems": "rejected",
        }
    assert _queue_count(client.get("/ops/"), "Program requests") == 0


@pytest.mark.django_db
def test_ops_pages_are_for_staff_only(pending, owner_a, client_for):
    client = client_for(owner_a)
    assert client.get("/ops/programs/").status_code == 403
    assert (
        client.post(f"/ops/programs/{pending.pk}/decide/", {"decision": "approve"}).status_code
        == 403
    )
    pending.refresh_from_db()
    assert pending.state == "pending"


@pytest.mark.django_db
def test_admin_actions_approve_and_reject_with_reason(
    pending, owner_a, reseller_b, member_of, programs, client, settings, unscoped
):
    settings.STAFF_MFA_REQUIRED = False
    other = services.program_request_create(
        member=member_of(reseller_b, Role.OWNER),
        program=programs["azure-reseller"],
        accepted_terms_version="2026-01",
    )
    admin_user = UserFactory(is_staff=True, is_superuser=True)
    client.force_login(admin_user)
    url = "/admin/programs/programrequest/"
    assert client.get(url).status_code == 200
    client.post(url, {"action": "approve_selected", "_selected_action": [pending.pk]})
    confirm = client.post(url, {"action": "reject_selected", "_selected_action": [other.pk]})
    assert "Reject program requests" in confirm.content.decode()
    client.post(
        url,
        {
            "action": "reject_selected",
            "_selected_action": [other.pk],
            "confirm": "1",
            "reason": "Not an indirect reseller",
        },
    )
    with unscoped():
        pending.refresh_from_db()
        other.refresh_from_db()
        assert pending.state == "approved" and pending.decided_by == admin_user
        assert other.state == "rejected" and other.reason == "Not an indirect reseller"
        assert AuditEvent.objects.filter(
            action="programs.request.rejected", actor=admin_user
        ).exists()


def _queue_count(home, label):
    """The count the operations home shows beside a queue."""
    return next(q.count for q in home.context["queues"] if q.label == label)
