"""Partner Center calls are timed by status, and error answers counted by Partner Center's
error code, for /metrics (portal.observability)."""

import pytest
from prometheus_client import REGISTRY

from partner_center.errors import MCA_ALREADY_ATTESTED, AlreadyAttested
from partner_center.http import HttpGateway


def value(name, **labels):
    return REGISTRY.get_sample_value(name, labels) or 0.0


def test_calls_are_timed_and_error_codes_counted(httpserver):
    # The error response schema (code, description, source) of
    # https://learn.microsoft.com/partner-center/developer/error-codes; 600061 is the documented
    # "agreement already attested" code (partner_center/errors.py).
    httpserver.expect_request("/v1/customers/bad-id").respond_with_json(
        {
            "code": MCA_ALREADY_ATTESTED,
            "description": "Customer agreement already attested.",
            "source": "PartnerCenter",
        },
        status=409,
    )
    gateway = HttpGateway(httpserver.url_for("/"), "token", max_retries=0)
    calls = value(
        "portal_partner_center_request_duration_seconds_count", method="GET", status="409"
    )
    code = str(MCA_ALREADY_ATTESTED)
    errors = value("portal_partner_center_errors_total", status="409", code=code)

    with pytest.raises(AlreadyAttested):
        gateway.get_customer("bad-id")

    assert (
        value("portal_partner_center_request_duration_seconds_count", method="GET", status="409")
        == calls + 1
    )
    assert value("portal_partner_center_errors_total", status="409", code=code) == errors + 1
