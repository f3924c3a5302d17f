"""GDAP relationships: the reseller asks for one (created, then locked for the customer's
approval through partner_center.gdap), a beat job follows Microsoft's status, assigns the
reseller's security group once active and reminds 30 and 7 days before the end (once each);
auto-extend (P180D) where Microsoft allows it."""

import re
from datetime import datetime, timedelta

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django_scopes import scope, scopes_disabled

from customers.gdap import roles
from customers.gdap.models import AdminRelationship
from customers.models import Customer
from partner_center import gdap
from partner_center.errors import GatewayError, Unavailable
from portal.audit import audit
from portal.models import Membership
from portal.notifications import notify
from portal.permissions import require
from portal.roles import PERMISSIONS
from portal.tenancy import member_service, require_same_reseller
from portal.upkeep import each_row

REMINDERS = (30, 7)  # days before the end
SETTLED_CHECK = timedelta(hours=20)


def has_tenant_access(customer: Customer) -> bool:
    """Whether the reseller holds delegated admin access to the customer's tenant: an active
    GDAP relationship (Microsoft's status as last polled)."""
    return AdminRelationship.objects.filter(
        customer=customer, status=AdminRelationship.Status.ACTIVE
    ).exists()


def _display_name(customer: Customer, now: datetime) -> str:
    # unique across all the partner's relationships (Microsoft), at most 50 characters
    suffix = f" {customer.pk}-{now:%Y%m%d%H%M%S}"
    return f"{customer.company_name[: gdap.DISPLAY_NAME_MAX - len(suffix)]}{suffix}"


def _unrecorded(gateway, customer: Customer, *, role_ids, duration: str):
    """The relationship an earlier request of this portal made for the customer with these
    roles and duration whose answer never came back (a timeout after Microsoft created it):
    still `created` (not locked for approval), named by `_display_name` for this customer,
    and not recorded here. Asking again adopts it instead of making a second one."""
    ours = re.compile(rf" {customer.pk}-\d{{14}}$")
    known = set(
        AdminRelationship.objects.filter(customer=customer).values_list(
            "relationship_id", flat=True
        )
    )
    for rel in gateway.relationships_of(str(customer.tenant_id)):
        if (
            rel.status == "created"
            and rel.id not in known
            and ours.search(rel.display_name)
            and set(rel.role_ids) == set(role_ids)
            and rel.duration == duration
        ):
            return rel
    return None


def _gateway_refused(exc: GatewayError) -> ValidationError:
    return ValidationError(f"Microsoft refused it: {exc.message}")


def _create(gateway, customer, name, duration, role_ids, auto_extend):
    try:
        return gateway.create_relationship(
            display_name=name,
            duration=duration,
            customer_tenant_id=str(customer.tenant_id),
            customer_name=customer.company_name,
            role_ids=tuple(role_ids),
            auto_extend=auto_extend,
        )
    except Unavailable:
        # no answer (timeout, 5xx): Microsoft may have made it all the same
        made = _unrecorded(gateway, customer, role_ids=role_ids, duration=duration)
        if made is None:
            raise
        return made


