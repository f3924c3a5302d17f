"""Transfers of a customer's subscriptions from its current provider to the target reseller
(DESIGN "Transfers"): services and the selectors of both sides.

The target asks (`transfer_request`) and alone may cancel while pending; the current provider
decides: a reseller on the portal with that MPN/Partner ID, or operations for a provider outside
the portal. On approval the source's subscription row is kept as history (status
"transferred") and the target gets a new row with the same Partner Center ID. Billing splits on
the transfer date D: the source is credited from D+1 to the end of its current cycle, the target
is charged from D+1 to the end of the cycle containing D+1.
"""

import re
import uuid
from datetime import timedelta

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Count
from django.http import Http404
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils import timezone
from django_scopes import scopes_disabled

from customers.models import Customer
from partner_center.errors import GatewayError, NotSupported
from partner_center.gateway import get_gateway
from partner_center.types import TRANSFER_COMPLETED, TRANSFER_REJECTED, TransferRequest
from portal.audit import audit
from portal.idempotency import require_valid_key
from portal.models import Membership, Reseller
from portal.notifications import notify, notify_operations
from portal.permissions import require, require_staff
from portal.roles import Role
from portal.tenancy import member_service, require_same_reseller
from portal.upkeep import each_row
from programs.defaults import BASE as BASE_PROGRAM
from programs.gates import require_program_for_product, require_programs
from subscriptions import rules
from subscriptions.catalog.models import Offer, ProductType
from subscriptions.models import (
    ChargeEvent,
    ScheduledChange,
    SeatAssignment,
    SeatBatch,
    Subscription,
)
from subscriptions.selectors import customer_cycle_price
from subscriptions.services import _emit, _gateway_call, cycle_key
from subscriptions.transfers.models import Transfer, TransferItem
from webhooks.events import emit

MPN_ID = re.compile(r"^\d{6,10}$")


# Selectors: each side through its own scoped manager.


def _with_list_data(qs):
    return (
        qs.select_related("customer", "target_reseller", "source_reseller", "requested_by")
        .annotate(item_count=Count("items"))
        .order_by("-requested_at", "-pk")
    )


def transfers_outgoing(reseller):
    """Requests the reseller made as target (one query)."""
    return _with_list_data(Transfer.objects.filter(target_reseller=reseller))


def transfers_incoming(reseller):
    """Requests to move subscriptions away from the reseller (one query)."""
    return _with_list_data(Transfer.incoming.filter(source_reseller=reseller))


def transfers_external():
    """Requests whose current provider is outside the portal: operations decide them."""
    return _with_list_data(Transfer.objects.filter(source_reseller__isnull=True))


def transfer_get_outgoing(*, member, transfer_id: int) -> Transfer:
    return get_object_or_404(transfers_outgoing(member.reseller), pk=transfer_id)


def transfer_get_incoming(*, member, transfer_id: int) -> Transfer:
    return get_object_or_404(transfers_incoming(member.reseller), pk=transfer_id)


def transfer_items(transfer: Transfer):
    return transfer.items.select_related("offer", "source_subscription", "target_subscription")


def transfer_tenant(customer) -> str:
    """The customer's Microsoft tenant, from Partner Center's answer only: the tenant linked
    to the customer, or the one Partner Center lists as a customer of the distributor for the
    customer's reseller under its primary domain (the customer accepted the reseller's
    relationship request). Another reseller's tenant is never reachable by typing its ID."""
    if customer.tenant_id:
        return str(customer.tenant_id)
    info = _gateway_call(
        get_gateway().find_customer,
        domain=customer.primary_domain,
        reseller_mpn_id=customer.reseller.partner_id or "",
    )
    if info is None:
        raise ValidationError(
            f"Partner Center does not list {customer.primary_domain} as your customer: send "
            "the customer your relationship link first (customer page)."
        )
    return info.tenant_id


def partner_center_subscriptions(customer) -> list:
    """The customer's active subscriptions as Partner Center lists them, with our offer."""
    listed = _gateway_call(get_gateway().get_subscriptions, transfer_tenant(customer))
    offers = {o.sku: o for o in Offer.objects.filter(sku__in={s.offer_sku for s in listed})}
    return [(s, offers.get(s.offer_sku)) for s in listed if s.status == "active"]


# Services


