"""Rows for report tests: usage lines and charge events created directly (test set-up)."""

import hashlib
import itertools
import uuid
from datetime import date
from decimal import Decimal

from django_scopes import scopes_disabled

from billing.usage import summary
from billing.usage.models import UsageLine
from subscriptions.catalog.models import Offer, ProductType
from subscriptions.models import ChargeEvent
from tests import factories

_seq = itertools.count(1)

# US reseller, period June 2026: its usage month is May 2026
PERIOD = "2026-06-01"
MAY = date(2026, 5, 1)


def legacy_offer():
    return Offer.objects.get_or_create(
        sku="MS-AZR-0145P",
        defaults={
            "name": "Microsoft Azure (legacy)",
            "terms": "P1M",
            "billing_frequencies": "monthly",
            "max_quantity": 1,
            "product_type": ProductType.objects.get(code="azure-legacy"),
        },
    )[0]


def azure_sub(reseller, *, customer=None, legacy=False, **kwargs):
    if customer is not None:
        kwargs["customer"] = customer
    if legacy:
        kwargs["offer"] = legacy_offer()
    return factories.SubscriptionFactory(reseller=reseller, **kwargs)


def usage(
    sub,
    *,
    day=MAY,
    category="Virtual Machines",
    meter="D2s v5",
    cost="1.00",
    quantity="24",
    marketplace=False,
    usage_import=None,
    refresh=True,
    **fields,
) -> UsageLine:
    with scopes_disabled():
        usage_import = usage_import or factories.UsageImportFactory(reseller=sub.reseller)
        line = UsageLine.objects.create(
            reseller=sub.reseller,
            customer=sub.customer,
            subscription=sub,
            usage_import=usage_import,
            usage_date=day,
            meter_category=category,
            meter_sub_category="Sub",
            meter_name=meter,
            meter_id=fields.pop("meter_id", hashlib.sha256(meter.encode()).hexdigest()[:32]),
            quantity=Decimal(quantity),
            unit_price=Decimal("0.1"),
            billing_pre_tax_total=Decimal(cost),
            currency=sub.currency,
            charge_type="new",
            is_marketplace=marketplace,
            unit_of_measure="1 Hour",
            # each call a resource of its own (the natural key tells lines apart by resource)
            resource_uri=fields.pop("resource_uri", f"/resources/{uuid.uuid4().hex}"),
            **fields,
        )
    if refresh:  # as an import does (a test adding many lines refreshes once, at the end)
        summary.refresh({(sub.reseller_id, day.replace(day=1))})
    return line


def seat_sub(reseller, *, customer=None, code="nce", **kwargs):
    if customer is not None:
        kwargs["customer"] = customer
    offer = factories.OfferFactory(product_type=ProductType.objects.get(code=code))
    return factories.SeatSubscriptionFactory(reseller=reseller, offer=offer, **kwargs)


def charge(
    sub,
    *,
    kind="cycle",
    on=date(2026, 6, 5),
    cost="100.00",
    price="120.00",
    quantity=None,
    cycle_end=date(2026, 7, 4),
) -> ChargeEvent:
    with scopes_disabled():
        return ChargeEvent.objects.create(
            reseller=sub.reseller,
            customer=sub.customer,
            subscription=sub,
            kind=kind,
            key=f"test-charge-{next(_seq)}",
            charge_date=on,
            cycle_start=on,
            cycle_end=cycle_end,
            quantity=sub.quantity if quantity is None else quantity,
            billing_days=30,
            cycle_days=30,
            unit_cost=sub.unit_cost,
            unit_price=sub.unit_price,
            cost_amount=Decimal(cost),
            price_amount=Decimal(price),
            currency=sub.currency,
        )
