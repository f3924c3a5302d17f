"""State changes of the tenancy core. Each is atomic, checks role and tenant, and is audited."""

from celery import shared_task
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django_scopes import scope, scopes_disabled

from portal import emails
from portal.audit import audit
from portal.images import logo_resized
from portal.models import Invitation, Membership, Notification, Reseller
from portal.notifications import notify
from portal.permissions import require
from portal.roles import Role
from portal.tasking import ResellerTask
from portal.tenancy import member_service, require_same_reseller

PROFILE_FIELDS = (
    "name",
    "partner_id",
    "mpa_accepted_on",
    "tenant_id",
    "logo",
    "brand_colour",
    "accent_colour",
    "support_email",
    "support_phone",
    "support_url",
)


@transaction.atomic
def reseller_register(*, user, name: str, country: str, currency: str) -> Membership:
    """A signed-in user with no reseller registers its company and becomes its owner."""
    reseller = Reseller(name=name, country=country, currency=currency)
    reseller.full_clean()
    reseller.save()
    with scope(reseller=reseller):
        member = Membership.objects.create(user=user, reseller=reseller, role=Role.OWNER)
        audit(
            actor=user,
            reseller=reseller,
            action="portal.reseller.registered",
            obj=reseller,
            data={"country": country, "currency": currency},
        )
    return member


@member_service
def reseller_update_profile(*, member: Membership, **changes) -> Reseller:
    require(member, "reseller.edit_profile")
    reseller = Reseller.objects.select_for_update().get(pk=member.reseller_id)
    before = {f: str(getattr(reseller, f) or "") for f in changes}
    for field, value in changes.items():
        if field not in PROFILE_FIELDS:
            raise ValidationError(f"{field} cannot be changed here.")
        if field == "logo" and value:
            value = logo_resized(value)
        setattr(reseller, field, value)
    reseller.full_clean()
    diff = {
        f: [before[f], str(getattr(reseller, f) or "")]
        for f in changes
        if before[f] != str(getattr(reseller, f) or "")
    }
    if "partner_id" in diff and reseller.partner_id_verified_at:
        # a new ID is anyone's claim until operations check it again
        reseller.partner_id_verified_at = reseller.partner_id_verified_by = None
        diff["partner_id_verified"] = ["yes", "no"]
    reseller.save()
    audit(
        actor=member.user,
        reseller=reseller,
        action="portal.reseller.profile_updated",
        obj=reseller,
        data=diff,
    )
    return reseller


@transaction.atomic
def reseller_verify_partner_id(*, user, reseller_id: int) -> Reseller:
    """Operations confirm the reseller's MPN/Partner ID is its own (Partner Center lists the
    company under it as an indirect reseller of the distributor). Until then it may not request
    programs, and transfer requests aimed at that ID go to operations, not to it."""
    from portal.permissions import require_staff

    require_staff(user)
    reseller = Reseller.objects.select_for_update().get(pk=reseller_id)
    if not reseller.partner_id:
        raise ValidationError(f"{reseller} has not entered an MPN/Partner ID.")
    if reseller.partner_id_verified_at:
        raise ValidationError(
            f"{reseller}'s MPN/Partner ID {reseller.partner_id} was already "
            f"verified on {reseller.partner_id_verified_at:%Y-%m-%d}."
        )
    reseller.partner_id_verified_at, reseller.partner_id_verified_by = timezone.now(), user
    reseller.save(update_fields=["partner_id_verified_at", "partner_id_verified_by"])
    audit(
        actor=user,
        reseller=reseller,
        action="portal.reseller.partner_id_verified",
        obj=reseller,
        data={"partner_id": reseller.partner_id},
    )
    with scopes_disabled():
        owners = [
            m.user
            for m in Membership.objects.filter(
                reseller=reseller, role__in=[Role.OWNER, Role.ADMIN]
            ).select_related("user")
        ]
    notify(
        reseller=reseller,
        users=owners,
        title=f"MPN/Partner ID {reseller.partner_id} verified",
        body="Operations verified your MPN/Partner ID: you may request programs and transfers.",
        url=reverse("profile"),
    )
    return reseller


def _require_may_grant(member: Membership, role: str) -> None:
    require(member, "members.manage")
    if role == Role.OWNER:
        require(member, "members.manage_owners")


@member_service
def invitation_create(*, member: Membership, email: str, role: str) -> Invitation:
    _require_may_grant(member, role)
    email = email.strip().lower()
    if Membership.objects.filter(reseller=member.reseller, user__email__iexact=email).exists():
        raise ValidationError(f"{email} is already a member of {member.reseller}.")
    if Invitation.objects.filter(email=email, state=Invitation.State.PENDING).exists():
        raise ValidationError(f"{email} already has a pending invitation; revoke it first.")
    invitation = Invitation(
        reseller=member.reseller, email=email, role=role, invited_by=member.user
    )
    invitation.full_clean()
    invitation.save()
    audit(
        actor=member.user,
        reseller=member.reseller,
        action="portal.invitation.created",
        obj=invitation,
        data={"email": email, "role": role},
    )
    invitation_email_task.delay_on_commit(invitation.pk, reseller_id=invitation.reseller_id)
    return invitation


