"""End customers, the MCA click-through and its logging in Partner Center.

Reseller-side services take `member`; the customer's click-through takes the link token;
operations ones take the staff `user`.
"""

import logging
import uuid
from datetime import timedelta

from celery import shared_task
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django_scopes import scope, scopes_disabled

from customers import agreement, emails, links
from customers.models import Customer, McaAcceptance, McaInvitation, McaStatus
from partner_center.auth import keep_admin_credentials, take_admin_credentials
from partner_center.errors import AlreadyAttested, GatewayError, RateLimited, Unavailable
from partner_center.gateway import get_gateway
from partner_center.types import CustomerRequest
from partner_center.types import McaAcceptance as Attestation
from portal.audit import audit
from portal.models import Membership
from portal.notifications import notify
from portal.permissions import require, require_staff
from portal.roles import Role
from portal.tasking import ResellerTask
from portal.tenancy import member_service, require_same_reseller
from programs.defaults import BASE as BASE_PROGRAM
from programs.gates import require_programs
from webhooks.events import emit

CUSTOMER_FIELDS = (
    "company_name",
    "country",
    "currency",
    "address_line1",
    "address_line2",
    "city",
    "region",
    "postal_code",
    "contact_first_name",
    "contact_last_name",
    "contact_email",
    "contact_phone",
    "primary_domain",
)  # not tenant_id: a tenant is linked only from Partner Center's answer (DESIGN)

logger = logging.getLogger(__name__)


class LinkRefused(Exception):
    """A customer link that cannot be used; `message` says why in plain words."""

    def __init__(self, message: str, *, reseller=None):
        super().__init__(message)
        self.message = message
        self.reseller = reseller


def require_mca_accepted(customer: Customer) -> None:
    """The MCA guard: no purchase and no seat change before the customer accepted the MCA.
    Every subscription service that orders or changes seats calls this first."""
    if not customer.mca_accepted:
        raise ValidationError(f"MCA not accepted for {customer}.")


def require_ready_to_order(customer: Customer) -> None:
    """The order guard: Partner Center takes an order only for a tenant whose MCA acceptance it
    has attested. Refuses with the first thing still missing (the buy page lists them all)."""
    from customers.selectors import order_readiness

    missing = order_readiness(customer)
    if missing:
        raise ValidationError(missing[0].refusal or missing[0].text)


def _attest_when_ready(customer: Customer) -> None:
    """Attest the customer's acceptance in Partner Center as soon as both the acceptance and
    the tenant exist, whichever comes second (queued once the caller's transaction commits)."""
    if not (settings.MCA_ATTEST_VIA_GATEWAY and customer.tenant_id):
        return
    acceptance = McaAcceptance.objects.filter(customer=customer, logged_at__isnull=True).first()
    if acceptance:
        mca_attest_task.delay_on_commit(acceptance.pk, reseller_id=acceptance.reseller_id)


def _apply(customer: Customer, fields: dict) -> dict:
    changed = {}
    for name, value in fields.items():
        if name not in CUSTOMER_FIELDS:
            raise ValidationError(f"{name} is not a field of a customer.")
        if name == "primary_domain" and isinstance(value, str):
            value = value.strip().lower()
        if getattr(customer, name) != value:
            changed[name] = str(value) if value is not None else None
            setattr(customer, name, value)
    customer.full_clean()
    return changed


@member_service
def customer_create(*, member, **fields) -> Customer:
    require(member, "customers.edit")
    require_programs(member.reseller, [BASE_PROGRAM], action="onboard customers")
    customer = Customer(reseller=member.reseller)
    _apply(customer, fields)
    customer.save()
    audit(
        actor=member.user,
        reseller=member.reseller,
        obj=customer,
        action="customers.customer.created",
        data={"company_name": customer.company_name, "domain": customer.primary_domain},
    )
    emit("customer.created", customer)
    return customer


def _running_subscriptions(customer: Customer) -> tuple[int, list[str]]:
    """How many of the customer's subscriptions are active, and their currencies (read through
    the reverse relation: this layer does not import the subscriptions app)."""
    currencies = list(
        customer.subscriptions.filter(status="active").values_list("currency", flat=True)
    )
    return len(currencies), sorted(set(currencies))


