"""Support plans and tickets. Reseller-side services take `member`; operations ones `user`."""

import datetime as dt

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django_scopes import scopes_disabled

from portal.audit import audit
from portal.models import Membership
from portal.notifications import notify, notify_operations
from portal.permissions import require, require_staff
from portal.tenancy import member_service, require_same_reseller
from portal.upkeep import each_row
from support import sla
from support.attachments import validate_attachments
from support.models import PlanAssignment, SupportPlan, Ticket, TicketAttachment, TicketMessage
from webhooks.events import emit

PLAN_FIELDS = (
    "name",
    "description",
    "chat_url",
    "email",
    "phone",
    "hours",
    "response_urgent",
    "response_high",
    "response_normal",
    "response_low",
)


@member_service
def support_plan_save(*, member, plan: SupportPlan | None = None, **fields) -> SupportPlan:
    """Create a plan (plan=None) or change one."""
    require(member, "support.manage_plans")
    if plan is None:
        plan = SupportPlan(reseller=member.reseller)
    require_same_reseller(member, plan)
    created = plan.pk is None
    for field, value in fields.items():
        if field not in PLAN_FIELDS:
            raise ValidationError(f"{field} is not a field of a support plan.")
        setattr(plan, field, value)
    if not (plan.chat_url or plan.email or plan.phone):
        raise ValidationError(
            "Give customers at least one way to reach you: chat link, e-mail or phone."
        )
    plan.full_clean()
    plan.save()
    audit(
        actor=member.user,
        reseller=member.reseller,
        obj=plan,
        action=f"support.plan.{'created' if created else 'changed'}",
        data=fields,
    )
    return plan


@member_service
def support_plan_assign(*, member, customer, plan: SupportPlan | None) -> PlanAssignment:
    """Give a customer tenant a plan (or none); the previous assignment is kept as history."""
    require(member, "support.manage_plans")
    require_same_reseller(member, customer, *([plan] if plan else []))
    now = timezone.now()
    current = (
        PlanAssignment.objects.select_for_update()
        .filter(customer=customer, ended_at__isnull=True)
        .first()
    )
    if current and current.plan_id == (plan.pk if plan else None):
        return current
    if current:
        current.ended_at = now
        current.save(update_fields=["ended_at"])
    assignment = PlanAssignment.objects.create(
        reseller=member.reseller,
        customer=customer,
        plan=plan,
        assigned_by=member.user,
        started_at=now,
    )
    audit(
        actor=member.user,
        reseller=member.reseller,
        obj=customer,
        action="support.plan.assigned",
        data={
            "plan": plan.name if plan else None,
            "previous": current.plan.name if current and current.plan else None,
        },
    )
    return assignment


def _targets():
    return sla.parse_targets(settings.SUPPORT_SLA_TARGETS)


def _mail_operations(subject: str, body: str) -> None:
    notify_operations(subject=subject, body=body)


def _add_message(*, ticket, author, body, files, from_operations=False, internal=False):
    validate_attachments(files)
    if not body.strip():
        raise ValidationError("Write a message.")
    message = TicketMessage.objects.create(
        reseller=ticket.reseller,
        ticket=ticket,
        author=author,
        body=body.strip(),
        from_operations=from_operations,
        internal=internal,
    )
    for f in files:
        TicketAttachment.objects.create(
            reseller=ticket.reseller,
            message=message,
            file=f,
            original_name=f.name[-200:],
            size=f.size,
        )
    return message


def _ops_url(ticket):
    return settings.SITE_URL + reverse("support_ops:ticket", kwargs={"ticket_id": ticket.pk})


@member_service
def ticket_open(
    *, member, subject: str, category: str, priority: str, description: str, customer=None, files=()
) -> Ticket:
    require(member, "tickets.open")
    if customer is not None:
        require_same_reseller(member, customer)
    now = timezone.now()
    ticket = Ticket(
        reseller=member.reseller,
        subject=subject,
        category=category,
        priority=priority,
        customer=customer,
        opened_by=member.user,
        opened_at=now,
        updated_at=now,
        first_response_due_at=sla.first_response_due(now, priority, _targets()),
    )
    ticket.full_clean()
    ticket.save()
    _add_message(ticket=ticket, author=member.user, body=description, files=list(files))
    audit(
        actor=member.user,
        reseller=member.reseller,
        obj=ticket,
        action="support.ticket.opened",
        data={"priority": priority, "category": category},
    )
    _mail_operations(
        f"[{priority.upper()}] New ticket #{ticket.pk} from {member.reseller}: {subject}",
        f"{member.user.email} opened ticket #{ticket.pk} ({ticket.get_category_display()}, "
        f"{ticket.get_priority_display()}).\nFirst response due "
        f"{ticket.first_response_due_at:%Y-%m-%d %H:%M} UTC.\n\n{description}\n\n"
        f"{_ops_url(ticket)}",
    )
    return ticket


