"""HttpGateway against the fake Partner Center: retries, idempotency, timeouts, broken bodies,
error mapping, logging."""

import logging
from datetime import UTC, date, datetime, timedelta
from email.utils import format_datetime

import pytest
from django.core.exceptions import ImproperlyConfigured

from partner_center.errors import (
    GatewayError,
    NotFound,
    RateLimited,
    Unavailable,
    ValidationFailed,
)
from partner_center.gateway import get_gateway
from partner_center.http import HttpGateway, _retry_after
from partner_center.models import SandboxSubscription
from partner_center.sandbox import SandboxGateway
from tests.partner_center.conftest import E3, acceptance, customer_request, order
from tests.partner_center.fake_server import TOKEN, Fault


@pytest.fixture
def tenant(fake_pc, offers):
    """A customer with an MCA, made directly in the sandbox behind the fake server."""
    info = fake_pc.sandbox.create_customer(customer_request(), idempotency_key="setup")
    fake_pc.sandbox.attest_mca(info.tenant_id, acceptance())
    return info.tenant_id


def _orders(fake_pc):
    return [s for s in fake_pc.seen if s.path.endswith("/orders")]


def test_429_with_retry_after_then_success_creates_one_subscription(
        http_gateway, fake_pc, tenant, sleeps):
    fake_pc.fail(Fault(429, '{"code": 429, "description": "Too many requests"}',
                       {"Retry-After": "7"}))
    sub = http_gateway.create_order(tenant, order(E3, 5), idempotency_key="order-1")
    assert sub.quantity == 5
    assert SandboxSubscription.objects.count() == 1
    attempts = _orders(fake_pc)
    assert len(attempts) == 2
    assert {a.headers["Ms-Requestid"] for a in attempts} == {"order-1"}
    assert len({a.headers["Ms-Correlationid"] for a in attempts}) == 1
    assert sleeps == [7.0]


def test_lost_answers_twice_still_one_order(http_gateway, fake_pc, tenant, sleeps):
    """The server creates the order but the first two answers are 503: the retries carry the
    same idempotency key, so the order exists exactly once."""
    fake_pc.fail(Fault(503, process_first=True), Fault(502, "Bad gateway", process_first=True))
    sub = http_gateway.create_order(tenant, order(E3, 3), idempotency_key="order-2")
    assert list(SandboxSubscription.objects.values_list("subscription_id", flat=True)) == [
        sub.subscription_id]
    assert [a.headers["Ms-Requestid"] for a in _orders(fake_pc)] == ["order-2"] * 3
    assert sleeps == [0.5, 1.0]  # exponential backoff


def test_5xx_exhausted_is_unavailable(http_gateway, fake_pc, tenant, sleeps):
    fake_pc.fail(*[Fault(500, '{"code": 500, "description": "Internal error"}')] * 4)
    with pytest.raises(Unavailable, match="Internal error"):
        http_gateway.create_order(tenant, order(), idempotency_key="order-3")
    assert len(_orders(fake_pc)) == 4  # 1 + PARTNER_CENTER_MAX_RETRIES
    assert sleeps == [0.5, 1.0, 2.0]
    assert SandboxSubscription.objects.count() == 0


def test_429_exhausted_is_rate_limited_and_retry_after_is_capped(
        http_gateway, fake_pc, tenant, sleeps):
    fake_pc.fail(*[Fault(429, "{}", {"Retry-After": "3600"})] * 4)
    with pytest.raises(RateLimited) as e:
        http_gateway.get_subscriptions(tenant)
    assert e.value.retry_after == 3600
    assert sleeps == [30.0, 30.0, 30.0]


def test_timeouts(fake_pc, pc_server, tenant, sleeps):
    gateway = HttpGateway(pc_server.url_for("/"), TOKEN, timeout=0.2, max_retries=1,
                          sleep=sleeps.append)
    fake_pc.fail(Fault(200, delay=0.6))
    assert gateway.get_customer(tenant).tenant_id == tenant  # second attempt answers
    fake_pc.fail(Fault(200, delay=0.6), Fault(200, delay=0.6))
    with pytest.raises(Unavailable) as e:
        gateway.get_customer(tenant)
    assert e.value.message == f"Partner Center did not answer GET /v1/customers/{tenant} " \
                              f"within 0.2 s."


def test_unreachable_server_is_unavailable(sleeps):
    gateway = HttpGateway("http://127.0.0.1:9", TOKEN, timeout=0.5, max_retries=2,
                          sleep=sleeps.append)
    with pytest.raises(Unavailable, match="could not be reached"):
        gateway.get_customer("x")
    assert len(sleeps) == 2


def test_malformed_bodies_are_unavailable_with_a_clear_message(http_gateway, fake_pc, tenant):
    fake_pc.fail(Fault(200, "<html>Gateway maintenance</html>"))
    with pytest.raises(Unavailable) as e:
        http_gateway.get_customer(tenant)
    assert e.value.message == (f"Partner Center answered GET /v1/customers/{tenant} with a "
                               f"malformed body (not JSON, HTTP 200).")
    fake_pc.fail(Fault(201, '{"id": "x", "offerId": "E3"}'))
    with pytest.raises(Unavailable, match="answer for the order was not understood: missing"):
        http_gateway.create_order(tenant, order(), idempotency_key="order-4")
    fake_pc.fail(Fault(200, '[1, 2]'))
    with pytest.raises(Unavailable, match="a list, not an object"):
        http_gateway.get_subscriptions(tenant)