def _require_verified_partner_id(reseller) -> None:
    if not reseller.partner_id_verified:
        raise PermissionDenied(
            "Operations have not verified your MPN/Partner ID yet: transfers are allowed once "
            "they have (they check it belongs to your company)."
        )


def _managers(reseller) -> list:
    """Owners and admins of either side (the other side is outside the caller's scope)."""
    with scopes_disabled():
        return [
            m.user
            for m in Membership.objects.filter(reseller=reseller, role__in=[Role.OWNER, Role.ADMIN])
            .select_related("user")
            .order_by("pk")
        ]


def _audit(user, transfer: Transfer, verb: str, **data):
    """One event in the trail of each side on the portal."""
    for reseller in filter(None, [transfer.target_reseller, transfer.source_reseller]):
        audit(
            actor=user,
            reseller=reseller,
            obj=transfer,
            action=f"subscriptions.transfer.{verb}",
            data=data,
        )
        emit("transfer.updated", transfer, reseller=reseller, key=verb)


def _tell_target(transfer: Transfer, title: str, body: str = ""):
    users = {u.pk: u for u in [transfer.requested_by, *_managers(transfer.target_reseller)]}
    notify(
        reseller=transfer.target_reseller,
        users=list(users.values()),
        title=title,
        body=body,
        url=reverse("subscriptions:transfer", kwargs={"transfer_id": transfer.pk}),
    )


def _tell_source(transfer: Transfer, title: str, body: str = ""):
    if transfer.source_reseller is None:
        url = settings.SITE_URL + reverse(
            "subscriptions_transfers_ops:detail", kwargs={"transfer_id": transfer.pk}
        )
        notify_operations(subject=title, body=f"{body}\n\n{url}".strip())
        return
    notify(
        reseller=transfer.source_reseller,
        users=_managers(transfer.source_reseller),
        title=title,
        body=body,
        url=reverse("subscriptions:transfer_incoming", kwargs={"transfer_id": transfer.pk}),
    )


def _source_partner(source_reseller, tenant_id: str, name: str) -> tuple[str, str]:
    """The current provider as Partner Center knows it (a New Commerce transfer names the
    sourcing partner's tenant GUID and name): a reseller on the portal transacts through the
    distributor, whose tenant it is; a provider outside the portal is named by the requester."""
    if source_reseller is not None:
        return str(settings.PARTNER_CENTER_PROVIDER_TENANT_ID), settings.BILLING_ISSUER["name"]
    tenant_id, name = (tenant_id or "").strip(), (name or "").strip()
    try:
        tenant_id = str(uuid.UUID(tenant_id))
    except ValueError:
        raise ValidationError(
            "Enter the current provider's partner tenant ID (a GUID such as "
            "“da6c51b5-1246-4a42-b4ab-cbf38df54537”): Partner Center names the provider by it."
        ) from None
    if not name:
        raise ValidationError("Enter the current provider's company name.")
    return tenant_id, name