def _check_currency_change(customer: Customer, fields: dict) -> None:
    """A customer's currency cannot change while subscriptions run: Partner Center keeps
    billing them in their currency. Operations have their own path
    (`customer_change_currency`)."""
    if "currency" not in fields or fields["currency"] == customer.currency:
        return
    count, currencies = _running_subscriptions(customer)
    if count:
        them = "them" if count > 1 else "it"
        billed = ", ".join(currencies)
        raise ValidationError(
            f"{customer} has {count} active subscription{'s' if count > 1 else ''} billed in "
            f"{billed}, and Partner Center keeps billing {them} in {billed}: the currency "
            f"cannot change while {'they run' if count > 1 else 'it runs'}. Operations can "
            "change it for new subscriptions (open a ticket)."
        )


@member_service
def customer_update(*, member, customer: Customer, **fields) -> Customer:
    require(member, "customers.edit")
    require_same_reseller(member, customer)
    _check_currency_change(customer, fields)
    changed = _apply(customer, fields)
    if changed:
        customer.save()
        audit(
            actor=member.user,
            reseller=member.reseller,
            obj=customer,
            action="customers.customer.changed",
            data=changed,
        )
    return customer


def _locked_without_tenant(member, customer: Customer) -> Customer:
    require(member, "customers.edit")
    require_same_reseller(member, customer)
    require_programs(member.reseller, [BASE_PROGRAM], action="onboard customers")
    customer = Customer.objects.select_for_update().get(pk=customer.pk)
    if customer.tenant_id:
        raise ValidationError(f"{customer} already has a Microsoft tenant ({customer.tenant_id}).")
    if not member.reseller.partner_id:
        raise ValidationError(
            "Enter your MPN/Partner ID in the partner profile first: Partner "
            "Center needs it to find or create the customer."
        )
    return customer


def _link(customer: Customer, tenant_id: str) -> None:
    """Keep the tenant Partner Center answered with; the database holds one customer per
    tenant, so another customer's tenant is refused."""
    with scopes_disabled():
        taken = Customer.objects.filter(tenant_id=tenant_id).exclude(pk=customer.pk).exists()
    if taken:
        raise ValidationError(
            "This Microsoft tenant is already linked to another customer on "
            "the portal. If it should be yours, ask operations to relink it."
        )
    customer.tenant_id = uuid.UUID(str(tenant_id))
    customer.save(update_fields=["tenant_id"])


@member_service
def customer_create_in_partner_center(*, member, customer: Customer) -> Customer:
    """Create the customer's Microsoft tenant through Partner Center and keep its tenant ID.
    The idempotency key is the customer's: a retry never creates a second tenant."""

    customer = _locked_without_tenant(member, customer)
    request = CustomerRequest(
        company_name=customer.company_name,
        country=customer.country,
        domain=customer.primary_domain,
        address_line1=customer.address_line1,
        city=customer.city,
        postal_code=customer.postal_code,
        region=customer.region,
        contact_first_name=customer.contact_first_name,
        contact_last_name=customer.contact_last_name,
        contact_email=customer.contact_email,
        contact_phone=customer.contact_phone,
        associated_partner_id=str(member.reseller.tenant_id or ""),
    )
    try:
        info = get_gateway().create_customer(request, idempotency_key=f"customer:{customer.pk}")
    except GatewayError as exc:
        raise ValidationError(f"Partner Center refused it: {exc.message}") from exc
    _link(customer, info.tenant_id)
    keep_admin_credentials(info.tenant_id, info.admin_user_name, info.admin_password)
    audit(
        actor=member.user,
        reseller=member.reseller,
        obj=customer,
        action="customers.customer.tenant_created",
        data={"tenant_id": info.tenant_id},
    )
    _attest_when_ready(customer)
    return customer


@member_service
def customer_link_tenant(*, member, customer: Customer) -> Customer:
    """Link the tenant of an existing Microsoft customer: Partner Center must know it as a
    customer of the distributor with this reseller's partner ID, under the customer's primary
    domain. The tenant ID comes from that answer, never from the reseller."""
    from partner_center.errors import GatewayError
    from partner_center.gateway import get_gateway

    customer = _locked_without_tenant(member, customer)
    try:
        info = get_gateway().find_customer(
            domain=customer.primary_domain, reseller_mpn_id=member.reseller.partner_id
        )
    except GatewayError as exc:
        raise ValidationError(f"Partner Center refused it: {exc.message}") from exc
    if info is None:
        raise ValidationError(
            f"Partner Center has no customer {customer.primary_domain} of the distributor with "
            f"your partner ID {member.reseller.partner_id}. Send the customer the relationship "
            "link first, or create a new tenant."
        )
    _link(customer, info.tenant_id)
    audit(
        actor=member.user,
        reseller=member.reseller,
        obj=customer,
        action="customers.customer.tenant_linked",
        data={"tenant_id": info.tenant_id, "domain": info.domain},
    )
    _attest_when_ready(customer)
    return customer


