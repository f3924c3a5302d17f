"""Reads of GDAP relationships, tenant-scoped by the customer they belong to."""

from customers.gdap import roles
from customers.gdap.models import AdminRelationship
from customers.models import Customer
from partner_center.gdap import SandboxGdap, get_gdap
from portal.roles import role_can


def sandbox_active() -> bool:
    """Whether GDAP runs on the sandbox (which lets the reseller approve for the customer)."""
    return isinstance(get_gdap(), SandboxGdap)


def latest(customer: Customer) -> AdminRelationship | None:
    return (
        AdminRelationship.objects.filter(customer=customer).select_related("requested_by").first()
    )


def pending_approval(customer: Customer) -> AdminRelationship | None:
    """The relationship the customer still has to approve, if any (customer portal)."""
    return AdminRelationship.objects.filter(
        customer=customer, status=AdminRelationship.Status.APPROVAL_PENDING
    ).first()


def card(member, customer: Customer) -> dict:
    """Context of the customer page's GDAP card."""
    current = latest(customer)
    return {
        "current": current,
        "can_edit": role_can(member.role, "customers.edit"),
        "sandbox": sandbox_active(),
        "auto_extend_allowed": roles.auto_extend_allowed(current.role_ids) if current else True,
    }
