from pathlib import Path

import hypothesis
import pytest
from django_scopes import scope, scopes_disabled

from customers import services as customer_services
from portal.roles import Role
from subscriptions.catalog.models import Offer
from subscriptions.services import catalog_import
from tests.factories import (
    CustomerFactory,
    McaAcceptanceFactory,
    MembershipFactory,
    ResellerFactory,
    UserFactory,
)

DEMO_CATALOG = Path(__file__).parents[1] / "subscriptions" / "fixtures" / "demo_catalog.csv"


@pytest.fixture
def unscoped():
    """Run a block of test set-up or assertions across all tenants: `with unscoped(): ...`."""
    return scopes_disabled


@pytest.fixture
def in_scope():
    """`with in_scope(reseller): ...` — queries see only that reseller, as in a request."""
    return lambda reseller: scope(reseller=reseller)


@pytest.fixture
def member_of():
    """member_of(reseller, role) -> a new user's Membership."""
    return lambda reseller, role=Role.OWNER: MembershipFactory(reseller=reseller, role=role)


@pytest.fixture
def reseller_a(db):
    return ResellerFactory(name="Alpha Cloud", country="US", currency="USD")


@pytest.fixture
def reseller_b(db):
    return ResellerFactory(name="Beta Systems", country="CA", currency="CAD")


@pytest.fixture
def owner_a(reseller_a, member_of):
    return member_of(reseller_a, Role.OWNER)


@pytest.fixture
def owner_b(reseller_b, member_of):
    return member_of(reseller_b, Role.OWNER)


@pytest.fixture
def client_for(client):
    """client_for(membership) -> the test client signed in as that member, on that reseller."""

    def sign_in(membership):
        client.force_login(membership.user)
        session = client.session
        session["active_reseller_id"] = membership.reseller_id
        session.save()
        return client

    return sign_in


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
        customer = CustomerFactory(
            reseller=member.reseller, currency=member.reseller.currency, **fields
        )
        customer = customer_services.customer_create_in_partner_center(
            member=member, customer=customer
        )
        acceptance = McaAcceptanceFactory(invitation__customer=customer)
        customer_services.mca_log_with_gateway(acceptance_id=acceptance.pk)
        customer.refresh_from_db()
        return customer

    return make


# A loaded CI machine must not fail a property test for being slow to generate inputs.
hypothesis.settings.register_profile(
    "portal", suppress_health_check=[hypothesis.HealthCheck.too_slow], deadline=None
)
hypothesis.settings.load_profile("portal")
