"""The audit log: append-only events written by services (DESIGN.md "Tenancy and security").
Every action name is registered in ACTIONS (as Zulip's AuditLogEventType, pretix's log entry
types) with the phrase the activity pages show: "<who> <phrase> <object>"."""

import logging

from portal.models import AuditEvent

logger = logging.getLogger(__name__)

ACTIONS: dict[str, str] = {
    # portal
    "portal.reseller.registered": "registered the reseller",
    "portal.reseller.profile_updated": "updated the partner profile of",
    "portal.invitation.created": "invited a member to",
    "portal.invitation.accepted": "accepted an invitation to",
    "portal.invitation.revoked": "revoked an invitation to",
    "portal.membership.role_changed": "changed the role of",
    "portal.membership.removed": "removed the member",
    "portal.reseller.partner_id_verified": "verified the partner ID of",
    # programs
    "programs.request.created": "requested the program",
    "programs.request.approved": "approved the program request",
    "programs.request.rejected": "rejected the program request",
    "programs.request.revoked": "revoked the program approval",
    # customers
    "customers.customer.created": "created the customer",
    "customers.customer.admin_account_shown": "was shown the one-time admin account of",
    "customers.customer.changed": "changed the customer",
    "customers.customer.tenant_created": "created the Microsoft tenant of",
    "customers.customer.tenant_linked": "linked the Microsoft tenant found in Partner Center to",
    "customers.customer.tenant_relinked": "relinked the Microsoft tenant of",
    "customers.customer.tenant_moved": "moved the Microsoft tenant away from",
    "customers.customer.currency_changed": "changed the billing currency of",
    "customers.mca.sent": "sent the MCA link to",
    "customers.mca.resent": "sent a new MCA link to",
    "customers.mca.revoked": "revoked the MCA link of",
    "customers.mca.accepted": "recorded the MCA acceptance of",
    "customers.mca.logged": "logged in Partner Center the MCA acceptance of",
    "customers.portal_link.sent": "sent the customer-portal link to",
    "customers.gdap.requested": "asked for admin access (GDAP relationship) to",
    "customers.gdap.status_changed": "saw the GDAP relationship's status change for",
    "customers.gdap.access_assigned": "assigned the security group's admin access to",
    "customers.gdap.reminded": "reminded that the GDAP relationship ends for",
    "customers.gdap.auto_extend_changed": "changed the GDAP auto-extend of",
    "customers.gdap.terminated": "ended the GDAP relationship (admin access) with",
    "customers.gdap.imported": "found a GDAP relationship made outside the portal for",
    # subscriptions, catalog and price books
    "subscriptions.catalog.imported": "imported the catalog",
    "subscriptions.catalog.sync_requested": "asked for a catalog sync from Partner Center",
    "subscriptions.catalog.synced": "synced the catalog from Partner Center",
    "subscriptions.pricebook.created": "created the price book",
    "subscriptions.pricerule.added": "added a price rule to",
    "subscriptions.pricerule.removed": "removed a price rule from",
    "subscriptions.subscription.ordered": "ordered",
    "subscriptions.subscription.upgraded": "upgraded seats of the subscription",
    "subscriptions.subscription.provisioned": "provisioned",
    "subscriptions.subscription.provisioning_failed": "could not provision",
    "subscriptions.subscription.provisioning_retried": "retried the order of",
    "subscriptions.subscription.seats_changed": "changed the seats of",
    "subscriptions.subscription.decrease_scheduled": "scheduled a seat decrease at renewal of",
    "subscriptions.subscription.scheduled_change_removed": "removed the scheduled change of",
    "subscriptions.subscription.cancelled": "cancelled",
    "subscriptions.subscription.auto_renew_changed": "changed auto-renew of",
    "subscriptions.subscription.term_changed": "changed the term of",
    "subscriptions.subscription.frequency_scheduled": "scheduled a billing-frequency change of",
    "subscriptions.subscription.frequency_changed": "changed the billing frequency of",
    "subscriptions.subscription.renewed": "renewed",
    "subscriptions.subscription.expired": "let expire (no auto-renew)",
    "subscriptions.subscription.exchanged": "exchanged the reservation",
    "subscriptions.subscription.seat_assigned": "assigned a seat of",
    "subscriptions.subscription.seat_unassigned": "unassigned a seat of",
    "subscriptions.subscription.transferred_out": "transferred away",
    "subscriptions.subscription.transferred_in": "received by transfer",
    "subscriptions.transfer.requested": "requested the transfer",
    "subscriptions.transfer.completed": "completed the transfer",
    "subscriptions.transfer.declined": "declined the transfer",
    "subscriptions.transfer.canceled": "canceled the transfer",
    "subscriptions.transfer.expired": "let expire the transfer",
    "subscriptions.transfer.failed": "failed the transfer",
    # support
    "support.ticket.opened": "opened the ticket",
    "support.ticket.replied": "replied to the ticket",
    "support.ticket.answered": "answered the ticket",
    "support.ticket.note_added": "added an internal note to the ticket",
    "support.ticket.updated": "updated the ticket",
    "support.ticket.resolved": "resolved the ticket",
    "support.ticket.reopened": "reopened the ticket",
    "support.plan.created": "created the support plan",
    "support.plan.changed": "changed the support plan",
    "support.plan.assigned": "assigned a support plan to",
    # billing
    "billing.usage_import.upload": "uploaded the usage file",
    "billing.usage_import.fetch": "fetched usage from Partner Center for",
    "billing.usage_import.done": "imported the usage of",
    "billing.usage_import.rejected": "rejected the usage file",
    "billing.usage_import.failed": "failed to import the usage of",
    "billing.run.started": "started the billing run",
    "billing.run.finalized": "finalized the billing run",
    "billing.credit_note.issued": "issued the credit note",
    "billing.invoice.detail_requested": "asked for the PDF of every line of",
    "billing.budget.set": "set an Azure budget for",
    "billing.budget.remove": "removed the Azure budget of",
    "billing.budget.alert": "raised a budget alert for",
    "billing.anomaly.raise": "raised a cost anomaly alert for",
    "billing.insight_settings.update": "changed the alert thresholds of",
    "billing.reconciliation.run": "reconciled the billing period",
    "billing.reconciliation.invoice_pulled": "pulled Microsoft's billed invoice reconciliation",
    # partner center and the API
    "partner_center.connection.connected": "connected Partner Center",
    "api.key.created": "created the API key",
    "api.key.revoked": "revoked the API key",
    # webhooks
    "webhooks.endpoint.created": "created the webhook endpoint",
    "webhooks.endpoint.updated": "changed the webhook endpoint",
    "webhooks.endpoint.deleted": "deleted the webhook endpoint",
    "webhooks.endpoint.secret_rotated": "rotated the signing secret of the webhook endpoint",
    "webhooks.endpoint.disabled": "disabled after repeated failures the webhook endpoint",
    "webhooks.delivery.redelivered": "redelivered the webhook event",
}
ADMIN_VERBS = {
    "created": "created in the admin",
    "changed": "changed in the admin",
    "deleted": "deleted in the admin",
}


