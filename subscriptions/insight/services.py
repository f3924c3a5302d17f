"""Licence use from customers' tenants (daily sync) and one-click seat decreases at renewal."""

import uuid

from django.core.exceptions import ValidationError
from django.db.models import Q
from django.utils import timezone
from django_scopes import scope, scopes_disabled

from customers.gdap.services import has_tenant_access
from customers.models import Customer
from partner_center.graph import NoTenantAccess, get_graph
from portal.tenancy import member_service
from portal.upkeep import each_row
from subscriptions import services as subscription_services
from subscriptions.insight import selectors
from subscriptions.insight.models import LicenceHolder, TenantLicence
from subscriptions.selectors import subscription_get


def tenant_licences_sync() -> dict:
    """Daily (beat): every customer with a tenant and seat subscriptions, each in its own
    transaction (a failure is an upkeep failure; the others go on)."""
    with scopes_disabled():
        pks = list(
            Customer.objects.filter(tenant_id__isnull=False, subscriptions__status="active")
            .distinct()
            .order_by("pk")
            .values_list("pk", flat=True)
        )
    results, failed = each_row(
        "subscriptions.sync_tenant_licences",
        Customer,
        pks,
        lambda pk: tenant_licence_sync_customer(customer_id=pk),
    )
    return {"synced": sum(1 for r in results if r), "no_access": results.count(0), "failed": failed}


def tenant_licence_sync_customer(*, customer_id: int) -> int:
    """Read the customer's tenant licences and users; keep, per seat subscription, the
    matching licence (Graph's subscriptionIds holding the Partner Center subscription id) and
    who holds it. Tenant access is an active GDAP relationship (customers.gdap); without it
    (or when Graph refuses) the portal's own seat list stays in use. Returns the
    subscriptions matched."""
    with scopes_disabled():
        customer = Customer.objects.select_related("reseller").get(pk=customer_id)
    with scope(reseller=customer.reseller):
        subs = list(
            selectors.seat_subscriptions(customer.reseller, customer_id=customer.pk).exclude(
                Q(partner_center_id=None) | Q(partner_center_id="")
            )
        )
        graph = get_graph()
        try:
            if not has_tenant_access(customer):
                # no active GDAP relationship: Graph would refuse; the portal's list counts
                raise NoTenantAccess(f"No active GDAP relationship with {customer}.")
            skus = graph.subscribed_skus(str(customer.tenant_id))
            users = graph.users(str(customer.tenant_id))
        except NoTenantAccess:
            TenantLicence.objects.filter(subscription__customer=customer).delete()
            return 0
        by_subscription = {pc_id.lower(): sku for sku in skus for pc_id in sku.subscription_ids}
        now, matched = timezone.now(), 0
        for sub in subs:
            sku = by_subscription.get(sub.partner_center_id.lower())
            if sku is None:
                TenantLicence.objects.filter(subscription=sub).delete()
                continue
            licence, _ = TenantLicence.objects.update_or_create(
                subscription=sub,
                defaults={
                    "reseller": customer.reseller,
                    "sku_id": sku.sku_id,
                    "part_number": sku.part_number,
                    "enabled_units": sku.enabled_units,
                    "consumed_units": sku.consumed_units,
                    "synced_at": now,
                },
            )
            licence.holders.all().delete()
            LicenceHolder.objects.bulk_create(
                [
                    LicenceHolder(
                        reseller=customer.reseller,
                        licence=licence,
                        user_id=u.user_id,
                        display_name=u.display_name,
                        user_principal_name=u.user_principal_name,
                        enabled=u.enabled,
                        last_sign_in=u.last_sign_in,
                    )
                    for u in users
                    if sku.sku_id in u.sku_ids
                ]
            )
            matched += 1
        return matched


@member_service
def savings_schedule_decrease(*, member, subscription_id: int) -> str:
    """Schedule the subscription's unused and reclaimable seats off at renewal, through the
    scheduled-change path (orders.place; seats stay until then)."""
    sub = subscription_get(member=member, subscription_id=subscription_id)
    row = selectors.savings_of(sub, now=timezone.now())
    if not row.savings.seats:
        raise ValidationError("This subscription has no unused or reclaimable seats.")
    if row.keep >= sub.quantity:
        raise ValidationError(f"{sub.offer.name} cannot go below {row.keep} seats.")
    return subscription_services.subscription_change_seats(
        member=member,
        subscription=sub,
        quantity=row.keep,
        idempotency_key=uuid.uuid4().hex,
        schedule=True,
    )
