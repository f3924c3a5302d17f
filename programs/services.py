"""Program access requests. Reseller-side services take `member`; operations ones `user`."""

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone
from django_scopes import scopes_disabled

from portal.audit import audit
from portal.exceptions import ServiceError
from portal.models import Membership, Reseller
from portal.notifications import notify
from portal.permissions import require, require_staff
from portal.roles import Role
from portal.tenancy import member_service
from programs import rules
from programs.models import Program, ProgramRequest
from webhooks.events import emit


class ProfileIncomplete(ServiceError):
    """The partner profile lacks what Microsoft requires before any program request."""

    def __init__(self, missing: list[str]):
        self.missing = missing
        super().__init__(
            "Complete your partner profile before requesting programs: "
            f"{', '.join(missing)} missing.",
            code="programs.profile_incomplete",
        )


def _open_states(reseller_id) -> dict[int, str]:
    return dict(
        ProgramRequest.objects.filter(
            reseller_id=reseller_id,
            state__in=[ProgramRequest.State.PENDING, ProgramRequest.State.APPROVED],
        ).values_list("program_id", "state")
    )


@member_service
def program_request_create(
    *, member, program: Program, accepted_terms_version: str
) -> ProgramRequest:
    """Ask operations for access to `program` (owners and admins), accepting its terms (the
    program terms and the 24x365 customer-support obligation) in the version shown."""
    require(member, "programs.request")
    # Locking the reseller row serialises concurrent clicks of the same reseller.
    reseller = Reseller.objects.select_for_update().get(pk=member.reseller_id)
    missing = rules.missing_prerequisites(
        partner_id=reseller.partner_id,
        mpa_accepted_on=reseller.mpa_accepted_on,
        partner_id_verified=reseller.partner_id_verified,
        today=timezone.now().date(),
    )
    if missing:
        raise ProfileIncomplete(missing)
    program = Program.objects.select_related("requires").get(pk=program.pk)
    states = _open_states(reseller.pk)
    refusal = rules.request_refusal(
        status=program.status,
        status_label=program.get_status_display(),
        reason=program.reason,
        name=program.name,
        current_state=states.get(program.pk),
        prerequisite=program.requires.name if program.requires else None,
        prerequisite_state=states.get(program.requires_id) if program.requires_id else None,
    )
    if refusal:
        raise ValidationError(refusal)
    if not accepted_terms_version or accepted_terms_version != program.terms_version:
        raise ValidationError(
            f"Read and accept the terms of {program.name} (version "
            f"{program.terms_version}) to request it."
        )
    now = timezone.now()
    try:
        with transaction.atomic():
            request = ProgramRequest.objects.create(
                reseller=reseller,
                program=program,
                requested_by=member.user,
                requested_at=now,
                terms_version=program.terms_version,
                terms_accepted_by=member.user,
                terms_accepted_at=now,
            )
    except IntegrityError as exc:  # a concurrent request won the race
        raise ValidationError(
            f"Your request for {program.name} is already pending with operations."
        ) from exc
    audit(
        actor=member.user,
        reseller=reseller,
        obj=request,
        action="programs.request.created",
        data={
            "program": program.code,
            "terms_version": program.terms_version,
            "terms_accepted_at": now.isoformat(),
        },
    )
    return request


def _notify_reseller(request: ProgramRequest, title: str, body: str) -> None:
    """Owners, admins and whoever asked hear about the decision (in the app and by e-mail)."""
    members = Membership.objects.filter(reseller=request.reseller).select_related("user")
    users = [
        m.user
        for m in members
        if m.role in (Role.OWNER, Role.ADMIN) or m.user_id == request.requested_by_id
    ]
    notify(
        reseller=request.reseller, users=users, title=title, body=body, url=reverse("programs:list")
    )


def _decide(*, user, program_request: ProgramRequest, state: str, reason: str = ""):
    require_staff(user)
    with scopes_disabled():
        request = (
            ProgramRequest.objects.select_for_update()
            .select_related("reseller", "program")
            .get(pk=program_request.pk)
        )
        if request.state != ProgramRequest.State.PENDING:
            raise ValidationError(
                f"This request was already {request.get_state_display().lower()}"
                f" on {request.decided_at:%Y-%m-%d %H:%M} UTC."
            )
        request.state = state
        request.decided_by = user
        request.decided_at = timezone.now()
        request.reason = reason
        request.save(update_fields=["state", "decided_by", "decided_at", "reason"])
        verb = "approved" if state == ProgramRequest.State.APPROVED else "rejected"
        audit(
            actor=user,
            reseller=request.reseller,
            obj=request,
            action=f"programs.request.{verb}",
            data={
                "program": request.program.code,
                "decided_by": user.email,
                "decided_at": request.decided_at.isoformat(),
                "reason": reason,
            },
        )
        emit("program_request.decided", request, key=state)
        if verb == "approved":
            _notify_reseller(
                request,
                f"{request.program.name}: approved",
                f"Operations approved your access to {request.program.name}.",
            )
        else:
            _notify_reseller(
                request,
                f"{request.program.name}: rejected",
                f"Operations rejected your request for {request.program.name}.\n\nReason: {reason}",
            )
    return request


@transaction.atomic
def program_request_approve(*, user, program_request: ProgramRequest) -> ProgramRequest:
    return _decide(user=user, program_request=program_request, state=ProgramRequest.State.APPROVED)


@transaction.atomic
def program_request_reject(*, user, program_request: ProgramRequest, reason: str) -> ProgramRequest:
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError("Give the reseller a reason for the rejection.")
    return _decide(
        user=user,
        program_request=program_request,
        state=ProgramRequest.State.REJECTED,
        reason=reason,
    )


@transaction.atomic
def program_request_revoke(*, user, program_request: ProgramRequest, reason: str) -> ProgramRequest:
    """Operations withdraw an approval: the reseller's new transactions needing the program
    stop (programs.gates); its existing subscriptions are left alone."""
    require_staff(user)
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError("Give the reseller a reason for revoking the program.")
    with scopes_disabled():
        request = (
            ProgramRequest.objects.select_for_update()
            .select_related("reseller", "program")
            .get(pk=program_request.pk)
        )
        if request.state != ProgramRequest.State.APPROVED:
            raise ValidationError(
                f"Only an approved program can be revoked; this request is "
                f"{request.get_state_display().lower()}."
            )
        request.state = ProgramRequest.State.REVOKED
        request.revoked_by, request.revoked_at, request.reason = user, timezone.now(), reason
        request.save(update_fields=["state", "revoked_by", "revoked_at", "reason"])
        audit(
            actor=user,
            reseller=request.reseller,
            obj=request,
            action="programs.request.revoked",
            data={
                "program": request.program.code,
                "revoked_by": user.email,
                "revoked_at": request.revoked_at.isoformat(),
                "reason": reason,
            },
        )
        emit("program_request.decided", request, key=ProgramRequest.State.REVOKED)
        _notify_reseller(
            request,
            f"{request.program.name}: revoked",
            f"Operations revoked your access to {request.program.name}: new "
            "orders that need it are refused until it is approved again; your "
            f"existing subscriptions are not affected.\n\nReason: {reason}",
        )
    return request