def test_error_bodies_map_to_typed_errors(http_gateway, fake_pc, tenant):
    fake_pc.fail(Fault(400, '{"code": 800002, "description": "Invalid offer"}'))
    with pytest.raises(ValidationFailed) as e:
        http_gateway.get_subscriptions(tenant)
    assert (e.value.code, e.value.message) == (800002, "Invalid offer")
    fake_pc.fail(Fault(404, "not json"))
    with pytest.raises(NotFound) as e:
        http_gateway.get_subscriptions(tenant)
    assert e.value.code is None
    assert e.value.message == f"Partner Center refused GET /v1/customers/{tenant}/" \
                              f"subscriptions (HTTP 404)."


def test_a_wrong_token_is_refused_without_retrying(fake_pc, pc_server, sleeps):
    gateway = HttpGateway(pc_server.url_for("/"), "wrong", sleep=sleeps.append)
    with pytest.raises(GatewayError, match="Unauthorized") as e:
        gateway.get_customer("x")
    assert type(e.value) is GatewayError and sleeps == []


RECORDED_SUBSCRIPTIONS = """{
  "totalCount": 1,
  "items": [{
    "id": "a4c1340d-6911-4758-bba3-0c4c6007d161",
    "offerId": "CFQ7TTC0LFLX:0001:P1Y",
    "offerName": "Microsoft 365 E3",
    "friendlyName": "Microsoft 365 E3",
    "quantity": 12,
    "unitType": "Licenses",
    "creationDate": "2026-02-17T09:12:44.913Z",
    "effectiveStartDate": "2026-02-17",
    "commitmentEndDate": "2027-02-16",
    "status": "active",
    "autoRenewEnabled": true,
    "billingType": "license",
    "billingCycle": "monthly",
    "termDuration": "P1Y",
    "links": {"self": {"uri": "/customers/x/subscriptions/a4c1", "method": "GET"}},
    "attributes": {"etag": "eyJpZCI6ImE0YzEz", "objectType": "Subscription"}
  }],
  "links": {"self": {"uri": "/customers/x/subscriptions", "method": "GET"}},
  "attributes": {"objectType": "Collection"}
}"""


def test_recorded_partner_center_body_is_understood(http_gateway, fake_pc, tenant):
    fake_pc.fail(Fault(200, RECORDED_SUBSCRIPTIONS))
    (sub,) = http_gateway.get_subscriptions(tenant)
    assert sub.subscription_id == "a4c1340d-6911-4758-bba3-0c4c6007d161"
    assert (sub.quantity, sub.term, sub.billing_frequency, sub.auto_renew) == (
        12, "P1Y", "monthly", True)
    assert sub.created_at == datetime(2026, 2, 17, 9, 12, 44, 913000, tzinfo=UTC)
    assert (sub.term_start, sub.term_end) == (date(2026, 2, 17), date(2027, 2, 16))


def test_calls_are_logged_without_the_token(http_gateway, fake_pc, tenant, caplog):
    fake_pc.fail(Fault(503))
    with caplog.at_level(logging.INFO, logger="partner_center.http"):
        http_gateway.get_customer(tenant)
    messages = [r.getMessage() for r in caplog.records if r.name == "partner_center.http"]
    assert len(messages) == 2
    assert messages[0].startswith(f"partner_center GET /v1/customers/{tenant} status=503 "
                                  f"duration_ms=")
    assert " status=200 " in messages[1] and "attempt=2" in messages[1]
    correlation = messages[0].split("correlation_id=")[1].split()[0]
    assert f"correlation_id={correlation}" in messages[1]
    assert all(TOKEN not in m for m in messages)
    assert all(TOKEN not in r.getMessage() for r in caplog.records)
    assert fake_pc.seen[0].headers["Authorization"] == f"Bearer {TOKEN}"
    assert TOKEN not in repr(http_gateway)


def test_retry_after_accepts_seconds_and_http_dates():
    assert _retry_after("12") == 12.0
    assert _retry_after(None) is None and _retry_after("soon") is None
    later = format_datetime(datetime.now(UTC) + timedelta(seconds=90), usegmt=True)
    assert 85 <= _retry_after(later) <= 90


def test_get_gateway_follows_settings(settings):
    assert isinstance(get_gateway(), SandboxGateway)
    settings.PARTNER_CENTER_GATEWAY = "http"
    settings.PARTNER_CENTER_BASE_URL = "https://pc.example.test"
    settings.PARTNER_CENTER_MAX_RETRIES = 5
    gateway = get_gateway()
    assert isinstance(gateway, HttpGateway) and gateway.max_retries == 5
    settings.PARTNER_CENTER_GATEWAY = "carrier-pigeon"
    with pytest.raises(ImproperlyConfigured, match="carrier-pigeon"):
        get_gateway()
