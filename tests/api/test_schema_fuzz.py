"""Schemathesis fuzzes every operation of the API's OpenAPI schema through the WSGI app, with an
owner's key of a reseller that has one object of every resource: an `{id}` in a path is that
object's (a foreign or missing id is the isolation harness's), so each operation reaches its
service with fuzzed bodies and queries. No answer may be a server error, and every documented
answer must match its schema."""

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
from tests.api.isolation import _resource, objects_of

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
    ids = objects_of(reseller)
    return factories.api_key(member=owner_a)[1], ids


@schema.parametrize()
@hypothesis_settings(
    max_examples=4, deadline=None, derandomize=True, suppress_health_check=list(HealthCheck)
)
def test_every_operation_answers_without_server_errors_and_as_documented(case, api_key):
    key, ids = api_key
    if case.path_parameters and "id" in case.path_parameters:
        case.path_parameters["id"] = str(ids[_resource(case.operation.path)])
    case.call_and_validate(
        headers={"Authorization": f"Bearer {key}"},
        checks=[not_a_server_error, response_schema_conformance],
    )