@member_service
def relationship_request(
    *,
    member,
    customer: Customer,
    role_ids: list[str],
    days: int,
    auto_extend: bool,
    security_group_id: str,
) -> AdminRelationship:
    """Create the relationship in Microsoft's GDAP API and lock it for the customer's approval;
    the customer then approves it at `approval_url`."""
    require(member, "customers.edit")
    require_same_reseller(member, customer)
    customer = Customer.objects.select_for_update().get(pk=customer.pk)
    if not customer.tenant_id:
        raise ValidationError("Link the customer's Microsoft tenant first.")
    if AdminRelationship.objects.filter(customer=customer, status__in=AdminRelationship.OPEN):
        raise ValidationError(
            f"{customer} already has an admin relationship waiting or active; it can be "
            "requested again once it has expired or ended."
        )
    role_ids = [r for r in roles.BY_ID if r in set(role_ids)]  # the catalogue's order
    if auto_extend and not roles.auto_extend_allowed(role_ids):
        raise ValidationError(
            "Microsoft does not auto-extend a relationship with the Global Administrator role: "
            "untick auto-extend or the role."
        )
    duration = f"P{days}D"
    now = timezone.now()
    name = _display_name(customer, now)
    try:
        gdap.check_request(
            display_name=name, duration=duration, role_ids=role_ids, auto_extend=auto_extend
        )
        gateway = gdap.get_gdap()
        made = _unrecorded(gateway, customer, role_ids=role_ids, duration=duration)
        if made is None:
            made = _create(gateway, customer, name, duration, role_ids, auto_extend)
    except GatewayError as exc:
        raise _gateway_refused(exc) from exc
    locked_error = ""
    try:
        gateway.lock_for_approval(made.id)
        made = gateway.get_relationship(made.id)
    except GatewayError as exc:
        # Microsoft holds the relationship (created): keep it; the hourly poll locks it again
        locked_error = exc.message
    relationship = AdminRelationship.objects.create(
        reseller=member.reseller,
        customer=customer,
        relationship_id=made.id,
        display_name=made.display_name,
        role_ids=list(made.role_ids),
        duration=made.duration,
        auto_extend=made.auto_extends,
        status=made.status,
        security_group_id=security_group_id,
        requested_by=member.user,
        created_at=made.created_at or now,
        checked_at=now,
        last_error=locked_error,
    )
    audit(
        actor=member.user,
        reseller=member.reseller,
        obj=customer,
        action="customers.gdap.requested",
        data={
            "relationship_id": made.id,
            "roles": roles.names(made.role_ids),
            "duration": made.duration,
            "auto_extend": made.auto_extends,
        },
    )
    return relationship


@member_service
def relationship_set_auto_extend(
    *, member, relationship: AdminRelationship, auto_extend: bool
) -> AdminRelationship:
    require(member, "customers.edit")
    require_same_reseller(member, relationship)
    if auto_extend and not roles.auto_extend_allowed(relationship.role_ids):
        raise ValidationError(
            "Microsoft does not auto-extend a relationship with the Global Administrator role."
        )
    if relationship.status not in (
        AdminRelationship.Status.CREATED,
        AdminRelationship.Status.ACTIVE,
    ):
        raise ValidationError("Auto-extend can change only while the relationship is active.")
    try:
        answer = gdap.get_gdap().set_auto_extend(relationship.relationship_id, auto_extend)
    except GatewayError as exc:
        raise _gateway_refused(exc) from exc
    relationship.auto_extend = answer.auto_extends
    relationship.save(update_fields=["auto_extend"])
    audit(
        actor=member.user,
        reseller=member.reseller,
        obj=relationship.customer,
        action="customers.gdap.auto_extend_changed",
        data={"relationship_id": relationship.relationship_id, "auto_extend": auto_extend},
    )
    return relationship


@member_service
def relationship_terminate(*, member, relationship: AdminRelationship) -> AdminRelationship:
    """End an active relationship at Microsoft: the reseller's admin access to the customer's
    tenant stops (Microsoft takes it from terminationRequested to terminated; the poll
    follows)."""
    require(member, "customers.edit")
    require_same_reseller(member, relationship)
    if relationship.status != AdminRelationship.Status.ACTIVE:
        raise ValidationError(
            f"Only an active relationship can be ended; this one is "
            f"{relationship.get_status_display().lower()}."
        )
    try:
        answer = gdap.get_gdap().terminate(relationship.relationship_id)
    except GatewayError as exc:
        raise _gateway_refused(exc) from exc
    before = relationship.status
    relationship.status, relationship.checked_at = answer.status, timezone.now()
    relationship.save(update_fields=["status", "checked_at"])
    audit(
        actor=member.user,
        reseller=member.reseller,
        obj=relationship.customer,
        action="customers.gdap.terminated",
        data={"relationship_id": relationship.relationship_id, "status": answer.status},
    )
    if relationship.status != before:
        _on_status(relationship, before)
    return relationship


def _recipients(reseller_id: int) -> list:
    return [
        m.user
        for m in Membership.objects.filter(
            reseller_id=reseller_id, role__in=PERMISSIONS["customers.edit"]
        ).select_related("user")
        if m.user.is_active
    ]


