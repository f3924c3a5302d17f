"""Reads of the tenancy core. Reseller-owned reads are scoped to the member's reseller."""

from django.db.models import F
from django.http import Http404
from django_scopes import scopes_disabled

from portal.models import AuditEvent, Invitation, Membership, Notification, UpkeepFailure


def memberships_for_user(user) -> list[Membership]:
    """All resellers a user belongs to (across tenants: used to pick the active one)."""
    with scopes_disabled():
        return list(Membership.objects.filter(user=user).select_related("reseller"))


def members_of(reseller):
    return Membership.objects.filter(reseller=reseller).select_related("user")


def membership_get(*, member: Membership, membership_id: int) -> Membership:
    try:
        return members_of(member.reseller).get(pk=membership_id)
    except Membership.DoesNotExist:
        raise Http404("No such member.") from None


def pending_invitations(reseller):
    return Invitation.objects.filter(
        reseller=reseller, state=Invitation.State.PENDING
    ).select_related("invited_by")


def invitation_get(*, member: Membership, invitation_id: int) -> Invitation:
    try:
        return Invitation.objects.filter(reseller=member.reseller).get(pk=invitation_id)
    except Invitation.DoesNotExist:
        raise Http404("No such invitation.") from None


def invitation_by_token(token) -> Invitation | None:
    """The invitation a link points to, whatever reseller is active (the token is the secret)."""
    with scopes_disabled():
        return Invitation.objects.select_related("reseller").filter(token=token).first()


def notifications_for(member: Membership):
    # by the ids: `member.user` would read the user again on every page (the navigation's count)
    return Notification.objects.filter(reseller_id=member.reseller_id, user_id=member.user_id)


def unread_notifications(member: Membership):
    return notifications_for(member).filter(read_at__isnull=True)


def unread_notification_count(member: Membership) -> int:
    return unread_notifications(member).count()


def audit_events_for(reseller):
    return AuditEvent.objects.filter(reseller=reseller).select_related("actor")


def profile_missing(reseller) -> list[str]:
    """What the reseller's partner profile still lacks, as labels."""
    return [
        label
        for label, value in (
            ("MPN/Partner ID", reseller.partner_id),
            ("Microsoft Partner Agreement date", reseller.mpa_accepted_on),
            ("Microsoft tenant ID", reseller.tenant_id),
        )
        if not value
    ]


def ops_upkeep_failures(limit: int = 200) -> list:
    """Rows the scheduled jobs could not process: open ones first, newest first (staff only,
    unscoped)."""
    with scopes_disabled():
        return list(
            UpkeepFailure.objects.select_related("reseller").order_by(
                F("resolved_at").desc(nulls_first=True), "-last_at"
            )[:limit]
        )
