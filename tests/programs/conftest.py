import datetime as dt

import pytest
from django_scopes import scopes_disabled

from programs.models import Program, ProgramRequest
from tests.factories import ResellerFactory, UserFactory


# Like the shared fixtures, with the partner profile complete (MPN ID and MPA date) and no
# program requested yet.
@pytest.fixture
def reseller_a(db):
    return ResellerFactory(
        name="Alpha Cloud",
        country="US",
        currency="USD",
        mpa_accepted_on=dt.date(2024, 2, 1),
        programs=(),
    )


@pytest.fixture
def reseller_b(db):
    return ResellerFactory(
        name="Beta Systems",
        country="CA",
        currency="CAD",
        mpa_accepted_on=dt.date(2024, 3, 1),
        programs=(),
    )


@pytest.fixture
def ops(db):
    return UserFactory(email="duty@distributor.test", is_staff=True)


@pytest.fixture
def programs(db):
    """code -> Program, as seeded by the data migration."""
    return {p.code: p for p in Program.objects.all()}


@pytest.fixture
def approved(ops):
    """approved(reseller, program): the reseller already has that program approved."""

    def make(reseller, program):
        with scopes_disabled():
            return ProgramRequest.objects.create(
                reseller=reseller,
                program=program,
                state="approved",
                decided_by=ops,
                decided_at=dt.datetime(2026, 1, 5, tzinfo=dt.UTC),
            )

    return make
