import pytest
from django_scopes import scope, scopes_disabled

from portal.roles import Role
from tests.factories import MembershipFactory, ResellerFactory


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