@member_service
def ticket_reply(*, member, ticket: Ticket, body: str, files=()) -> TicketMessage:
    require(member, "tickets.open")
    require_same_reseller(member, ticket)
    if not ticket.is_open:
        raise ValidationError("This ticket is resolved; reopen it to add a message.")
    message = _add_message(ticket=ticket, author=member.user, body=body, files=list(files))
    ticket.status = Ticket.Status.WAITING_ON_OPERATIONS
    ticket.updated_at = timezone.now()
    ticket.save(update_fields=["status", "updated_at"])
    audit(actor=member.user, reseller=member.reseller, obj=ticket, action="support.ticket.replied")
    emit("ticket.replied", message)
    _mail_operations(
        f"Ticket #{ticket.pk} from {member.reseller}: new message",
        f"{member.user.email} wrote:\n\n{body}\n\n{_ops_url(ticket)}",
    )
    return message


@member_service
def ticket_resolve(*, member, ticket: Ticket) -> Ticket:
    require(member, "tickets.open")
    require_same_reseller(member, ticket)
    if not ticket.is_open:
        raise ValidationError("This ticket is already resolved.")
    _set_status(ticket, Ticket.Status.RESOLVED)
    audit(actor=member.user, reseller=member.reseller, obj=ticket, action="support.ticket.resolved")
    return ticket


def reopen_deadline(ticket: Ticket) -> dt.datetime | None:
    if ticket.resolved_at is None:
        return None
    return ticket.resolved_at + dt.timedelta(days=settings.SUPPORT_REOPEN_DAYS)


@member_service
def ticket_reopen(*, member, ticket: Ticket) -> Ticket:
    require(member, "tickets.open")
    require_same_reseller(member, ticket)
    deadline = reopen_deadline(ticket)
    if ticket.status != Ticket.Status.RESOLVED or deadline is None:
        raise ValidationError("Only a resolved ticket can be reopened.")
    if timezone.now() >= deadline:
        raise ValidationError(
            f"This ticket can no longer be reopened (the "
            f"{settings.SUPPORT_REOPEN_DAYS} days ended "
            f"{deadline:%Y-%m-%d %H:%M} UTC); open a new ticket."
        )
    _set_status(ticket, Ticket.Status.WAITING_ON_OPERATIONS)
    audit(actor=member.user, reseller=member.reseller, obj=ticket, action="support.ticket.reopened")
    _mail_operations(
        f"Ticket #{ticket.pk} from {ticket.reseller} reopened",
        f"{member.user.email} reopened the ticket.\n\n{_ops_url(ticket)}",
    )
    return ticket


def _set_status(ticket: Ticket, status: str) -> None:
    now = timezone.now()
    ticket.status = status
    ticket.resolved_at = now if status == Ticket.Status.RESOLVED else None
    ticket.updated_at = now
    ticket.save(update_fields=["status", "resolved_at", "updated_at"])


def _notify_reseller(ticket: Ticket, title: str, body: str) -> None:
    """The person who opened the ticket hears about it (in the app and by e-mail)."""
    if ticket.opened_by is None:
        return
    if not Membership.objects.filter(user=ticket.opened_by, reseller=ticket.reseller).exists():
        return
    notify(
        reseller=ticket.reseller,
        users=[ticket.opened_by],
        title=title,
        body=body,
        url=reverse("support:ticket", kwargs={"ticket_id": ticket.pk}),
    )


