import datetime as dt
import uuid
from decimal import Decimal

import pytest
from django_scopes import scopes_disabled

from billing.usage import summary
from tests.factories import (
    ChargeEventFactory,
    CustomerFactory,
    LedgerSubscriptionFactory,
    OfferFactory,
    ResellerFactory,
    UserFactory,
)


@pytest.fixture
def ops(db):
    return UserFactory(email="billing-duty@distributor.test", is_staff=True)


@pytest.fixture
def us_reseller(db):
    return ResellerFactory(name="Alpha Cloud", country="US", currency="USD")


@pytest.fixture
def ca_reseller(db):
    return ResellerFactory(name="Maple Cloud", country="CA", currency="CAD")


def _ensure_product_types():
    """Transactional tests flush the rows the data migrations seeded; put them back."""
    from django.apps import apps

    from subscriptions.catalog.defaults import ensure_product_types
    from subscriptions.catalog.models import ProductType

    if not ProductType.objects.filter(code="nce").exists():
        ensure_product_types(apps)


def charge(
    reseller,
    *,
    customer=None,
    subscription=None,
    kind="cycle",
    on=dt.date(2026, 6, 1),
    cost="100.00",
    price="120.00",
    quantity=10,
    offer_name=None,
):
    """One charge event of `reseller` (a new customer and subscription unless given)."""
    if subscription is None:
        _ensure_product_types()
        customer = customer or CustomerFactory(
            reseller=reseller, currency=reseller.currency, country=reseller.country
        )
        offer = OfferFactory(**({"name": offer_name} if offer_name else {}))
        subscription = LedgerSubscriptionFactory(
            customer=customer, offer=offer, currency=reseller.currency
        )
    return ChargeEventFactory(
        subscription=subscription,
        kind=kind,
        charge_date=on,
        cycle_start=on,
        cycle_end=on + dt.timedelta(days=29),
        quantity=quantity,
        cost_amount=Decimal(cost),
        price_amount=Decimal(price),
    )


def usage(subscription, *, on, cost, quantity="1", marketplace=False):
    """One Azure plan usage line of `subscription` (and its import)."""
    from billing.usage.models import UsageImport, UsageLine

    with scopes_disabled():
        imp = UsageImport.objects.create(reseller=subscription.reseller, status="done")
        line = UsageLine.objects.create(
            reseller=subscription.reseller,
            customer=subscription.customer,
            subscription=subscription,
            usage_import=imp,
            usage_date=on,
            meter_id="m-1",
            meter_name="Compute",
            # each call a resource of its own: two calls are two lines, not one line twice
            resource_uri=f"/resources/{uuid.uuid4().hex}",
            quantity=Decimal(quantity),
            unit_price=Decimal(cost),
            billing_pre_tax_total=Decimal(cost),
            currency=subscription.currency,
            charge_type="usage",
            is_marketplace=marketplace,
        )
    summary.refresh({(subscription.reseller_id, on)})  # as an import does
    return line


@pytest.fixture
def charge_factory():
    return charge


@pytest.fixture
def usage_factory():
    return usage
