import datetime

import pytest
import time_machine
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from portal import services
from portal.models import AuditEvent, Invitation, Membership
from portal.roles import Role
from tests.factories import InvitationFactory, UserFactory


@pytest.mark.django_db
def test_owner_invites_a_colleague_who_accepts(
    owner_a, unscoped, mailoutbox, django_capture_on_commit_callbacks, client
):
    with django_capture_on_commit_callbacks(execute=True):
        invitation = services.invitation_create(
            member=owner_a, email="New.Person@Example.test", role=Role.SALES
        )
    assert invitation.email == "new.person@example.test"
    assert len(mailoutbox) == 1
    mail = mailoutbox[0]
    assert mail.to == ["new.person@example.test"]
    assert f"/invitations/{invitation.token}/" in mail.body
    assert "Alpha Cloud" in mail.subject and "Sales" in mail.body

    newcomer = UserFactory(email="new.person@example.test")
    client.force_login(newcomer)
    page = client.get(f"/invitations/{invitation.token}/").content.decode()
    assert "Join <strong>Alpha Cloud</strong> as <strong>Sales</strong>" in page
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(f"/invitations/{invitation.token}/", follow=True)
    assert "Welcome to Alpha Cloud" in response.content.decode()
    with unscoped():
        membership = Membership.objects.get(user=newcomer)
        assert membership.role == Role.SALES and membership.reseller == owner_a.reseller
        invitation.refresh_from_db()
        assert invitation.state == Invitation.State.ACCEPTED
        actions = list(AuditEvent.objects.values_list("action", flat=True))
    assert "portal.invitation.created" in actions and "portal.invitation.accepted" in actions
    # the owner is told, in the app and by e-mail
    assert mailoutbox[-1].to == [owner_a.user.email]
    assert "joined Alpha Cloud" in mailoutbox[-1].subject


@pytest.mark.django_db
def test_invitation_cannot_be_accepted_by_another_address_or_twice(owner_a, unscoped, client):
    invitation = InvitationFactory(reseller=owner_a.reseller, email="right@example.test")
    intruder = UserFactory(email="wrong@example.test")
    with pytest.raises(PermissionDenied, match="sign in as right@example.test"):
        services.invitation_accept(user=intruder, token=invitation.token)
    client.force_login(intruder)
    page = client.get(f"/invitations/{invitation.token}/").content.decode()
    assert "sent to another e-mail address" in page
    assert "Accept invitation" not in page

    right = UserFactory(email="right@example.test")
    services.invitation_accept(user=right, token=invitation.token)
    with pytest.raises(ValidationError, match="already been used"):
        services.invitation_accept(user=right, token=invitation.token)
    with unscoped():
        assert not Membership.objects.filter(user=intruder).exists()


@pytest.mark.django_db
def test_expired_and_revoked_invitations_are_refused(owner_a, unscoped):
    invitee = UserFactory(email="late@example.test")
    invitation = InvitationFactory(reseller=owner_a.reseller, email="late@example.test")
    with time_machine.travel(timezone.now() + datetime.timedelta(days=8)):
        with pytest.raises(ValidationError, match="expired"):
            services.invitation_accept(user=invitee, token=invitation.token)
        assert services.invitations_expire() == 1
    services.invitation_revoke(
        member=owner_a,
        invitation=InvitationFactory(reseller=owner_a.reseller, email="other@example.test"),
    )
    with unscoped():
        revoked = Invitation.objects.get(email="other@example.test")
    with pytest.raises(ValidationError, match="revoked"):
        services.invitation_accept(
            user=UserFactory(email="other@example.test"), token=revoked.token
        )


@pytest.mark.django_db
@pytest.mark.parametrize("role", [Role.SALES, Role.BILLING, Role.VIEWER])
def test_non_managers_cannot_invite_and_nothing_is_written(
    reseller_a, member_of, role, unscoped, mailoutbox
):
    member = member_of(reseller_a, role)
    with pytest.raises(PermissionDenied, match="allowed: Owner, Admin"):
        services.invitation_create(member=member, email="x@example.test", role=Role.VIEWER)
    with unscoped():
        assert Invitation.objects.count() == 0
        assert AuditEvent.objects.count() == 0
    assert mailoutbox == []


@pytest.mark.django_db
def test_admin_cannot_invite_an_owner(reseller_a, member_of):
    admin = member_of(reseller_a, Role.ADMIN)
    with pytest.raises(PermissionDenied):
        services.invitation_create(member=admin, email="boss@example.test", role=Role.OWNER)


@pytest.mark.django_db
def test_inviting_an_existing_member_or_twice_is_refused(owner_a, reseller_a, member_of):
    colleague = member_of(reseller_a, Role.VIEWER)
    with pytest.raises(ValidationError, match="already a member"):
        services.invitation_create(member=owner_a, email=colleague.user.email, role=Role.SALES)
    services.invitation_create(member=owner_a, email="twice@example.test", role=Role.SALES)
    with pytest.raises(ValidationError, match="pending invitation"):
        services.invitation_create(member=owner_a, email="TWICE@example.test", role=Role.SALES)


@pytest.mark.django_db
def test_invite_form_in_the_browser(owner_a, client_for, unscoped):
    client = client_for(owner_a)
    response = client.post(
        "/partner/members/invite/", {"email": "not-an-email", "role": "sales"}, follow=True
    )
    assert "Enter a valid email address." in response.content.decode()
    response = client.post(
        "/partner/members/invite/", {"email": "ok@example.test", "role": "billing"}, follow=True
    )
    page = response.content.decode()
    assert "Invitation sent to ok@example.test." in page
    assert "ok@example.test" in page.split("Pending invitations")[1]
