"""HttpGateway: Partner Center's REST API (or any server speaking it) over httpx.

- Bearer token and base URL from settings; the token is never logged.
- One `MS-RequestId` per logical operation (the idempotency key when there is one), reused
  across retries, so a retried order never creates two subscriptions; one `MS-CorrelationId`
  per operation ties its log lines together.
- Retries with exponential backoff on 429, 5xx, timeouts and connection errors, honouring
  Retry-After (capped); the sleep function is injectable.
- Error bodies `{"code": ..., "description": ...}` become the typed errors; a body that is not
  the expected JSON becomes Unavailable with a clear message.
"""

import json
import logging
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from decimal import Decimal
from email.utils import parsedate_to_datetime

import httpx
from django.conf import settings

from partner_center import errors, wire
from partner_center.errors import (
    AlreadyAttested,
    Conflict,
    GatewayError,
    NotFound,
    RateLimited,
    Unavailable,
    ValidationFailed,
)
from partner_center.gateway import PartnerCenterGateway
from partner_center.types import CustomerInfo, UsageLine, UsagePage, load
from portal import observability

logger = logging.getLogger("partner_center.http")

_STATUS_ERRORS = {400: ValidationFailed, 404: NotFound, 409: Conflict, 412: Conflict,
                  422: ValidationFailed}