@member_service
def transfer_request(
    *,
    member,
    customer,
    source_partner_id: str,
    subscription_ids: list[str],
    idempotency_key: str,
    source_partner_tenant_id: str = "",
    source_partner_name: str = "",
    customer_email: str = "",
) -> Transfer:
    """Ask the current provider (by MPN/Partner ID) to move 1–25 of the customer's
    subscriptions to the member's reseller: a New Commerce transfer request in Partner Center
    (the provider's partner tenant and name, the customer's e-mail for Microsoft's notice —
    the customer's contact unless another is given)."""
    require_valid_key(idempotency_key)
    require(member, "orders.place")
    require_same_reseller(member, customer)
    require_programs(member.reseller, [BASE_PROGRAM], action="take over subscriptions")
    _require_verified_partner_id(member.reseller)
    replayed = Transfer.objects.filter(
        target_reseller=member.reseller, idempotency_key=idempotency_key
    ).first()
    if replayed:  # a double submit
        return replayed
    mpn = (source_partner_id or "").strip()
    ids = list(dict.fromkeys(s.strip() for s in subscription_ids if s and s.strip()))
    if not MPN_ID.match(mpn):
        raise ValidationError(
            f"The current provider's MPN/Partner ID “{mpn}” must be a number of 6 to 10 digits."
        )
    if mpn == member.reseller.partner_id:
        raise ValidationError(
            f"{mpn} is your own MPN/Partner ID: enter the ID of the customer's current provider."
        )
    if not ids:
        raise ValidationError("Choose at least one subscription to transfer.")
    if len(ids) > Transfer.MAX_ITEMS:
        raise ValidationError(
            f"A transfer request may move at most {Transfer.MAX_ITEMS} "
            f"subscriptions; you chose {len(ids)}. Split it into several "
            "requests."
        )
    tenant = transfer_tenant(customer)
    listed = {s.subscription_id: (s, offer) for s, offer in partner_center_subscriptions(customer)}
    with scopes_disabled():  # who holds these subscriptions on the portal, whichever reseller
        held = {
            s.partner_center_id: s
            for s in Subscription.objects.filter(
                partner_center_id__in=ids, status=Subscription.Status.ACTIVE
            ).select_related("reseller")
        }
        in_pending = set(
            TransferItem.objects.filter(
                partner_center_id__in=ids, transfer__status=Transfer.Status.PENDING
            ).values_list("partner_center_id", flat=True)
        )
        # only a reseller whose ID operations verified hears of (and decides) the request;
        # an unverified claim of the ID is nobody's: operations decide
        source_reseller = Reseller.objects.filter(
            partner_id=mpn, partner_id_verified_at__isnull=False
        ).first()
    today = timezone.now().date()
    errors = []
    for pc_id in ids:
        info, offer = listed.get(pc_id, (None, None))
        sub = held.get(pc_id)
        if info is None:
            errors.append(f"{pc_id} is not an active subscription of {customer} in Partner Center.")
        elif sub is not None and sub.reseller_id == member.reseller_id:
            errors.append(f"{pc_id} is already yours.")
        elif sub is not None and sub.reseller.partner_id != mpn:
            errors.append(f"{pc_id} is not provided by partner {mpn}.")
        elif pc_id in in_pending:
            errors.append(f"{pc_id} is already part of a pending transfer request.")
        elif offer is None:
            errors.append(f"{pc_id}: offer {info.offer_sku} is not in the catalog.")
        elif (
            customer_cycle_price(
                customer=customer,
                offer=offer,
                term=info.term,
                frequency=info.billing_frequency,
                on=today,
            )
            is None
        ):
            errors.append(f"{pc_id}: {offer.name} has no {info.term} price in {customer.currency}.")
    if errors:
        raise ValidationError(errors)
    for _info, offer in (listed[pc_id] for pc_id in ids):
        require_program_for_product(
            member.reseller, offer.product_type, action=f"take over {offer.name}"
        )
    source_tenant, source_name = _source_partner(
        source_reseller, source_partner_tenant_id, source_partner_name
    )
    email = (customer_email or customer.contact_email or "").strip()
    if "@" not in email:
        raise ValidationError(
            "Enter the customer's e-mail: Microsoft sends it the transfer notice."
        )
    pc = _gateway_call(
        get_gateway().create_transfer,
        tenant,
        TransferRequest(
            source_partner_tenant_id=source_tenant,
            source_partner_name=source_name,
            customer_email=email,
            subscription_ids=ids,
            customer_name=customer.company_name,
            partner_id_on_record=member.reseller.partner_id or "",
        ),
        idempotency_key=f"transfer:{member.reseller_id}:{idempotency_key}",
    )
    now = timezone.now()
    transfer = Transfer.objects.create(
        target_reseller=member.reseller,
        customer=customer,
        source_partner_id=mpn,
        source_reseller=source_reseller,
        source_partner_tenant_id=uuid.UUID(source_tenant),
        source_partner_name=source_name,
        customer_email=email,
        partner_center_status=pc.status,
        partner_center_transfer_id=pc.transfer_id,
        tenant_id=uuid.UUID(tenant),
        requested_by=member.user,
        requested_at=now,
        expires_at=now + timedelta(days=settings.TRANSFER_EXPIRY_DAYS),
        idempotency_key=idempotency_key,
    )
    TransferItem.objects.bulk_create(
        [
            TransferItem(
                transfer=transfer,
                partner_center_id=pc_id,
                offer=listed[pc_id][1],
                quantity=listed[pc_id][0].quantity,
                source_subscription=held.get(pc_id),
            )
            for pc_id in ids
        ]
    )
    _audit(member.user, transfer, "requested", source_partner_id=mpn, subscriptions=ids)
    _tell_source(
        transfer,
        f"{member.reseller.name} asks to transfer {len(ids)} "
        f"subscription{'s' if len(ids) > 1 else ''} of {customer}",
        f"Approve or decline by {transfer.expires_at:%Y-%m-%d %H:%M} UTC; after that "
        "the request expires.",
    )
    return transfer