@member_service
def invitation_revoke(*, member: Membership, invitation: Invitation) -> Invitation:
    require_same_reseller(member, invitation)
    _require_may_grant(member, invitation.role)
    if invitation.state != Invitation.State.PENDING:
        raise ValidationError(f"This invitation is {invitation.get_state_display().lower()}.")
    invitation.state = Invitation.State.REVOKED
    invitation.decided_at = timezone.now()
    invitation.save(update_fields=["state", "decided_at"])
    audit(
        actor=member.user,
        reseller=member.reseller,
        action="portal.invitation.revoked",
        obj=invitation,
        data={"email": invitation.email},
    )
    return invitation


@transaction.atomic
def invitation_accept(*, user, token) -> Membership:
    """The invited person, signed in with the invited e-mail, joins the reseller."""
    with scopes_disabled():
        invitation = (
            Invitation.objects.select_for_update()
            .select_related("reseller")
            .filter(token=token)
            .first()
        )
    if invitation is None or invitation.state == Invitation.State.REVOKED:
        raise ValidationError("This invitation does not exist or was revoked.")
    if invitation.state == Invitation.State.ACCEPTED:
        raise ValidationError("This invitation has already been used.")
    if invitation.state == Invitation.State.EXPIRED or invitation.is_expired():
        raise ValidationError("This invitation has expired; ask for a new one.")
    if user.email.lower() != invitation.email.lower():
        raise PermissionDenied(
            f"This invitation was sent to another e-mail address; sign in as {invitation.email}."
        )
    reseller = invitation.reseller
    with scope(reseller=reseller):
        if Membership.objects.filter(user=user, reseller=reseller).exists():
            raise ValidationError(f"You are already a member of {reseller}.")
        membership = Membership.objects.create(user=user, reseller=reseller, role=invitation.role)
        invitation.state = Invitation.State.ACCEPTED
        invitation.decided_at = timezone.now()
        invitation.save(update_fields=["state", "decided_at"])
        audit(
            actor=user,
            reseller=reseller,
            action="portal.invitation.accepted",
            obj=invitation,
            data={"role": invitation.role},
        )
        managers = [
            m.user
            for m in Membership.objects.filter(
                reseller=reseller, role__in=[Role.OWNER, Role.ADMIN]
            ).select_related("user")
            if m.user_id != user.pk
        ]
        notify(
            reseller=reseller,
            users=managers,
            title=f"{user.email} joined {reseller}",
            body=f"{user.email} accepted the invitation as {membership.get_role_display()}.",
            url=reverse("members"),
        )
    return membership


def invitations_expire(now=None) -> int:
    """Mark pending invitations past their expiry as expired (beat task), one by one."""
    from portal.upkeep import each_row

    now = now or timezone.now()
    with scopes_disabled():
        due = list(
            Invitation.objects.filter(
                state=Invitation.State.PENDING, expires_at__lte=now
            ).values_list("pk", flat=True)
        )

    def expire(pk):
        with scopes_disabled():
            return Invitation.objects.filter(pk=pk, state=Invitation.State.PENDING).update(
                state=Invitation.State.EXPIRED, decided_at=now
            )

    return sum(each_row("portal.invitation_expiry", Invitation, due, expire)[0])


def _owner_count(reseller) -> int:
    return Membership.objects.filter(reseller=reseller, role=Role.OWNER).count()


@member_service
def membership_change_role(*, member: Membership, target: Membership, role: str) -> Membership:
    require_same_reseller(member, target)
    _require_may_grant(member, role)
    if target.role == Role.OWNER:
        require(member, "members.manage_owners")
        if role != Role.OWNER and _owner_count(member.reseller) == 1:
            raise ValidationError("A reseller needs at least one owner.")
    before = target.role
    target.role = role
    target.full_clean()
    target.save(update_fields=["role"])
    audit(
        actor=member.user,
        reseller=member.reseller,
        action="portal.membership.role_changed",
        obj=target,
        data={"user": target.user.email, "from": before, "to": role},
    )
    return target


@member_service
def membership_remove(*, member: Membership, target: Membership) -> None:
    require_same_reseller(member, target)
    _require_may_grant(member, target.role)
    if target.role == Role.OWNER and _owner_count(member.reseller) == 1:
        raise ValidationError("A reseller needs at least one owner.")
    audit(
        actor=member.user,
        reseller=member.reseller,
        action="portal.membership.removed",
        obj=target,
        data={"user": target.user.email, "role": target.role},
    )
    target.delete()


@member_service
def notifications_mark_read(*, member: Membership, notification_ids=None) -> int:
    """Mark the member's own notifications read (all unread ones when no ids are given)."""
    qs = Notification.objects.filter(
        user=member.user, reseller=member.reseller, read_at__isnull=True
    )
    if notification_ids is not None:
        qs = qs.filter(pk__in=notification_ids)
    return qs.update(read_at=timezone.now())


@shared_task(base=ResellerTask)
def invitation_email_task(invitation_id: int) -> None:
    emails.send_invitation(invitation_id)