class HttpGateway(PartnerCenterGateway):
    def __init__(self, base_url: str, token: str, *, timeout: float = 30.0,
                 max_retries: int = 3, backoff: float = 0.5, max_sleep: float = 30.0,
                 sleep: Callable[[float], None] = time.sleep,
                 transport: httpx.BaseTransport | None = None):
        self.timeout = timeout
        self.max_retries = max_retries
        self.backoff = backoff
        self.max_sleep = max_sleep
        self.sleep = sleep
        self._client = httpx.Client(
            base_url=base_url.rstrip("/"), timeout=timeout, transport=transport,
            headers={"Authorization": f"Bearer {token}", "Accept": "application/json"})

    def __repr__(self):
        return f"<HttpGateway {self._client.base_url}>"

    @classmethod
    def from_settings(cls) -> "HttpGateway":
        return cls(settings.PARTNER_CENTER_BASE_URL, settings.PARTNER_CENTER_TOKEN,
                   timeout=settings.PARTNER_CENTER_TIMEOUT,
                   max_retries=settings.PARTNER_CENTER_MAX_RETRIES)

    def close(self):
        self._client.close()

    # --- transport -----------------------------------------------------------------------

    def _call(self, method: str, path: str, *, body=None, params=None, headers=None,
              request_id: str | None = None):
        """One logical operation: send, retry what may be retried, return (json, headers)."""
        request_id = request_id or str(uuid.uuid4())
        correlation_id = str(uuid.uuid4())
        headers = {"MS-RequestId": request_id, "MS-CorrelationId": correlation_id,
                   **(headers or {})}
        attempts = 1 + max(self.max_retries, 0)
        for attempt in range(1, attempts + 1):
            started = time.monotonic()
            retry_after = None
            try:
                response = self._client.request(method, path, json=body, params=params,
                                                headers=headers)
            except httpx.TimeoutException:
                status = "timeout"
                failure = Unavailable(f"Partner Center did not answer {method} {path} within "
                                      f"{self.timeout:g} s.")
            except httpx.TransportError as e:
                status = "unreachable"
                failure = Unavailable(f"Partner Center could not be reached for {method} "
                                      f"{path} ({type(e).__name__}).")
            else:
                status = response.status_code
            self._log(method, path, status, started, correlation_id, request_id, attempt)
            observability.partner_center_call(method, status, time.monotonic() - started)
            if isinstance(status, int):
                if status < 400:
                    return self._json(response, method, path), response.headers
                failure = self._error(response, method, path)
                observability.partner_center_error(status, failure.code)
                if not (status == 429 or status >= 500):
                    raise failure
                retry_after = _retry_after(response.headers.get("Retry-After"))
                if isinstance(failure, RateLimited):
                    failure.retry_after = retry_after
            if attempt == attempts:
                raise failure
            delay = retry_after if retry_after is not None else self.backoff * 2 ** (attempt - 1)
            self.sleep(min(max(delay, 0.0), self.max_sleep))
        raise AssertionError("unreachable")  # pragma: no cover

    @staticmethod
    def _log(method, path, status, started, correlation_id, request_id, attempt):
        logger.info("partner_center %s %s status=%s duration_ms=%d correlation_id=%s "
                    "request_id=%s attempt=%d", method, path, status,
                    (time.monotonic() - started) * 1000, correlation_id, request_id, attempt)

    @staticmethod
    def _json(response: httpx.Response, method, path):
        if response.status_code == 204 or not response.content:
            return {}
        try:
            data = json.loads(response.content, parse_float=Decimal)
        except ValueError:
            raise Unavailable(f"Partner Center answered {method} {path} with a malformed body "
                              f"(not JSON, HTTP {response.status_code}).") from None
        if not isinstance(data, dict):
            raise Unavailable(f"Partner Center answered {method} {path} with unexpected JSON "
                              f"(a {type(data).__name__}, not an object).")
        return data

    @staticmethod
    def _error(response: httpx.Response, method, path) -> GatewayError:
        status = response.status_code
        try:
            body = json.loads(response.content)
            code = int(body["code"]) if body.get("code") is not None else None
            description = str(body.get("description") or "").strip()
        except (ValueError, TypeError, KeyError, AttributeError):
            code, description = None, ""
        message = description or f"Partner Center refused {method} {path} (HTTP {status})."
        if code == errors.MCA_ALREADY_ATTESTED:
            return AlreadyAttested(message)
        if status == 429:
            return RateLimited(message, code=code)
        if status >= 500:
            return Unavailable(description or f"Partner Center failed {method} {path} "
                                              f"(HTTP {status}).", code=code)
        return _STATUS_ERRORS.get(status, GatewayError)(message, code=code)

    def _decode(self, what: str, decode, *args):
        """Turn a JSON body into our types; a body of the wrong shape → Unavailable."""
        try:
            return decode(*args)
        except (ValueError, KeyError, TypeError) as e:
            raise Unavailable(f"Partner Center's answer for {what} was not understood: {e}.") \
                from None

    # --- operations ----------------------------------------------------------------------

    def create_customer(self, req, *, idempotency_key):
        data, _ = self._call("POST", "/v1/customers", body=wire.customer_request(req),
                             request_id=idempotency_key)
        return self._decode("the new customer", load, CustomerInfo, data, wire.CUSTOMER)

    def get_customer(self, tenant_id):
        data, _ = self._call("GET", f"/v1/customers/{tenant_id}")
        return self._decode("the customer", load, CustomerInfo, data, wire.CUSTOMER)

    def attest_mca(self, tenant_id, acceptance):
        data, _ = self._call("POST", f"/v1/customers/{tenant_id}/agreements",
                             body=wire.acceptance(acceptance))
        return self._decode("the attestation", wire.attestation, tenant_id, data)

    def create_order(self, tenant_id, req, *, idempotency_key):
        data, _ = self._call("POST", f"/v1/customers/{tenant_id}/orders", body=wire.order(req),
                             request_id=idempotency_key)
        return self._decode("the order", wire.subscription, tenant_id, data)

    def _patch(self, tenant_id, subscription_id, body, request_id=None):
        data, _ = self._call("PATCH", f"/v1/customers/{tenant_id}/subscriptions/"
                                      f"{subscription_id}", body=body, request_id=request_id)
        return self._decode("the subscription", wire.subscription, tenant_id, data)

    def change_quantity(self, tenant_id, subscription_id, quantity, *, idempotency_key):
        return self._patch(tenant_id, subscription_id, {"quantity": quantity}, idempotency_key)

    def cancel_subscription(self, tenant_id, subscription_id, *, idempotency_key):
        return self._patch(tenant_id, subscription_id, {"status": "deleted"}, idempotency_key)

    def change_term(self, tenant_id, subscription_id, *, term, billing_frequency,
                    idempotency_key):
        return self._patch(tenant_id, subscription_id,
                           {"termDuration": term, "billingCycle": billing_frequency},
                           idempotency_key)

    def exchange_reservation(self, tenant_id, subscription_id, req, *, idempotency_key):
        """Azure Reservations' two steps: calculateExchange (prices it and checks Microsoft's
        policies, e.g. the new commitment ≥ the remaining one), then exchange with its
        session id; the new reservation is read back as a Partner Center subscription."""
        data, _ = self._call("POST", "/providers/Microsoft.Capacity/calculateExchange",
                             params={"api-version": wire.RESERVATIONS_API_VERSION},
                             body=wire.calculate_exchange(tenant_id, subscription_id, req),
                             request_id=f"{idempotency_key}:calculate")
        session_id, policy_errors = self._decode("the exchange calculation",
                                                 wire.exchange_session, data)
        if policy_errors:
            raise Conflict(" ".join(policy_errors), code=errors.INVALID_STATE)
        data, _ = self._call("POST", "/providers/Microsoft.Capacity/exchange",
                             params={"api-version": wire.RESERVATIONS_API_VERSION},
                             body={"sessionId": session_id}, request_id=idempotency_key)
        new_id = self._decode("the exchange", wire.exchanged_reservation_order, data)
        data, _ = self._call("GET", f"/v1/customers/{tenant_id}/subscriptions/{new_id}")
        return self._decode("the subscription", wire.subscription, tenant_id, data)

    def set_auto_renew(self, tenant_id, subscription_id, auto_renew):
        return self._patch(tenant_id, subscription_id, {"autoRenewEnabled": bool(auto_renew)})

    def get_subscriptions(self, tenant_id):
        data, _ = self._call("GET", f"/v1/customers/{tenant_id}/subscriptions")
        return self._decode("the subscriptions", lambda: [
            wire.subscription(tenant_id, item) for item in data["items"]])

    def fetch_usage(self, *, start, end, tenant_id=None, continuation_token=None,
                    page_size=2000):
        params = {"startDate": start.isoformat(), "endDate": end.isoformat(),
                  "size": page_size}
        if tenant_id is not None:
            params["customerId"] = tenant_id
        headers = {"MS-ContinuationToken": continuation_token} if continuation_token else None
        data, _ = self._call("GET", "/v1/usage/dailyrated", params=params, headers=headers)
        return self._decode("the usage page", lambda: UsagePage(
            lines=[load(UsageLine, item, wire.USAGE_LINE) for item in data["items"]],
            continuation_token=data.get("continuationToken") or None))

    def create_transfer(self, tenant_id, req, *, idempotency_key):
        data, _ = self._call("POST", f"/v1/customers/{tenant_id}/transfers",
                             body=wire.transfer_request(req), request_id=idempotency_key)
        return self._decode("the transfer", wire.transfer, data)

    def get_transfer(self, tenant_id, transfer_id):
        data, _ = self._call("GET", f"/v1/customers/{tenant_id}/transfers/{transfer_id}")
        return self._decode("the transfer", wire.transfer, data)

    def cancel_transfer(self, tenant_id, transfer_id):
        data, _ = self._call("PATCH", f"/v1/customers/{tenant_id}/transfers/{transfer_id}",
                             body={"status": "canceled"})
        return self._decode("the transfer", wire.transfer, data)


def _retry_after(value: str | None) -> float | None:
    """Retry-After in seconds: a number of seconds or an HTTP date."""
    if not value:
        return None
    try:
        return max(float(value), 0.0)
    except ValueError:
        pass
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max((when - datetime.now(UTC)).total_seconds(), 0.0)