@transaction.atomic
def customer_relink_tenant(
    *, user, customer_id: int, tenant_id: str | None, reason: str
) -> Customer:
    """Operations link the customer to another Microsoft tenant (or none), with a reason.
    Partner Center must know the tenant. The MCA starts again: the acceptance (kept in the
    audit trail) was for the old tenant."""
    from partner_center.errors import GatewayError, NotFound
    from partner_center.gateway import get_gateway

    require_staff(user)
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError("Give the reason for relinking the tenant (audit trail).")
    with scopes_disabled():
        customer = (
            Customer.objects.select_for_update(of=("self",))
            .select_related("reseller")
            .get(pk=customer_id)
        )
        before = str(customer.tenant_id) if customer.tenant_id else None
        if tenant_id:
            try:
                get_gateway().get_customer(str(tenant_id))
            except NotFound:
                raise ValidationError(f"Partner Center has no customer {tenant_id}.") from None
            except GatewayError as exc:
                raise ValidationError(f"Partner Center refused it: {exc.message}") from exc
            _link(customer, str(tenant_id))
        else:
            customer.tenant_id = None
            customer.save(update_fields=["tenant_id"])
        acceptance = McaAcceptance.objects.filter(customer=customer).first()
        previous_mca = (
            {
                "by": acceptance.name,
                "email": acceptance.email,
                "date_agreed": acceptance.date_agreed.isoformat(),
                "logged_at": acceptance.logged_at and acceptance.logged_at.isoformat(),
                "reference": acceptance.partner_center_reference,
            }
            if acceptance
            else None
        )
        if acceptance:
            acceptance.delete()
        _close_active_link(customer, McaInvitation.State.REVOKED, timezone.now())
        customer.mca_status = McaStatus.NOT_SENT
        customer.save(update_fields=["mca_status"])
        audit(
            actor=user,
            reseller=customer.reseller,
            obj=customer,
            action="customers.customer.tenant_relinked",
            data={
                "before": before,
                "after": str(customer.tenant_id or "") or None,
                "reason": reason,
                "mca_reset": True,
                "previous_mca": previous_mca,
            },
        )
    return customer


def _close_active_link(customer: Customer, state: str, now) -> McaInvitation | None:
    active = (
        McaInvitation.objects.select_for_update()
        .filter(customer=customer, state=McaInvitation.State.ACTIVE)
        .first()
    )
    if active:
        active.state = state
        active.closed_at = now
        active.save(update_fields=["state", "closed_at"])
    return active


@member_service
def mca_send(*, member, customer: Customer) -> McaInvitation:
    """E-mail the customer contact a new click-through link; an earlier link stops working."""
    require(member, "customers.edit")
    require_same_reseller(member, customer)
    require_programs(member.reseller, [BASE_PROGRAM], action="onboard customers")
    customer = Customer.objects.select_for_update().get(pk=customer.pk)
    if customer.mca_accepted:
        raise ValidationError(
            f"{customer} already accepted the MCA on "
            f"{customer.mca_acceptance.date_agreed:%Y-%m-%d}."
        )
    now = timezone.now()
    previous = _close_active_link(customer, McaInvitation.State.SUPERSEDED, now)
    invitation = McaInvitation.objects.create(
        reseller=member.reseller,
        customer=customer,
        sent_to=customer.contact_email,
        sent_by=member.user,
        sent_at=now,
        expires_at=now + timedelta(days=settings.MCA_LINK_MAX_AGE_DAYS),
    )
    customer.mca_status = McaStatus.SENT
    customer.save(update_fields=["mca_status"])
    audit(
        actor=member.user,
        reseller=member.reseller,
        obj=customer,
        action="customers.mca.resent" if previous else "customers.mca.sent",
        data={"to": invitation.sent_to, "expires_at": invitation.expires_at.isoformat()},
    )
    mca_link_email_task.delay_on_commit(invitation.pk, reseller_id=invitation.reseller_id)
    return invitation