def _lock(transfer: Transfer) -> Transfer:
    with scopes_disabled():
        return (
            Transfer.objects.select_for_update(of=("self",))
            .select_related("customer", "target_reseller", "source_reseller", "requested_by")
            .get(pk=transfer.pk)
        )


def _require_pending(transfer: Transfer, now) -> None:
    if not transfer.is_pending:
        raise ValidationError(
            f"This transfer is {transfer.get_status_display().lower()}; only "
            "a pending request can be changed."
        )
    if now >= transfer.expires_at:
        raise ValidationError(f"This request expired on {transfer.expires_at:%Y-%m-%d %H:%M} UTC.")


@member_service
def transfer_cancel(*, member, transfer: Transfer) -> Transfer:
    """Only the target cancels, and only while the request is pending."""
    require(member, "orders.place")
    if transfer.target_reseller_id != member.reseller_id:
        raise Http404("Not found.")
    transfer = _lock(transfer)
    now = timezone.now()
    _require_pending(transfer, now)
    info = _gateway_call(
        get_gateway().cancel_transfer, str(transfer.tenant_id), transfer.partner_center_transfer_id
    )
    transfer.status, transfer.decided_by, transfer.decided_at = (
        Transfer.Status.CANCELED,
        member.user,
        now,
    )
    transfer.partner_center_status = info.status
    transfer.save(update_fields=["status", "partner_center_status", "decided_by", "decided_at"])
    _audit(member.user, transfer, "canceled")
    _tell_source(
        transfer,
        f"{transfer.target_reseller.name} canceled its transfer request for {transfer.customer}",
    )
    return transfer


@transaction.atomic
def transfer_decide(*, actor, transfer: Transfer, approve: bool, reason: str = "") -> Transfer:
    """The current provider approves (completing the transfer) or declines with a reason.
    `actor` is a Membership of the source reseller, or a staff user for an external provider.
    A Partner Center error while completing leaves the transfer failed with its message."""
    if isinstance(actor, Membership):
        require(actor, "transfers.decide")
        if transfer.source_reseller_id is None or transfer.source_reseller_id != actor.reseller_id:
            raise Http404("Not found.")
        _require_verified_partner_id(actor.reseller)
        user = actor.user
    else:
        require_staff(actor)
        if not transfer.is_external:
            raise PermissionDenied(
                "The current provider is a reseller on the portal: it decides this request itself."
            )
        user = actor
    transfer = _lock(transfer)
    now = timezone.now()
    _require_pending(transfer, now)
    reason = (reason or "").strip()
    if not approve and not reason:
        raise ValidationError("Give a reason for declining: the requesting reseller sees it.")
    with scopes_disabled():  # the work spans both resellers; access was checked above
        transfer.decided_by, transfer.decided_at = user, now
        if not approve:
            transfer.partner_center_status = _respond(transfer, approve=False).status
            transfer.status, transfer.decline_reason = Transfer.Status.DECLINED, reason
            transfer.save(
                update_fields=[
                    "status",
                    "partner_center_status",
                    "decline_reason",
                    "decided_by",
                    "decided_at",
                ]
            )
            _audit(user, transfer, "declined", reason=reason)
            _tell_target(
                transfer,
                f"Transfer of {transfer.customer}'s subscriptions declined",
                f"Reason: {reason}",
            )
            return transfer
        try:
            with transaction.atomic():
                _complete(transfer, user, now)
        except (GatewayError, ValidationError) as exc:
            message = exc.message if isinstance(exc, GatewayError) else " ".join(exc.messages)
            transfer.status, transfer.failure_message = Transfer.Status.FAILED, message
            transfer.save(update_fields=["status", "failure_message", "decided_by", "decided_at"])
            _audit(user, transfer, "failed", message=message)
            _tell_target(
                transfer, f"Transfer of {transfer.customer}'s subscriptions failed", message
            )
            return transfer
        _audit(user, transfer, "completed")
        _tell_target(
            transfer,
            f"Transfer of {transfer.customer}'s subscriptions completed",
            "The subscriptions are now yours; you are billed from "
            f"{now.date() + timedelta(days=1)}.",
        )
        return transfer


