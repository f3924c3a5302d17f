"""Schemathesis fuzzes every operation of the API's OpenAPI schema through the WSGI app, with an
owner's key of a reseller that has a customer, a subscription, an invoice and a ticket: no
answer may be a server error, and every documented answer must match its schema."""

import pytest
import schemathesis
from django.core import signals
from django.db import close_old_connections
from drf_spectacular.generators import SchemaGenerator
from hypothesis import HealthCheck
from hypothesis import settings as hypothesis_settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import response_schema_conformance

from portal.wsgi import application
from tests import factories

# the schema the portal serves at /api/v1/schema/ (same generator), called through WSGI
schema = schemathesis.openapi.from_dict(SchemaGenerator().get_schema(request=None, public=True))
schema.app = application


@pytest.fixture
def wsgi_in_test_transaction():
    """Requests through the WSGI app keep the test's database connection (as Django's test
    client does): closing it after each request would end the test transaction."""
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    yield
    signals.request_started.connect(close_old_connections)
    signals.request_finished.connect(close_old_connections)


@pytest.fixture
def api_key(db, owner_a, settings, wsgi_in_test_transaction):
    settings.ALLOWED_HOSTS = ["localhost"]
    reseller = owner_a.reseller
    factories.SeatSubscriptionFactory(reseller=reseller)
    factories.InvoiceFactory(run__reseller=reseller)
    factories.TicketFactory(reseller=reseller)
    return factories.api_key(member=owner_a)[1]


@schema.parametrize()
@hypothesis_settings(
    max_examples=4, deadline=None, derandomize=True, suppress_health_check=list(HealthCheck)
)
def test_every_operation_answers_without_server_errors_and_as_documented(case, api_key):
    case.call_and_validate(
        headers={"Authorization": f"Bearer {api_key}"},
        checks=[not_a_server_error, response_schema_conformance],
    )
