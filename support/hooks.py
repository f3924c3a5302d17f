"""What support adds to the portal frame (portal/frame.py)."""

from django.urls import reverse
from django_scopes import scopes_disabled

from portal.frame import Queue, Widget, first_and_count
from portal.roles import role_can
from support import selectors
from support.models import DistributorSupport, Ticket

OPEN = [Ticket.Status.RESOLVED, Ticket.Status.CLOSED]


def dashboard_widgets(request) -> list[Widget]:
    tickets = Ticket.objects.filter(reseller=request.membership.reseller).exclude(status__in=OPEN)
    rows, count = first_and_count(tickets.order_by("-updated_at").only("subject", "status"))
    return [Widget("support/_attention_tickets.html", {"tickets": rows, "tickets_count": count})]


def ops_queues() -> list[Queue]:
    with scopes_disabled():
        open_tickets = Ticket.objects.exclude(status__in=OPEN).count()
    return [Queue("Support queue", reverse("support_ops:queue"), open_tickets)]


def customer_context(member, customer) -> dict:
    return {
        "contact": selectors.support_contact_for(customer),
        "plans": selectors.plans_of(member.reseller),
        "can_manage_plans": role_can(member.role, "support.manage_plans"),
    }


def customer_portal_context(customer) -> dict:
    return {"contact": selectors.support_contact_for(customer), "desk": DistributorSupport.load()}


def help_context(request) -> dict:
    return {"desk": DistributorSupport.load()}