@member_service
def mca_revoke(*, member, customer: Customer) -> McaInvitation:
    require(member, "customers.edit")
    require_same_reseller(member, customer)
    revoked = _close_active_link(customer, McaInvitation.State.REVOKED, timezone.now())
    if revoked is None:
        raise ValidationError(f"{customer} has no MCA link waiting to be accepted.")
    Customer.objects.filter(pk=customer.pk).update(mca_status=McaStatus.NOT_SENT)
    customer.mca_status = McaStatus.NOT_SENT
    audit(
        actor=member.user,
        reseller=member.reseller,
        obj=customer,
        action="customers.mca.revoked",
        data={"sent_to": revoked.sent_to},
    )
    return revoked


def _refusal(invitation: McaInvitation) -> str | None:
    reseller = invitation.reseller.name
    if invitation.state == McaInvitation.State.USED:
        return (
            f"This link has already been used: the agreement was accepted on "
            f"{invitation.closed_at:%Y-%m-%d %H:%M} UTC. Nothing more is needed from you."
        )
    if invitation.state == McaInvitation.State.REVOKED:
        return f"This link was withdrawn by {reseller}. Ask {reseller} for a new one."
    if invitation.state == McaInvitation.State.SUPERSEDED:
        return (
            f"{reseller} sent a newer link on {invitation.closed_at:%Y-%m-%d}. "
            "Use the link in the most recent e-mail."
        )
    if invitation.expires_at <= timezone.now():
        return (
            f"This link expired on {invitation.expires_at:%Y-%m-%d %H:%M} UTC. "
            f"Ask {reseller} to send a new one."
        )
    return None


TAMPERED = (
    "This link is not valid. Check that you opened the whole link from the e-mail, "
    "or ask your reseller for a new one."
)


def mca_invitation_for_token(token: str, *, for_update: bool = False) -> McaInvitation:
    """The invitation a click-through link stands for, or LinkRefused saying why not."""
    try:
        data = links.read_mca_token(token)
    except links.LinkInvalid:
        raise LinkRefused(TAMPERED) from None
    except links.LinkExpired:
        raise LinkRefused(
            f"This link expired after {settings.MCA_LINK_MAX_AGE_DAYS} days. "
            "Ask your reseller to send a new one."
        ) from None
    with scopes_disabled():
        query = McaInvitation.objects.select_related("customer", "reseller")
        if for_update:
            query = query.select_for_update(of=("self",))
        invitation = query.filter(pk=data["i"], nonce=data["n"], customer_id=data["c"]).first()
    if invitation is None:
        raise LinkRefused(TAMPERED)
    refusal = _refusal(invitation)
    if refusal:
        raise LinkRefused(refusal, reseller=invitation.reseller)
    return invitation


@transaction.atomic
def mca_accept(
    *,
    token: str,
    first_name: str,
    last_name: str,
    email: str,
    phone: str = "",
    accepted: bool,
    ip_address: str | None = None,
    user_agent: str = "",
) -> McaAcceptance:
    """Record the customer's acceptance from the click-through page. The link is used up."""
    invitation = mca_invitation_for_token(token, for_update=True)
    if not accepted:
        raise ValidationError("Tick the box to accept the Microsoft Customer Agreement.")
    customer, reseller = invitation.customer, invitation.reseller
    now = timezone.now()
    terms = agreement.current()
    with scope(reseller=reseller):
        acceptance = McaAcceptance(
            reseller=reseller,
            customer=customer,
            invitation=invitation,
            first_name=first_name.strip(),
            last_name=last_name.strip(),
            email=email.strip(),
            phone=phone.strip(),
            date_agreed=now,
            template_id=terms["template_id"],
            template_version=terms["version"],
            ip_address=ip_address or None,
            user_agent=(user_agent or "")[:500],
        )
        acceptance.full_clean(exclude=["customer", "invitation"])
        acceptance.save()
        invitation.state = McaInvitation.State.USED
        invitation.closed_at = now
        invitation.save(update_fields=["state", "closed_at"])
        Customer.objects.filter(pk=customer.pk).update(mca_status=McaStatus.ACCEPTED)
        audit(
            actor=None,
            reseller=reseller,
            obj=customer,
            action="customers.mca.accepted",
            data={
                "by": acceptance.name,
                "email": acceptance.email,
                "date_agreed": now.isoformat(),
                "template_id": acceptance.template_id,
                "ip": acceptance.ip_address,
            },
        )
        recipients = {
            m.user
            for m in Membership.objects.filter(
                reseller=reseller, role__in=[Role.OWNER, Role.ADMIN]
            ).select_related("user")
        }
        recipients.add(invitation.sent_by)
        emit("customer.mca_accepted", acceptance)
        notify(
            reseller=reseller,
            users=sorted(recipients, key=lambda u: u.pk),
            title=f"{customer} accepted the Microsoft Customer Agreement",
            body=f"Accepted by {acceptance.name} ({acceptance.email}) on "
            f"{now:%Y-%m-%d %H:%M} UTC. It is attested in Partner Center as soon as the "
            "customer has its Microsoft tenant.",
            url=reverse("customers:detail", kwargs={"customer_id": customer.pk}),
        )
        customer.refresh_from_db(fields=["tenant_id", "mca_status"])
        _attest_when_ready(customer)
    return acceptance


