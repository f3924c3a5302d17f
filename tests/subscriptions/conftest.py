from pathlib import Path

import pytest

from customers import services as customer_services
from subscriptions.models import Offer
from subscriptions.services import catalog_import
from tests.factories import CustomerFactory, McaAcceptanceFactory, UserFactory

DEMO_CATALOG = Path(__file__).parents[2] / "subscriptions" / "fixtures" / "demo_catalog.csv"
PREMIUM = "CFQ7TTC0LCHC:0002"
BASIC = "CFQ7TTC0LH18:0001"
E3 = "CFQ7TTC0LFLX:0001"
PERPETUAL = "DG7GMGF0PWBF:0002"
RESERVED = "DZH318Z0BQ3Q:006B"
AZURE_PLAN = "DZH318Z0BPS6:0001"


@pytest.fixture
def ops(db):
    return UserFactory(is_staff=True)


@pytest.fixture
def catalog(db):
    """The demo catalog, imported like operations do: offers by SKU."""
    catalog_import(user=UserFactory(is_staff=True), data=DEMO_CATALOG.read_bytes())
    return {o.sku: o for o in Offer.objects.select_related("product_type", "cap_group")}


@pytest.fixture
def onboard(catalog):
    """onboard(member, **customer fields) -> a customer with a Microsoft tenant and an MCA
    accepted and attested in (sandbox) Partner Center, ready to buy."""

    def make(member, **fields):
        customer = CustomerFactory(reseller=member.reseller, currency=member.reseller.currency,
                                   **fields)
        customer = customer_services.customer_create_in_partner_center(member=member,
                                                                       customer=customer)
        acceptance = McaAcceptanceFactory(invitation__customer=customer)
        customer_services.mca_log_with_gateway(acceptance_id=acceptance.pk)
        customer.refresh_from_db()
        return customer

    return make