def _notify(rel: AdminRelationship, title: str, body: str) -> None:
    notify(
        reseller=rel.reseller,
        users=_recipients(rel.reseller_id),
        title=title,
        body=body,
        url=reverse("customers:detail", kwargs={"customer_id": rel.customer_id}),
    )


def _event(rel: AdminRelationship, action: str, data: dict | None = None) -> None:
    audit(
        actor=None,
        reseller=rel.reseller,
        obj=rel.customer,
        action=action,
        data={"relationship_id": rel.relationship_id, **(data or {})},
    )


def relationship_poll(relationship_id: int, *, now: datetime | None = None) -> AdminRelationship:
    """Follow one relationship (in its reseller's scope): Microsoft's status, the access
    assignment once active, the reminders before its end."""
    now = now or timezone.now()
    with scopes_disabled():
        reseller = AdminRelationship.objects.select_related("reseller").get(pk=relationship_id)
    with scope(reseller=reseller.reseller), transaction.atomic():
        rel = (
            AdminRelationship.objects.select_for_update()
            .select_related("customer", "reseller")
            .get(pk=relationship_id)
        )
        gateway = gdap.get_gdap()
        answer = gateway.get_relationship(rel.relationship_id)
        if answer.status == AdminRelationship.Status.CREATED:
            # created but not sent for approval yet (the lock failed when it was asked for)
            gateway.lock_for_approval(rel.relationship_id)
            answer = gateway.get_relationship(rel.relationship_id)
        before = rel.status
        if answer.ends_at != rel.ends_at and rel.ends_at and answer.ends_at:
            rel.reminded_30_at = rel.reminded_7_at = None  # extended: a new end to remind of
        rel.status = answer.status
        rel.activated_at, rel.ends_at = answer.activated_at, answer.ends_at
        rel.auto_extend = answer.auto_extends
        rel.checked_at, rel.last_error = now, ""
        if rel.status != before:
            _on_status(rel, before)
        if rel.status == AdminRelationship.Status.ACTIVE:
            _assign(rel, gateway)
            _remind(rel, now)
        rel.save()
        return rel


def _on_status(rel: AdminRelationship, before: str) -> None:
    S = AdminRelationship.Status
    _event(rel, "customers.gdap.status_changed", {"from": before, "to": rel.status})
    if rel.status == S.ACTIVE and before != S.EXPIRING:
        _notify(
            rel,
            f"{rel.customer} approved admin access",
            f"The GDAP relationship {rel.display_name} is active until "
            f"{rel.ends_at:%Y-%m-%d} (UTC)."
            if rel.ends_at
            else "",
        )
    elif rel.status in (S.EXPIRED, S.TERMINATED):
        ended = "expired" if rel.status == S.EXPIRED else "ended"
        _notify(
            rel,
            f"Admin access to {rel.customer} has {ended}",
            f"The GDAP relationship {rel.display_name} is {rel.get_status_display().lower()}. "
            "Request a new one from the customer's page to keep admin access.",
        )


def _assign(rel: AdminRelationship, gateway: gdap.GdapGateway) -> None:
    """The reseller's security group gets the relationship's roles (once); its status is
    followed until Microsoft says active."""
    if not rel.security_group_id:
        return
    if rel.assignment_id:
        if rel.assignment_status != "active":
            for a in gateway.list_access_assignments(rel.relationship_id):
                if a.id == rel.assignment_id:
                    rel.assignment_status = a.status
        return
    made = gateway.create_access_assignment(
        rel.relationship_id, group_id=rel.security_group_id, role_ids=tuple(rel.role_ids)
    )
    rel.assignment_id, rel.assignment_status = made.id, made.status
    _event(rel, "customers.gdap.access_assigned", {"group": rel.security_group_id})


