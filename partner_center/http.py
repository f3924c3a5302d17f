"""HttpGateway: Partner Center's REST API over httpx, in Microsoft's shapes (wire.py).

- Headers (Microsoft: headers): `Authorization: Bearer` from a token source (auth.py; App+User
  through MSAL, refreshed before expiry and once after a 401; never logged),
  `MS-Contract-Version: v1`, `MS-RequestId` a GUID — derived with uuid5 from our idempotency
  key, so the retry of a timeout carries the same one, and a new one once Partner Center has
  answered — and `MS-CorrelationId`, a new GUID per call.
- Retries with exponential backoff on 429 (honouring Retry-After, capped; api-throttling-
  guidance), 5xx, timeouts and connection errors; the sleep function is injectable.
- Error bodies `{"code", "description"}` become the typed errors (800002 InvalidInput →
  ValidationFailed, 600061 → AlreadyAttested); a body that is not the expected JSON becomes
  Unavailable with a clear message.
- A purchase is a cart, its checkout, and the order polled until completed (create-a-cart,
  checkout-a-cart, get-an-order-by-id); our PlacedOrder record makes a retry resume it.
- A subscription change PATCHes the full resource with its etag and follows a 202's Location
  (change-the-quantity-of-a-subscription).
- New Commerce transfers both ways (create-a-transfer, get-transfer-by-id, get-all-of-a-
  customer-s-transfers, update-a-transfer, accept-a-transfer); the catalog (get-a-list-of-
  products, -skus-for-a-product, -availabilities-for-a-sku, following `links.next`).
- Usage is not read here: Partner Center has no daily rated usage API; it is Microsoft
  Graph's reconciliation export (graph_billing.py).
- Reserved Instance exchanges go to Azure Resource Manager (its own base URL and token
  audience), the new reservation is read back from Partner Center.
"""

import hashlib
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
from partner_center.auth import StaticToken, TokenSource, tokens_from_settings
from partner_center.errors import (
    AlreadyAttested,
    Conflict,
    GatewayError,
    NotFound,
    NotSupported,
    OrderPending,
    RateLimited,
    Unavailable,
    ValidationFailed,
)
from partner_center.gateway import PartnerCenterGateway
from portal import observability

logger = logging.getLogger("partner_center.http")

_STATUS_ERRORS = {
    400: ValidationFailed,
    403: ValidationFailed,
    404: NotFound,
    409: Conflict,
    412: Conflict,
    422: ValidationFailed,
}
# Azure Reservations (Microsoft.Capacity) live on Azure Resource Manager, not on Partner
# Center: calculateExchange and exchange are POSTed there with a token for its audience.
ARM_BASE_URL = "https://management.azure.com"
ARM_SCOPE = "https://management.azure.com/.default"
REQUEST_ID_NAMESPACE = uuid.UUID("0b6f3d1e-9c1a-4f57-8a43-5d2e7c9b1f60")


def request_id(idempotency_key: str | None, step: str = "") -> str:
    """MS-RequestId: a GUID; derived from our idempotency key (and the step of a multi-call
    operation) so a retry after a timeout reuses it."""
    if not idempotency_key:
        return str(uuid.uuid4())
    return str(uuid.uuid5(REQUEST_ID_NAMESPACE, f"{idempotency_key}|{step}"))