def _record_logged(acceptance: McaAcceptance, *, user, via: str, reference: str, data=None):
    acceptance.logged_at = timezone.now()
    acceptance.logged_by = user
    acceptance.logged_via = via
    acceptance.partner_center_reference = reference
    acceptance.log_error = ""
    acceptance.save(
        update_fields=[
            "logged_at",
            "logged_by",
            "logged_via",
            "partner_center_reference",
            "log_error",
        ]
    )
    Customer.objects.filter(pk=acceptance.customer_id).update(mca_status=McaStatus.LOGGED)
    audit(
        actor=user,
        reseller=acceptance.reseller,
        obj=acceptance.customer,
        action="customers.mca.logged",
        data={"via": via, "reference": reference, **(data or {})},
    )


def _acceptance_for_logging(acceptance_id: int) -> McaAcceptance:
    with scopes_disabled():
        acceptance = (
            McaAcceptance.objects.select_for_update(of=("self",))
            .select_related("customer", "reseller")
            .get(pk=acceptance_id)
        )
    if acceptance.logged_at:
        raise ValidationError(
            f"The MCA of {acceptance.customer} was already logged on "
            f"{acceptance.logged_at:%Y-%m-%d %H:%M} UTC."
        )
    return acceptance


@transaction.atomic
def mca_mark_logged(*, user, acceptance_id: int, reference: str) -> McaAcceptance:
    """Operations logged the acceptance in Partner Center by hand."""
    require_staff(user)
    reference = reference.strip()
    if not reference:
        raise ValidationError("Enter the Partner Center reference of the attestation.")
    acceptance = _acceptance_for_logging(acceptance_id)
    with scopes_disabled():
        _record_logged(
            acceptance, user=user, via=McaAcceptance.LoggedVia.OPERATIONS, reference=reference
        )
    return acceptance


def mca_log_with_gateway(*, acceptance_id: int, user=None) -> McaAcceptance:
    """Attest the acceptance through the Partner Center gateway. Partner Center's duplicate
    answer (600061) means it is already attested: that counts as logged. A refusal is kept on
    the acceptance for operations to see, and raised."""

    if user is not None:
        require_staff(user)
    try:
        with transaction.atomic():
            acceptance = _acceptance_for_logging(acceptance_id)
            customer = acceptance.customer
            if not customer.tenant_id:
                raise ValidationError(
                    f"{customer} has no Microsoft tenant yet: the reseller "
                    "creates or links it on the customer page first."
                )
            gateway = get_gateway()
            request = Attestation(
                first_name=acceptance.first_name,
                last_name=acceptance.last_name,
                email=acceptance.email,
                phone=acceptance.phone,
                date_agreed=acceptance.date_agreed,
                template_id=gateway.get_mca_template_id(),
            )  # Partner Center's current MCA
            try:
                result = gateway.attest_mca(str(customer.tenant_id), request)
                reference, duplicate = f"attested {result.date_agreed:%Y-%m-%d}", False
            except AlreadyAttested as exc:
                reference, duplicate = f"already attested ({exc.code})", True
            with scopes_disabled():
                _record_logged(
                    acceptance,
                    user=user,
                    via=McaAcceptance.LoggedVia.GATEWAY,
                    reference=reference,
                    data={"duplicate": duplicate},
                )
            return acceptance
    except GatewayError as exc:
        with scopes_disabled():
            McaAcceptance.objects.filter(pk=acceptance_id).update(log_error=str(exc)[:500])
        raise


@member_service
def portal_link_send(*, member, customer: Customer, rotate: bool = False) -> str:
    """E-mail the customer contact a link to the customer portal. With `rotate`, every earlier
    portal link of this customer stops working first."""
    require(member, "customers.edit")
    require_same_reseller(member, customer)
    if rotate:
        customer.portal_key = uuid.uuid4()
        customer.save(update_fields=["portal_key"])
    audit(
        actor=member.user,
        reseller=member.reseller,
        obj=customer,
        action="customers.portal_link.sent",
        data={"to": customer.contact_email, "earlier_links_revoked": rotate},
    )
    portal_link_email_task.delay_on_commit(customer.pk, reseller_id=customer.reseller_id)
    return customer.contact_email