def phrase(action: str) -> str:
    """What the activity pages say of `action` (the code itself if it is not registered)."""
    if action.startswith("admin."):
        return ADMIN_VERBS.get(action.rsplit(".", 1)[-1], action)
    return ACTIONS.get(action, action)


def _check(action: str) -> None:
    # every action is registered (tests/portal/test_audit_registry.py scans the code); an
    # unregistered one is still recorded, never refused: the audit must not stop a service
    if action not in ACTIONS and not action.startswith("admin."):
        logger.warning("Audit action %r is not registered in portal/audit.py ACTIONS.", action)


def _event(*, actor, reseller, action: str, obj=None, data: dict | None = None) -> AuditEvent:
    return AuditEvent(
        actor=actor if actor and actor.is_authenticated else None,
        reseller=reseller,
        action=action,
        object_type=obj._meta.label_lower if obj is not None else "",
        object_id=str(obj.pk) if obj is not None else "",
        object_repr=str(obj)[:200] if obj is not None else "",
        data=data or {},
    )


def audit(*, actor, reseller, action: str, obj=None, data: dict | None = None) -> AuditEvent:
    """Append one audit event. `action` is dotted: "app.object.verb", registered in ACTIONS."""
    _check(action)
    event = _event(actor=actor, reseller=reseller, action=action, obj=obj, data=data)
    event.save()
    return event


def audit_each(*, actor, action: str, objects, data) -> None:
    """Append one event per object of `objects` (each with its `reseller`) in one insert;
    `data(obj)` gives each event's data."""
    AuditEvent.objects.bulk_create(
        audit_events(actor=actor, action=action, objects=objects, data=data)
    )


def audit_events(*, actor, action: str, objects, data) -> list[AuditEvent]:
    """The events `audit_each` appends, unsaved: for a caller that writes them in bulk its own
    way (the billing run by COPY)."""
    _check(action)
    return [
        _event(actor=actor, reseller=obj.reseller, action=action, obj=obj, data=data(obj))
        for obj in objects
    ]
