"""The events a reseller's webhook endpoint may subscribe to, with what each says. The payload's
`data` of an event about a resource has the field names of that resource in the API."""

EVENT_TYPES: dict[str, str] = {
    "customer.created": "A customer was created (data: the customer, as in the API).",
    "customer.mca_accepted": "A customer accepted the Microsoft Customer Agreement (data: "
    "customer, mca_status and acceptance, as GET /api/v1/customers/{id}/mca/).",
    "subscription.created": "A subscription was ordered; it is being provisioned (data: the "
    "subscription).",
    "subscription.provisioned": "Partner Center confirmed the order (data: the subscription, "
    "with its Partner Center ID and term).",
    "subscription.failed": "Partner Center refused the order (data: the subscription, with "
    "provisioning_error).",
    "subscription.seats_changed": "Seats were added or removed (data: the subscription and "
    "quantity_before).",
    "subscription.cancelled": "A subscription was cancelled (data: the subscription).",
    "subscription.renewed": "A subscription renewed for a new term (data: the subscription).",
    "subscription.upgraded": "Seats were upgraded to another product (data: the new "
    "subscription, upgraded_from: the source's id, seats: how many moved).",
    "transfer.updated": "A transfer of subscriptions to or from the reseller changed state "
    "(requested, completed, declined, canceled, expired, failed).",
    "invoice.finalized": "The distributor finalized an invoice (data: the invoice).",
    "statement.ready": "A customer statement's PDF is ready (data: the statement).",
    "usage.imported": "A usage import finished and its lines are in the usage summaries.",
    "program_request.decided": "Operations approved, rejected or revoked a program request.",
    "ticket.replied": "A public message was added to a support ticket (data: ticket and message).",
    "budget.alert": "An Azure budget reached 80 %, 100 % or is forecast above its amount.",
    "anomaly.detected": "A customer's daily Azure cost rose far above its baseline.",
}


def event_choices() -> list[tuple[str, str]]:
    return [(name, name) for name in EVENT_TYPES]