def _respond(transfer: Transfer, *, approve: bool):
    """The current provider's answer in Partner Center (the sourcing side of a New Commerce
    transfer): accept with the transfer's line items, or reject. Where the gateway cannot
    answer for the provider (Partner Center's API has no rejection), the provider answers in
    Partner Center and we read the outcome."""
    gateway = get_gateway()
    tenant = str(transfer.tenant_id)
    expected = TRANSFER_COMPLETED if approve else TRANSFER_REJECTED
    try:
        if approve:
            info = gateway.accept_transfer(
                tenant,
                transfer.partner_center_transfer_id,
                subscription_ids=list(transfer.items.values_list("partner_center_id", flat=True)),
                idempotency_key=f"transfer-accept:{transfer.pk}",
            )
        else:
            info = gateway.reject_transfer(tenant, transfer.partner_center_transfer_id)
    except NotSupported:
        info = gateway.get_transfer(tenant, transfer.partner_center_transfer_id)
    if info.status != expected:
        raise ValidationError(
            f"Partner Center shows the transfer as {info.status}, not {expected}."
        )
    return info


def _complete(transfer: Transfer, user, now) -> None:
    transfer.partner_center_status = _respond(transfer, approve=True).status
    listed = {
        s.subscription_id: s for s in get_gateway().get_subscriptions(str(transfer.tenant_id))
    }
    day_after = now.date() + timedelta(days=1)
    for item in transfer.items.select_related("offer__product_type", "source_subscription"):
        info = listed.get(item.partner_center_id)
        if info is None:
            raise ValidationError(f"Partner Center no longer lists {item.partner_center_id}.")
        seats = item.offer.product_type.billing == ProductType.Billing.SEATS
        source = item.source_subscription
        if source is not None:
            _move_out(transfer, source, now, day_after, seats=seats)
        target = _move_in(transfer, item, info, source, day_after, seats=seats)
        item.target_subscription = target
        item.save(update_fields=["target_subscription"])
    _move_tenant(transfer)
    transfer.status, transfer.completed_at = Transfer.Status.COMPLETED, now
    transfer.save(
        update_fields=[
            "status",
            "partner_center_status",
            "completed_at",
            "decided_by",
            "decided_at",
        ]
    )


def _move_tenant(transfer: Transfer) -> None:
    """One tenant, one reseller: the tenant moves to the target's customer with the last of
    its subscriptions held by another reseller's customer (a customer with more than 25 moves
    in several requests; until the last one the tenant stays with the source)."""
    customer = Customer.objects.select_for_update().get(pk=transfer.customer_id)
    if customer.tenant_id:
        return
    holder = Customer.objects.select_for_update().filter(tenant_id=transfer.tenant_id).first()
    if holder is not None:
        if Subscription.objects.filter(customer=holder, status=Subscription.Status.ACTIVE).exists():
            return
        holder.tenant_id = None
        holder.save(update_fields=["tenant_id"])
        audit(
            actor=None,
            reseller=holder.reseller,
            obj=holder,
            action="customers.customer.tenant_moved",
            data={
                "tenant_id": str(transfer.tenant_id),
                "to": transfer.target_reseller.name,
                "transfer": transfer.pk,
            },
        )
    customer.tenant_id = transfer.tenant_id
    customer.save(update_fields=["tenant_id"])
    transfer.customer.tenant_id = transfer.tenant_id
    audit(
        actor=None,
        reseller=customer.reseller,
        obj=customer,
        action="customers.customer.tenant_linked",
        data={"tenant_id": str(transfer.tenant_id), "transfer": transfer.pk},
    )