def customer_for_portal_token(token: str) -> Customer:
    """The customer a portal link stands for; links of another customer or with an old key
    are refused alike."""
    try:
        data = links.read_portal_token(token)
    except links.LinkInvalid:
        raise LinkRefused(TAMPERED) from None
    except links.LinkExpired:
        raise LinkRefused(
            f"This link expired after {settings.CUSTOMER_PORTAL_LINK_MAX_AGE_DAYS}"
            " days. Ask your reseller to send a new one."
        ) from None
    with scopes_disabled():
        customer = (
            Customer.objects.select_related("reseller")
            .filter(pk=data["c"], portal_key=data["k"])
            .first()
        )
    if customer is None:
        raise LinkRefused(
            "This link is no longer valid: your reseller has replaced it. "
            "Use the link in the most recent e-mail."
        )
    return customer


@transaction.atomic
def customer_change_currency(*, user, customer: Customer, currency: str, reason: str) -> Customer:
    """Operations change a customer's billing currency, with a reason (audited), also while
    subscriptions run: those keep their own currency, which Partner Center keeps billing,
    through their renewals (each subscription carries its currency); new purchases use the
    new one. The reseller's owners are told. Command: `manage.py customer_change_currency`."""
    require_staff(user)
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError("Give the reason for the currency change.")
    with scopes_disabled():
        customer = (
            Customer.objects.select_for_update().select_related("reseller").get(pk=customer.pk)
        )
        before = customer.currency
        if currency == before:
            raise ValidationError(f"{customer} is already billed in {currency}.")
        customer.currency = currency
        customer.full_clean()
        customer.save(update_fields=["currency"])
        count, _ = _running_subscriptions(customer)
        audit(
            actor=user,
            reseller=customer.reseller,
            obj=customer,
            action="customers.customer.currency_changed",
            data={
                "before": before,
                "after": currency,
                "reason": reason,
                "running_subscriptions": count,
            },
        )
        owners = [
            m.user
            for m in Membership.objects.filter(
                reseller=customer.reseller, role=Role.OWNER
            ).select_related("user")
        ]
        notify(
            reseller=customer.reseller,
            users=owners,
            title=f"{customer} is now billed in {currency}",
            body=f"Operations changed the currency from {before}: {reason} "
            f"Subscriptions already running stay in {before} until they end.",
        )
    return customer


# Tasks (queued on commit by the services above)


@shared_task(base=ResellerTask)
def mca_link_email_task(invitation_id: int) -> None:
    emails.send_mca_link(invitation_id)


@shared_task(base=ResellerTask)
def portal_link_email_task(customer_id: int) -> None:
    emails.send_portal_link(customer_id)


@shared_task(bind=True, max_retries=5, base=ResellerTask)
def mca_attest_task(self, acceptance_id: int) -> None:
    """Attest an acceptance in Partner Center; retried while Partner Center is busy or down.
    A refusal stays on the acceptance in the operations queue."""
    try:
        mca_log_with_gateway(acceptance_id=acceptance_id)
    except (RateLimited, Unavailable) as exc:
        countdown = getattr(exc, "retry_after", None) or 30 * 2**self.request.retries
        raise self.retry(exc=exc, countdown=countdown) from exc
    except (GatewayError, ValidationError) as exc:
        logger.warning("MCA acceptance %s not logged in Partner Center: %s", acceptance_id, exc)


@member_service
def customer_admin_account_take(*, member, customer: Customer) -> tuple[str, str]:
    """The customer's first admin account (user name, password) that Partner Center gave
    once when it created the tenant: shown to the reseller this one time, then forgotten."""
    require(member, "customers.edit")
    require_same_reseller(member, customer)
    taken = take_admin_credentials(str(customer.tenant_id)) if customer.tenant_id else None
    if taken is None:
        raise ValidationError(
            "The admin account was already shown once and is no longer kept: reset the "
            "password in the Microsoft 365 admin center if it was lost."
        )
    audit(
        actor=member.user,
        reseller=member.reseller,
        obj=customer,
        action="customers.customer.admin_account_shown",
        data={"user_name": taken[0]},
    )
    return taken