def _remind(rel: AdminRelationship, now: datetime) -> None:
    """30 and 7 days before the end, each once; none while Microsoft auto-extends it. A first
    look inside 7 days sends the 7-day reminder only."""
    if rel.auto_extend or not rel.ends_at:
        return
    left = rel.ends_at - now
    due = None
    if left <= timedelta(days=7) and rel.reminded_7_at is None:
        due, rel.reminded_7_at = 7, now
        rel.reminded_30_at = rel.reminded_30_at or now
    elif left <= timedelta(days=30) and rel.reminded_30_at is None:
        due, rel.reminded_30_at = 30, now
    if due is None:
        return
    allowed = roles.auto_extend_allowed(rel.role_ids)
    _notify(
        rel,
        f"Admin access to {rel.customer} ends in {max(left.days, 0)} days",
        f"The GDAP relationship {rel.display_name} ends on {rel.ends_at:%Y-%m-%d} (UTC). "
        + (
            "Turn on auto-extend (180 days) on the customer's page, or request a new one."
            if allowed
            else "It holds the Global Administrator role, which Microsoft does not "
            "auto-extend: request a new relationship."
        ),
    )
    _event(rel, "customers.gdap.reminded", {"days": due, "ends_at": rel.ends_at.isoformat()})


def _settled(now: datetime) -> Q:
    """Active relationships with nothing to follow (access assigned or none to assign, the end
    more than 31 days away) checked within the day: asked once a day, not every hour (Graph
    throttles; a partner may have thousands)."""
    return Q(
        status=AdminRelationship.Status.ACTIVE,
        assignment_status__in=("", "active"),
        ends_at__gt=now + timedelta(days=31),
        checked_at__gt=now - SETTLED_CHECK,
    ) & ~Q(security_group_id__gt="", assignment_id="")


def relationships_poll(*, now: datetime | None = None) -> dict:
    """Beat: every relationship not ended yet, each on its own (a failure is an upkeep
    failure; the others go on); settled active ones once a day."""
    now = now or timezone.now()
    with scopes_disabled():
        pks = list(
            AdminRelationship.objects.exclude(status__in=AdminRelationship.ENDED)
            .exclude(relationship_id="")
            .exclude(_settled(now))
            .order_by("pk")
            .values_list("pk", flat=True)
        )
    results, failed = each_row(
        "customers.poll_gdap_relationships",
        AdminRelationship,
        pks,
        lambda pk: relationship_poll(pk, now=now),
    )
    return {"polled": len(results), "failed": failed}


def relationships_discover(*, now: datetime | None = None) -> int:
    """Relationships made outside the portal (in Partner Center or another tool) with the
    portal's customers, recorded so the portal knows it has tenant access and follows them.
    Ended ones are left out. Returns how many were recorded."""
    now = now or timezone.now()
    found = gdap.get_gdap().list_relationships()
    with scopes_disabled():
        known = set(AdminRelationship.objects.values_list("relationship_id", flat=True))
        tenants = {
            str(c.tenant_id).lower(): c
            for c in Customer.objects.exclude(tenant_id=None).select_related("reseller")
        }
    recorded = 0
    for r in found:
        customer = tenants.get(r.customer_tenant_id.lower())
        if r.id in known or r.status in gdap.ENDED or customer is None:
            continue
        with scope(reseller=customer.reseller), transaction.atomic():
            rel = AdminRelationship.objects.create(
                reseller=customer.reseller,
                customer=customer,
                relationship_id=r.id,
                display_name=r.display_name[: gdap.DISPLAY_NAME_MAX],
                role_ids=list(r.role_ids),
                duration=r.duration,
                auto_extend=r.auto_extends,
                status=r.status,
                created_at=r.created_at or now,
                activated_at=r.activated_at,
                ends_at=r.ends_at,
                checked_at=now,
            )
            _event(rel, "customers.gdap.imported", {"status": r.status})
        recorded += 1
    return recorded


def sandbox_customer_approves(*, member, relationship: AdminRelationship) -> AdminRelationship:
    """Sandbox only: what the customer's global admin does at the approval link."""
    require(member, "customers.edit")
    require_same_reseller(member, relationship)
    gateway = gdap.get_gdap()
    if not isinstance(gateway, gdap.SandboxGdap):
        raise ValidationError("Only the sandbox lets the portal approve for the customer.")
    try:
        gateway.approve(relationship.relationship_id)
    except GatewayError as exc:
        raise _gateway_refused(exc) from exc
    return relationship_poll(relationship.pk)