class HttpGateway(PartnerCenterGateway):
    def __init__(
        self,
        base_url: str,
        tokens: TokenSource | str,
        *,
        timeout: float = 30.0,
        max_retries: int = 3,
        backoff: float = 0.5,
        max_sleep: float = 30.0,
        poll_attempts: int = 5,
        poll_interval: float = 2.0,
        sleep: Callable[[float], None] = time.sleep,
        transport: httpx.BaseTransport | None = None,
        arm_base_url: str = ARM_BASE_URL,
        arm_tokens: TokenSource | str | None = None,
    ):
        self.tokens = StaticToken(tokens) if isinstance(tokens, str) else tokens
        # Azure Resource Manager (reservations): its own host and token audience.
        self.arm_tokens = (
            self.tokens
            if arm_tokens is None
            else StaticToken(arm_tokens)
            if isinstance(arm_tokens, str)
            else arm_tokens
        )
        self.timeout = timeout
        self.max_retries = max_retries
        self.backoff = backoff
        self.max_sleep = max_sleep
        self.poll_attempts = poll_attempts
        self.poll_interval = poll_interval
        self.sleep = sleep
        self._client = httpx.Client(
            base_url=base_url.rstrip("/"),
            timeout=timeout,
            transport=transport,
            headers={"Accept": "application/json"},
        )
        self._arm = httpx.Client(
            base_url=arm_base_url.rstrip("/"),
            timeout=timeout,
            transport=transport,
            headers={"Accept": "application/json"},
        )

    def __repr__(self):
        return f"<HttpGateway {self._client.base_url}>"

    @classmethod
    def from_settings(cls) -> "HttpGateway":
        return cls(
            settings.PARTNER_CENTER_BASE_URL,
            tokens_from_settings(),
            timeout=settings.PARTNER_CENTER_TIMEOUT,
            max_retries=settings.PARTNER_CENTER_MAX_RETRIES,
            arm_base_url=settings.AZURE_RESOURCE_MANAGER_BASE_URL,
            arm_tokens=tokens_from_settings(scopes=[ARM_SCOPE], name="azure-resource-manager"),
        )

    def close(self):
        self._client.close()
        self._arm.close()

    # --- transport -----------------------------------------------------------------------

    def _call(
        self,
        method: str,
        path: str,
        *,
        body=None,
        params=None,
        headers=None,
        key: str | None = None,
        step: str = "",
        arm: bool = False,
    ):
        """One Partner Center call (or, with `arm`, one Azure Resource Manager call) with its
        retries → (json, response)."""
        client, tokens = (self._arm, self.arm_tokens) if arm else (self._client, self.tokens)
        rid = request_id(key, step or f"{method} {path}")
        attempts = 1 + max(self.max_retries, 0)
        refreshed = False
        attempt = 0
        while True:
            attempt += 1
            started = time.monotonic()
            correlation_id = str(uuid.uuid4())
            retry_after = None
            if arm:  # Azure Resource Manager's request id header
                sent = {
                    "Authorization": f"Bearer {tokens.access_token()}",
                    "x-ms-client-request-id": rid,
                    **(headers or {}),
                }
            else:
                sent = {
                    "Authorization": f"Bearer {tokens.access_token()}",
                    "MS-Contract-Version": "v1",
                    "MS-RequestId": rid,
                    "MS-CorrelationId": correlation_id,
                    **(headers or {}),
                }
            try:
                response = client.request(method, path, json=body, params=params, headers=sent)
            except httpx.TimeoutException:
                status = "timeout"
                failure = Unavailable(
                    f"Partner Center did not answer {method} {path} within {self.timeout:g} s."
                )
            except httpx.TransportError as e:
                status = "unreachable"
                failure = Unavailable(
                    f"Partner Center could not be reached for {method} {path} ({type(e).__name__})."
                )
            else:
                status = response.status_code
            self._log(method, path, status, started, correlation_id, rid, attempt)
            observability.partner_center_call(method, status, time.monotonic() - started)
            if isinstance(status, int):
                if status < 400:
                    return self._json(response, method, path), response
                if status == 401 and not refreshed:
                    refreshed = True  # an expired token: refresh once, same request
                    tokens.refresh()
                    attempt -= 1
                    continue
                failure = self._error(response, method, path)
                observability.partner_center_error(status, failure.code)
                if not (status == 429 or status >= 500):
                    raise failure
                retry_after = _retry_after(response.headers.get("Retry-After"))
                if isinstance(failure, RateLimited):
                    failure.retry_after = retry_after
                rid = str(uuid.uuid4())  # Partner Center answered: a new request id
            if attempt >= attempts:
                raise failure
            delay = retry_after if retry_after is not None else self.backoff * 2 ** (attempt - 1)
            self.sleep(min(max(delay, 0.0), self.max_sleep))

    @staticmethod
    def _log(method, path, status, started, correlation_id, rid, attempt):
        logger.info(
            "partner_center %s %s status=%s duration_ms=%d correlation_id=%s "
            "request_id=%s attempt=%d",
            method,
            path,
            status,
            (time.monotonic() - started) * 1000,
            correlation_id,
            rid,
            attempt,
        )

    @staticmethod
    def _json(response: httpx.Response, method, path):
        if response.status_code in (202, 204) or not response.content:
            return {}
        try:
            data = json.loads(response.content.decode("utf-8-sig"), parse_float=Decimal)
        except ValueError:
            raise Unavailable(
                f"Partner Center answered {method} {path} with a malformed body "
                f"(not JSON, HTTP {response.status_code})."
            ) from None
        if not isinstance(data, dict):
            raise Unavailable(
                f"Partner Center answered {method} {path} with unexpected JSON "
                f"(a {type(data).__name__}, not an object)."
            )
        return data

    @staticmethod
    def _error(response: httpx.Response, method, path) -> GatewayError:
        status = response.status_code
        try:
            body = json.loads(response.content)
            code = int(body["code"]) if body.get("code") is not None else None
            description = str(body.get("description") or body.get("message") or "").strip()
        except (ValueError, TypeError, KeyError, AttributeError):
            code, description = None, ""
        message = description or f"Partner Center refused {method} {path} (HTTP {status})."
        if code == errors.MCA_ALREADY_ATTESTED:
            error = AlreadyAttested(message)
        elif status == 429:
            error = RateLimited(message, code=code)
        elif status >= 500:
            error = Unavailable(
                description or f"Partner Center failed {method} {path} (HTTP {status}).", code=code
            )
        else:
            error = _STATUS_ERRORS.get(status, GatewayError)(message, code=code)
        error.http_status = status
        return error

    def _decode(self, what: str, decode, *args):
        """Turn a JSON body into our types; a body of the wrong shape → Unavailable."""
        try:
            return decode(*args)
        except (ValueError, KeyError, TypeError, AttributeError) as e:
            raise Unavailable(
                f"Partner Center's answer for {what} was not understood: {type(e).__name__} {e}."
            ) from None

    def _wait(self, attempt: int):
        self.sleep(min(self.poll_interval * 2**attempt, self.max_sleep))

    # --- customers and agreements --------------------------------------------------------

    def create_customer(self, req, *, idempotency_key):
        data, _ = self._call(
            "POST", "/v1/customers", body=wire.customer_body(req), key=idempotency_key
        )
        return self._decode("the new customer", wire.customer_info, data)

    def get_customer(self, tenant_id):
        data, _ = self._call("GET", f"/v1/customers/{tenant_id}")
        return self._decode("the customer", wire.customer_info, data)

    def is_domain_available(self, domain):
        try:
            self._call("HEAD", f"/v1/domains/{domain}")
        except NotFound:  # verify-domain-availability: 404 = available, 200 = taken
            return True
        return False

    def validate_address(self, address):
        data, _ = self._call("POST", "/v1/validations/address", body=wire.address_body(address))
        return self._decode("the address validation", wire.address_check, data)

    def list_indirect_resellers(self):
        data, _ = self._call(
            "GET",
            "/v1/relationships",
            params={"relationship_type": "IsIndirectCloudSolutionProviderOf"},
        )
        return self._decode("the indirect resellers", wire.reseller_relationships, data)

    def get_customer_resellers(self, tenant_id):
        data, _ = self._call("GET", f"/v1/customers/{tenant_id}/relationships")
        return self._decode("the customer's resellers", wire.reseller_relationships, data)

    def get_relationship_request_link(self):
        data, _ = self._call("GET", "/v1/customers/relationshiprequests")
        return self._decode("the relationship request", lambda: str(data["url"]))

    def get_mca_template_id(self):
        data, _ = self._call("GET", "/v1/agreements", params={"agreementType": wire.MCA_TYPE})
        return self._decode("the agreement metadata", wire.mca_template_id, data)

    def find_customer(self, *, domain, reseller_mpn_id):
        # "Get a list of customers filtered by a search field" (only starts_with): the exact
        # domain is checked here, then the customer's indirect resellers (its relationships).
        # https://learn.microsoft.com/partner-center/developer/get-a-customer-by-name
        domain = domain.strip().lower()
        query = json.dumps({"Field": "Domain", "Value": domain, "Operator": "starts_with"})
        data, _ = self._call("GET", "/v1/customers", params={"size": 100, "filter": query})
        for item in data.get("items") or []:
            info = self._decode("a customer", wire.customer_info, item)
            if info.domain.lower() == domain and reseller_mpn_id in {
                r.mpn_id for r in self.get_customer_resellers(info.tenant_id)
            }:
                return info
        return None

    def attest_mca(self, tenant_id, acceptance):
        data, _ = self._call(
            "POST", f"/v1/customers/{tenant_id}/agreements", body=wire.agreement_body(acceptance)
        )
        return self._decode("the attestation", wire.attestation, tenant_id, data)

    # --- purchases -----------------------------------------------------------------------

    def create_order(self, tenant_id, req, *, idempotency_key):
        from partner_center.models import PlacedOrder

        fingerprint = hashlib.sha256(
            json.dumps({"tenant": tenant_id, "request": req.identity()}, sort_keys=True).encode()
        ).hexdigest()
        record, _ = PlacedOrder.objects.get_or_create(
            key=idempotency_key, defaults={"tenant_id": tenant_id, "fingerprint": fingerprint}
        )
        if record.fingerprint != fingerprint:
            raise Conflict(
                f"The idempotency key {idempotency_key!r} was already used for a different order.",
                code=errors.IDEMPOTENCY_MISMATCH,
            )
        if record.subscription_id:
            return self.get_subscription(tenant_id, record.subscription_id)
        if not record.order_ids:
            if not record.cart_id:
                catalog_item = self._catalog_item(req, idempotency_key)
                cart, _ = self._call(
                    "POST",
                    f"/v1/customers/{tenant_id}/carts",
                    body=wire.cart_body(req, catalog_item),
                    key=idempotency_key,
                    step="cart",
                )
                record.cart_id = self._decode("the cart", lambda: cart["id"])
                record.save(update_fields=["cart_id", "updated_at"])
            result, _ = self._call(
                "POST",
                f"/v1/customers/{tenant_id}/carts/{record.cart_id}/checkout",
                key=idempotency_key,
                step="checkout",
            )
            try:
                record.order_ids = self._decode("the checkout", wire.checkout_orders, result)
            except wire.CheckoutRefused as e:
                raise ValidationFailed(
                    e.description or "Partner Center refused the order.", code=e.code
                ) from None
            record.save(update_fields=["order_ids", "updated_at"])
        subscription_id = self._poll_order(tenant_id, record.order_ids[0])
        record.subscription_id = subscription_id
        record.save(update_fields=["subscription_id", "updated_at"])
        return self.get_subscription(tenant_id, subscription_id)

    def _catalog_item(self, req, key) -> str:
        if len(wire.catalog_parts(req.catalog_item_id)) == 3:
            return req.catalog_item_id  # known from the catalog sync
        parts = wire.catalog_parts(req.offer_sku)
        if len(parts) == 3:
            return req.offer_sku
        if len(parts) != 2:
            raise ValidationFailed(
                f"{req.offer_sku!r} is not a New Commerce product:sku id.",
                code=errors.INVALID_REQUEST,
            )
        product, sku = parts
        data, _ = self._call(
            "GET",
            f"/v1/products/{product}/skus/{sku}/availabilities",
            params={"country": req.country, "targetSegment": "commercial"},
            key=key,
            step="availabilities",
        )
        availability = self._decode(
            "the availabilities", wire.availability_id, data, req.term, req.billing_frequency
        )
        return f"{product}:{sku}:{availability}"

    def _poll_order(self, tenant_id, order_id) -> str:
        for attempt in range(self.poll_attempts):
            data, _ = self._call("GET", f"/v1/customers/{tenant_id}/orders/{order_id}")
            status, ids = self._decode("the order", wire.order_state, data)
            if status == "completed" and ids:
                return ids[0]
            if status not in ("pending", "completed"):
                raise Conflict(
                    f"Partner Center's order {order_id} is {status}.", code=errors.INVALID_STATE
                )
            if attempt + 1 < self.poll_attempts:
                self._wait(attempt)
        raise OrderPending(
            f"Partner Center accepted order {order_id} and is still "
            f"provisioning it; it will be checked again."
        )

    # --- subscriptions -------------------------------------------------------------------

    def _resource(self, tenant_id, subscription_id) -> dict:
        data, _ = self._call("GET", f"/v1/customers/{tenant_id}/subscriptions/{subscription_id}")
        return data

    def get_subscription(self, tenant_id, subscription_id):
        data = self._resource(tenant_id, subscription_id)
        return self._decode("the subscription", wire.subscription, tenant_id, data)

    def get_subscriptions(self, tenant_id):
        data, _ = self._call("GET", f"/v1/customers/{tenant_id}/subscriptions")
        return self._decode(
            "the subscriptions",
            lambda: [wire.subscription(tenant_id, item) for item in data["items"]],
        )

    def _patch(
        self,
        tenant_id,
        subscription_id,
        change: Callable[[dict], None],
        done: Callable[[dict], bool],
        key=None,
        step="patch",
    ):
        """PATCH the full resource with its etag (a 412 reads it again, once); a 202 is
        followed to its Location until the change shows."""
        path = f"/v1/customers/{tenant_id}/subscriptions/{subscription_id}"
        for tries in (1, 2):
            resource = self._resource(tenant_id, subscription_id)
            if done(resource):
                return self._decode("the subscription", wire.subscription, tenant_id, resource)
            change(resource)
            etag = (resource.get("attributes") or {}).get("etag")
            try:
                data, response = self._call(
                    "PATCH",
                    path,
                    body=resource,
                    key=key,
                    step=step,
                    headers={"If-Match": etag} if etag else None,
                )
                break
            except Conflict as e:  # 412: changed since we read it; read it again, once
                if tries == 2 or getattr(e, "http_status", None) != 412:
                    raise
        if response.status_code == 202:
            data = self._follow(tenant_id, response.headers.get("Location") or path, done)
        return self._decode("the subscription", wire.subscription, tenant_id, data)

    def _follow(self, tenant_id, location, done) -> dict:
        for attempt in range(self.poll_attempts):
            self._wait(attempt)
            data, _ = self._call("GET", location)
            if done(data):
                return data
        raise Unavailable(
            "Partner Center accepted the change and is still applying it; the "
            "subscription will show it once done."
        )

    def change_quantity(self, tenant_id, subscription_id, quantity, *, idempotency_key):
        def change(r):
            r["quantity"] = quantity
            r.pop("scheduledNextTermInstructions", None)  # an immediate change replaces them

        return self._patch(
            tenant_id,
            subscription_id,
            change,
            lambda r: r.get("quantity") == quantity,
            idempotency_key,
        )

    def cancel_subscription(self, tenant_id, subscription_id, *, idempotency_key):
        return self._patch(
            tenant_id,
            subscription_id,
            lambda r: r.update(status="deleted"),
            lambda r: str(r.get("status")).lower() == "deleted",
            idempotency_key,
        )

    def change_term(self, tenant_id, subscription_id, *, term, billing_frequency, idempotency_key):
        def done(r):
            return (
                r.get("termDuration") == term
                and str(r.get("billingCycle")).lower() == billing_frequency
            )

        return self._patch(
            tenant_id,
            subscription_id,
            lambda r: r.update(termDuration=term, billingCycle=billing_frequency),
            done,
            idempotency_key,
        )

    def exchange_reservation(self, tenant_id, subscription_id, req, *, idempotency_key):
        """Azure Reservations' two steps: calculateExchange (prices it and checks Microsoft's
        policies, e.g. the new commitment ≥ the remaining one), then exchange with its
        session id; the new reservation is read back as a Partner Center subscription."""
        data, _ = self._call(
            "POST",
            "/providers/Microsoft.Capacity/calculateExchange",
            params={"api-version": wire.RESERVATIONS_API_VERSION},
            body=wire.calculate_exchange(tenant_id, subscription_id, req),
            key=idempotency_key,
            step="calculate",
            arm=True,
        )
        session_id, policy_errors = self._decode(
            "the exchange calculation", wire.exchange_session, data
        )
        if policy_errors:
            raise Conflict(" ".join(policy_errors), code=errors.INVALID_STATE)
        data, _ = self._call(
            "POST",
            "/providers/Microsoft.Capacity/exchange",
            params={"api-version": wire.RESERVATIONS_API_VERSION},
            body={"sessionId": session_id},
            key=idempotency_key,
            step="exchange",
            arm=True,
        )
        new_id = self._decode("the exchange", wire.exchanged_reservation_order, data)
        return self.get_subscription(tenant_id, new_id)

    def set_auto_renew(self, tenant_id, subscription_id, auto_renew):
        return self._patch(
            tenant_id,
            subscription_id,
            lambda r: r.update(autoRenewEnabled=bool(auto_renew)),
            lambda r: r.get("autoRenewEnabled") is bool(auto_renew),
        )

    def schedule_next_term(
        self, tenant_id, subscription_id, *, quantity, term, billing_frequency, idempotency_key
    ):
        def change(r):
            r["scheduledNextTermInstructions"] = wire.next_term_instructions(
                r, quantity=quantity, term=term, billing_frequency=billing_frequency
            )

        def done(r):
            scheduled = r.get("scheduledNextTermInstructions") or {}
            product = scheduled.get("product") or {}
            return (
                scheduled.get("quantity") == quantity
                and product.get("termDuration") == term
                and str(product.get("billingCycle")).lower() == billing_frequency
            )

        return self._patch(
            tenant_id, subscription_id, change, done, idempotency_key, step="next-term"
        )

    # --- transitions ---------------------------------------------------------------------

    def get_transition_options(self, tenant_id, subscription_id):
        data, _ = self._call(
            "GET",
            f"/v1/customers/{tenant_id}/subscriptions/{subscription_id}/transitionEligibilities",
            params={"eligibilityType": "immediate"},
        )
        return self._decode("the transition eligibilities", wire.transition_options, data)

    def transition(
        self,
        tenant_id,
        subscription_id,
        *,
        to_catalog_item_id,
        quantity,
        idempotency_key,
        to_subscription_id=None,
    ):
        source = self._resource(tenant_id, subscription_id)
        body = wire.transition_body(
            from_subscription=source,
            to_catalog_item_id=to_catalog_item_id,
            quantity=quantity,
            to_subscription_id=to_subscription_id,
            term=source.get("termDuration") or "",
            billing_frequency=str(source.get("billingCycle") or "").lower(),
        )
        data, _ = self._call(
            "POST",
            f"/v1/customers/{tenant_id}/subscriptions/{subscription_id}/transitions",
            body=body,
            key=idempotency_key,
            step="transition",
        )
        return self._decode("the transition", wire.transition_result, data)

    # --- catalog (get-a-list-of-products, get-a-list-of-skus-for-a-product,
    # get-a-list-of-availabilities-for-a-sku) ---------------------------------------------

    def _collection(self, path, params) -> list[dict]:
        """Every page of a catalog collection (a page's links.next is followed; its
        continuation token travels in the MS-ContinuationToken header)."""
        items: list[dict] = []
        headers = None
        for _ in range(100):
            data, _ = self._call("GET", path, params=params, headers=headers)
            items.extend(data.get("items") or [])
            nxt = (data.get("links") or {}).get("next")
            if not nxt:
                return items
            headers = {h["key"]: h["value"] for h in nxt.get("headers") or [] if "key" in h} or None
            path, params = (
                "/v1" + nxt["uri"] if not nxt["uri"].startswith("/v1") else nxt["uri"],
                None,
            )
        raise Unavailable(f"Partner Center's {path} has more than 100 pages.")

    def list_products(self, *, country, target_view):
        items = self._collection("/v1/products", {"country": country, "targetView": target_view})
        return self._decode("the products", wire.products, {"items": items})

    def list_skus(self, product_id, *, country):
        items = self._collection(f"/v1/products/{product_id}/skus", {"country": country})
        return self._decode("the SKUs", wire.skus, product_id, {"items": items})

    def list_availabilities(self, product_id, sku_id, *, country):
        items = self._collection(
            f"/v1/products/{product_id}/skus/{sku_id}/availabilities", {"country": country}
        )
        return self._decode(
            "the availabilities", wire.availabilities, product_id, sku_id, {"items": items}
        )

    # --- usage ---------------------------------------------------------------------------
    # Partner Center has no daily rated usage endpoint (/v1/usage/dailyrated does not exist).
    # Usage is Microsoft's billed/unbilled reconciliation, exported through Microsoft Graph
    # (get-billed-unbilled-usage-reconciliation; partner_center/graph_billing.py), which the
    # usage import reads as its "Microsoft Graph export" source.

    def fetch_usage(self, *, start, end, tenant_id=None, continuation_token=None, page_size=2000):
        raise NotSupported(
            "Partner Center has no daily rated usage API: import usage from Microsoft's "
            "billing reconciliation export (Microsoft Graph) instead."
        )

    # --- New Commerce transfers (create-a-transfer, get-transfer-by-id, get-all-of-a-
    # customer-s-transfers, update-a-transfer, accept-a-transfer; shapes in wire.py) -------

    def create_transfer(self, tenant_id, req, *, idempotency_key):
        body = wire.transfer_body(
            req, target_partner_tenant_id=settings.PARTNER_CENTER_PROVIDER_TENANT_ID
        )
        data, _ = self._call(
            "POST", f"/v1/customers/{tenant_id}/transfers", body=body, key=idempotency_key
        )
        return self._decode("the transfer", wire.transfer_info, tenant_id, data)

    def _transfer_resource(self, tenant_id, transfer_id) -> dict:
        data, _ = self._call("GET", f"/v1/customers/{tenant_id}/transfers/{transfer_id}")
        return data

    def get_transfer(self, tenant_id, transfer_id):
        data = self._transfer_resource(tenant_id, transfer_id)
        return self._decode("the transfer", wire.transfer_info, tenant_id, data)

    def list_transfers(self, tenant_id):
        data, _ = self._call("GET", f"/v1/customers/{tenant_id}/transfers")
        return self._decode("the transfers", wire.transfers, tenant_id, data)

    def _update_transfer(self, tenant_id, transfer_id, change, key=None, step="update"):
        """update-a-transfer: the full entity as read, changed, PATCHed back."""
        entity = self._transfer_resource(tenant_id, transfer_id)
        change(entity)
        data, _ = self._call(
            "PATCH",
            f"/v1/customers/{tenant_id}/transfers/{transfer_id}",
            body=entity,
            key=key,
            step=step,
        )
        return data or entity

    def cancel_transfer(self, tenant_id, transfer_id):
        data = self._update_transfer(
            tenant_id, transfer_id, lambda e: e.update(status="Cancel"), step="cancel"
        )
        return self._decode("the transfer", wire.transfer_info, tenant_id, data)

    def accept_transfer(self, tenant_id, transfer_id, *, subscription_ids, idempotency_key):
        """The sourcing side: the line items it gives up (its subscriptions as they are), then
        accept; a refused line (transferErrors) raises Conflict with Microsoft's reason."""
        current = self.get_transfer(tenant_id, transfer_id)
        if current.status == wire.transfer_status("Completed"):
            return current  # a retry after the answer was lost
        subscriptions = [self._resource(tenant_id, sid) for sid in subscription_ids]
        self._update_transfer(
            tenant_id,
            transfer_id,
            lambda e: e.update(lineItems=wire.transfer_line_items(subscriptions)),
            key=idempotency_key,
            step="line-items",
        )
        result, _ = self._call(
            "POST",
            f"/v1/customers/{tenant_id}/transfers/{transfer_id}/accept",
            key=idempotency_key,
            step="accept",
        )
        refused = self._decode("the transfer result", wire.transfer_errors, result)
        if refused:
            raise Conflict(" ".join(refused), code=errors.INVALID_STATE)
        return self.get_transfer(tenant_id, transfer_id)

    def reject_transfer(self, tenant_id, transfer_id):
        # Microsoft documents accepting and cancelling a New Commerce transfer through the API
        # (update-a-transfer), not the sourcing partner's rejection: that is done in Partner
        # Center, and the portal reads the outcome with get_transfer.
        raise NotSupported(
            "Partner Center's API does not reject a transfer: decline it in Partner Center."
        )


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
