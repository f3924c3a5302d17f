from django.db.models import Count, Prefetch, Q
from django.http import Http404
from django.shortcuts import get_object_or_404
from django_scopes import scopes_disabled

from customers.models import Customer
from support.models import PlanAssignment, SupportPlan, Ticket, TicketAttachment, TicketMessage


def plans_of(reseller):
    return SupportPlan.objects.filter(reseller=reseller).annotate(
        customer_count=Count("assignments", filter=Q(assignments__ended_at__isnull=True))
    )


def plan_get(*, member, support_plan_id: int) -> SupportPlan:
    return get_object_or_404(
        SupportPlan.objects.filter(reseller=member.reseller), pk=support_plan_id
    )


def customers_with_plans(reseller):
    """Customers of the reseller, each with `current_assignment` (a list of 0 or 1)."""
    current = PlanAssignment.objects.filter(ended_at__isnull=True).select_related("plan")
    return Customer.objects.filter(reseller=reseller).prefetch_related(
        Prefetch("support_assignments", queryset=current, to_attr="current_assignment")
    )


def customer_get(*, member, customer_id: int) -> Customer:
    return get_object_or_404(Customer.objects.filter(reseller=member.reseller), pk=customer_id)


def current_plan(customer) -> SupportPlan | None:
    assignment = (
        PlanAssignment.objects.filter(customer=customer, ended_at__isnull=True)
        .select_related("plan")
        .first()
    )
    return assignment.plan if assignment else None


def support_contact_for(customer) -> dict:
    """What a customer sees: its plan's contacts, or its reseller's support contact."""
    plan = current_plan(customer)
    reseller = customer.reseller
    if plan:
        return {
            "plan": plan,
            "name": plan.name,
            "chat_url": plan.chat_url,
            "email": plan.email,
            "phone": plan.phone,
            "hours": plan.hours,
            "reseller": reseller,
        }
    return {
        "plan": None,
        "name": reseller.name,
        "chat_url": "",
        "email": reseller.support_email,
        "phone": reseller.support_phone,
        "url": reseller.support_url,
        "hours": "",
        "reseller": reseller,
    }


def tickets_of(reseller):
    return Ticket.objects.filter(reseller=reseller).select_related("customer", "opened_by")


def ticket_get(*, member, ticket_id: int) -> Ticket:
    return get_object_or_404(tickets_of(member.reseller), pk=ticket_id)


def public_thread(ticket):
    """The messages a reseller may see: internal notes of operations are left out."""
    return (
        TicketMessage.objects.filter(ticket=ticket, internal=False)
        .select_related("author")
        .prefetch_related("attachments")
    )


def attachment_get(*, member, attachment_id: int) -> TicketAttachment:
    attachment = (
        TicketAttachment.objects.filter(reseller=member.reseller, pk=attachment_id)
        .select_related("message")
        .first()
    )
    if attachment is None or attachment.message.internal:
        raise Http404("No such file.")
    return attachment


# Operations (staff, all resellers)


def ops_queue(*, show: str = "open", staff_user=None):
    with scopes_disabled():
        qs = Ticket.objects.select_related("reseller", "assigned_to", "customer")
        if show == "mine":
            qs = qs.filter(assigned_to=staff_user)
        elif show == "unassigned":
            qs = qs.filter(assigned_to__isnull=True)
        if show != "all":
            qs = qs.exclude(status__in=[Ticket.Status.RESOLVED, Ticket.Status.CLOSED])
        return qs.order_by("first_response_at", "first_response_due_at", "opened_at")


def ops_ticket_get(ticket_id: int) -> Ticket:
    with scopes_disabled():
        return get_object_or_404(
            Ticket.objects.select_related("reseller", "customer", "opened_by", "assigned_to"),
            pk=ticket_id,
        )


def ops_thread(ticket):
    with scopes_disabled():
        return list(
            TicketMessage.objects.filter(ticket=ticket)
            .select_related("author")
            .prefetch_related("attachments")
        )


def ops_attachment_get(attachment_id: int) -> TicketAttachment:
    with scopes_disabled():
        return get_object_or_404(TicketAttachment, pk=attachment_id)