@transaction.atomic
def ticket_ops_reply(
    *, user, ticket: Ticket, body: str, internal: bool = False, files=()
) -> TicketMessage:
    """Operations answer (or add an internal note, which the reseller never sees)."""
    require_staff(user)
    with scopes_disabled():
        ticket = Ticket.objects.select_for_update().get(pk=ticket.pk)
        if ticket.status == Ticket.Status.CLOSED:
            raise ValidationError("This ticket is closed.")
        message = _add_message(
            ticket=ticket,
            author=user,
            body=body,
            files=list(files),
            from_operations=True,
            internal=internal,
        )
        if not internal:
            now = timezone.now()
            ticket.first_response_at = ticket.first_response_at or now
            ticket.status = Ticket.Status.WAITING_ON_RESELLER
            ticket.updated_at = now
            ticket.save(update_fields=["first_response_at", "status", "updated_at"])
            _notify_reseller(
                ticket, f"Operations answered ticket #{ticket.pk}", f"{ticket.subject}\n\n{body}"
            )
            emit("ticket.replied", message)
        audit(
            actor=user,
            reseller=ticket.reseller,
            obj=ticket,
            action="support.ticket.note_added" if internal else "support.ticket.answered",
        )
    return message


@transaction.atomic
def ticket_ops_update(
    *, user, ticket: Ticket, status: str | None = None, assigned_to=None, unassign: bool = False
) -> Ticket:
    require_staff(user)
    with scopes_disabled():
        changes = {}
        if assigned_to is not None or unassign:
            if assigned_to is not None and not assigned_to.is_staff:
                raise ValidationError("Tickets can only be assigned to operations staff.")
            ticket.assigned_to = None if unassign else assigned_to
            ticket.save(update_fields=["assigned_to"])
            changes["assigned_to"] = assigned_to.email if assigned_to else None
        if status and status != ticket.status:
            if status not in Ticket.Status.values:
                raise ValidationError(f"Unknown status {status!r}.")
            _set_status(ticket, status)
            changes["status"] = status
            if status == Ticket.Status.RESOLVED:
                _notify_reseller(
                    ticket,
                    f"Ticket #{ticket.pk} resolved",
                    f"{ticket.subject}\n\nYou can reopen it within "
                    f"{settings.SUPPORT_REOPEN_DAYS} days.",
                )
        if changes:
            audit(
                actor=user,
                reseller=ticket.reseller,
                obj=ticket,
                action="support.ticket.updated",
                data=changes,
            )
    return ticket


def tickets_notify_breaches(now=None) -> int:
    """Mail operations once about each open ticket past its first-response target, each ticket
    in its own transaction (one that fails is recorded, the others go on)."""
    now = now or timezone.now()
    with scopes_disabled():
        late = list(
            Ticket.objects.filter(
                first_response_at__isnull=True,
                breach_notified_at__isnull=True,
                first_response_due_at__lte=now,
            )
            .exclude(status__in=[Ticket.Status.RESOLVED, Ticket.Status.CLOSED])
            .values_list("pk", flat=True)
        )

    def notify_breach(pk):
        with scopes_disabled():
            ticket = (
                Ticket.objects.select_for_update(skip_locked=True)
                .filter(pk=pk, breach_notified_at__isnull=True)
                .select_related("reseller")
                .first()
            )
            if ticket is None:  # told by a concurrent run
                return 0
            _mail_operations(
                f"SLA BREACH: ticket #{ticket.pk} ({ticket.get_priority_display()}) "
                f"from {ticket.reseller}",
                f"First response was due {ticket.first_response_due_at:%Y-%m-%d %H:%M} UTC "
                f"and nobody has answered yet.\n\n{ticket.subject}\n\n{_ops_url(ticket)}",
            )
            Ticket.objects.filter(pk=ticket.pk).update(breach_notified_at=now)
            return 1

    return sum(each_row("support.sla_breach", Ticket, late, notify_breach)[0])


def tickets_close_resolved(now=None) -> int:
    """Resolved tickets past the reopen period become closed, one by one."""
    now = now or timezone.now()
    cutoff = now - dt.timedelta(days=settings.SUPPORT_REOPEN_DAYS)
    with scopes_disabled():
        due = list(
            Ticket.objects.filter(
                status=Ticket.Status.RESOLVED, resolved_at__lte=cutoff
            ).values_list("pk", flat=True)
        )

    def close(pk):
        with scopes_disabled():
            return Ticket.objects.filter(pk=pk, status=Ticket.Status.RESOLVED).update(
                status=Ticket.Status.CLOSED, updated_at=now
            )

    return sum(each_row("support.close_resolved", Ticket, due, close)[0])