def _move_out(transfer, source: Subscription, now, day_after, *, seats: bool) -> None:
    source = (
        Subscription.objects.select_for_update(of=("self",))
        .select_related("offer__product_type")
        .get(pk=source.pk)
    )
    if not source.is_active:
        raise ValidationError(
            f"{source} is {source.get_status_display().lower()} at the current provider."
        )
    if seats:
        _, cycle_end = rules.cycle_containing(
            source.term_start, source.billing_frequency, now.date()
        )
        if day_after <= cycle_end:  # the source pays through the transfer date
            _emit(
                source,
                ChargeEvent.Kind.TRANSFER_OUT,
                key=f"transfer:{transfer.pk}:out:{source.pk}",
                on=day_after,
                quantity=-source.quantity,
            )
    source.status, source.ended_at = Subscription.Status.TRANSFERRED, now
    source.save(update_fields=["status", "ended_at"])
    ScheduledChange.objects.filter(subscription=source).delete()
    audit(
        actor=None,
        reseller=source.reseller,
        obj=source,
        action="subscriptions.subscription.transferred_out",
        data={"transfer": transfer.pk, "to": transfer.target_reseller.name},
    )


def _move_in(transfer, item, info, source, day_after, *, seats: bool) -> Subscription:
    customer = transfer.customer
    prices = customer_cycle_price(
        customer=customer,
        offer=item.offer,
        term=info.term,
        frequency=info.billing_frequency,
        on=day_after,
    )
    if prices is None:
        raise ValidationError(
            f"{item.offer.name} has no {info.term} price in "
            f"{customer.currency} for {transfer.target_reseller.name}."
        )
    opened = source.window_opened_at if source else info.created_at
    target = Subscription.objects.create(
        reseller=transfer.target_reseller,
        customer=customer,
        offer=item.offer,
        partner_center_id=item.partner_center_id,
        term=info.term,
        billing_frequency=info.billing_frequency,
        quantity=info.quantity,
        auto_renew=info.auto_renew,
        purchased_at=source.purchased_at if source else opened,
        term_start=info.term_start,
        term_end=info.term_end,
        window_opened_at=opened,
        currency=customer.currency,
        unit_cost=prices.cost,
        unit_price=prices.price,
        created_by=transfer.requested_by,
    )
    # the seats keep their original window: a transfer does not reopen removal
    SeatBatch.objects.create(
        reseller=target.reseller, subscription=target, quantity=target.quantity, opened_at=opened
    )
    if source is not None:  # the customer's users keep their seats with the new provider
        SeatAssignment.objects.bulk_create(
            SeatAssignment(
                reseller=target.reseller,
                subscription=target,
                display_name=a.display_name,
                user_principal_name=a.user_principal_name,
                assigned_at=a.assigned_at,
            )
            for a in source.assignments.order_by("assigned_at", "pk")[: target.quantity]
        )
    if seats and day_after <= target.term_end:  # past the term end the renewal charges it
        cycle_start, _ = rules.cycle_containing(
            target.term_start, target.billing_frequency, day_after
        )
        # from a cycle's first day it is that cycle's charge: the daily cycle run skips it
        key = (
            cycle_key(target, cycle_start)
            if cycle_start == day_after
            else f"transfer:{transfer.pk}:in:{target.pk}"
        )
        _emit(target, ChargeEvent.Kind.TRANSFER_IN, key=key, on=day_after, quantity=target.quantity)
    audit(
        actor=None,
        reseller=target.reseller,
        obj=target,
        action="subscriptions.subscription.transferred_in",
        data={
            "transfer": transfer.pk,
            "from": transfer.source_partner_id,
            "unit_price": str(prices.price),
            "unit_cost": str(prices.cost),
        },
    )
    return target


def transfers_expire(*, now=None) -> int:
    """Expire pending requests past their expiry (beat task, system actor). Idempotent; each
    request in its own transaction (one that fails is recorded, the others go on)."""
    now = now or timezone.now()
    with scopes_disabled():
        due = list(
            Transfer.objects.filter(
                status=Transfer.Status.PENDING, expires_at__lte=now
            ).values_list("pk", flat=True)
        )

    def expire(pk):
        with scopes_disabled():
            transfer = _lock(Transfer(pk=pk))
            if not transfer.is_pending:
                return
            transfer.status = Transfer.Status.EXPIRED
            transfer.save(update_fields=["status"])
            _audit(None, transfer, "expired", expires_at=transfer.expires_at.isoformat())
            _tell_target(
                transfer,
                f"Transfer request for {transfer.customer} expired",
                "The current provider did not answer in time; request it again if needed.",
            )

    each_row("subscriptions.transfer_expiry", Transfer, due, expire)
    return len(due)
