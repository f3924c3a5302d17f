"""A fake Partner Center for HttpGateway's contract tests.

It answers Partner Center's REST paths by running the SandboxGateway on the test's own
database connection (Django's LiveServerThread trick), so the rules exist once, in the sandbox,
and the wire format is exercised end to end. Faults (429, 5xx, slow answers, broken bodies) can
be queued in front of it.
"""

import json
import re
import time
from dataclasses import dataclass, field
from datetime import date

from django.db import connections
from werkzeug import Request, Response

from partner_center import wire
from partner_center.errors import Conflict, GatewayError, NotFound, RateLimited, ValidationFailed
from partner_center.sandbox import SandboxGateway
from partner_center.types import CustomerInfo, CustomerRequest, McaAcceptance, dump, load

TOKEN = "test-token-not-for-logs"
_STATUS = [(ValidationFailed, 400), (NotFound, 404), (Conflict, 409), (RateLimited, 429)]


@dataclass
class Fault:
    status: int = 503
    body: str = '{"code": 5000, "description": "Service unavailable, try again."}'
    headers: dict = field(default_factory=dict)
    delay: float = 0.0  # seconds before answering (longer than the client's timeout = timeout)
    process_first: bool = False  # do the work, then fail (the answer is "lost")


@dataclass
class Seen:
    method: str
    path: str
    headers: dict
    body: dict | None


def _json(data, status=200):
    return Response(json.dumps(data), status=status, content_type="application/json")


class FakePartnerCenter:
    def __init__(self, connection):
        self.connection = connection
        self.sandbox = SandboxGateway()
        self.faults: list[Fault] = []
        self.seen: list[Seen] = []
        self.sessions: dict[str, tuple] = {}

    def fail(self, *faults: Fault):
        self.faults.extend(faults)

    def __call__(self, request: Request) -> Response:
        connections["default"] = self.connection  # the test's connection and transaction
        body = json.loads(request.get_data()) if request.get_data() else None
        self.seen.append(Seen(request.method, request.path, dict(request.headers), body))
        if request.headers.get("Authorization") != f"Bearer {TOKEN}":
            return _json({"code": 401, "description": "Unauthorized"}, 401)
        fault = self.faults.pop(0) if self.faults else None
        if fault and fault.delay:
            time.sleep(fault.delay)
        if fault and not fault.process_first:
            return Response(fault.body, status=fault.status, headers=fault.headers,
                            content_type="application/json")
        try:
            response = self.route(request, body)
        except GatewayError as e:
            status = next(s for cls, s in _STATUS if isinstance(e, cls))
            response = _json({"code": e.code, "description": e.message}, status)
        if fault:
            return Response(fault.body, status=fault.status, headers=fault.headers,
                            content_type="application/json")
        return response

    def reservations(self, action: str, body, key):
        """Azure Reservations' calculateExchange and exchange (Microsoft.Capacity REST
        reference, api-version 2022-11-01), answered by the sandbox."""
        from subscriptions import rules

        if action == "calculateExchange":
            returned, req = wire.exchange_request(body)
            tenant = body["properties"]["reservationsToPurchase"][0]["properties"][
                "billingScopeId"].rsplit("/", 1)[1]
            remaining, new = self.sandbox.calculate_exchange(tenant, returned, req)
            policy_errors = []
            try:
                rules.check_ri_exchange(new_commitment=new, remaining_commitment=remaining)
            except rules.RuleError as e:
                policy_errors.append({"code": "ExchangeNotAllowed", "message": e.message})
            session = f"session-{len(self.sessions) + 1}"
            self.sessions[session] = (tenant, returned, req)
            return _json({"status": "Succeeded", "properties": {
                "sessionId": session,
                "netPayable": {"currencyCode": "", "amount": str(new - remaining)},
                "policyResult": {"properties": {"policyErrors": policy_errors}}}})
        if action == "exchange":
            tenant, returned, req = self.sessions[body["sessionId"]]
            info = self.sandbox.exchange_reservation(tenant, returned, req, idempotency_key=key)
            return _json({"status": "Succeeded", "properties": {
                "sessionId": body["sessionId"],
                "reservationsToPurchase": [{"reservationOrderId": info.subscription_id,
                                            "status": "Succeeded"}]}})
        return _json({"code": 404, "description": f"No action {action}"}, 404)

    def route(self, request: Request, body):
        sandbox, method, path = self.sandbox, request.method, request.path
        key = request.headers.get("MS-RequestId")
        if method == "POST" and path == "/v1/customers":
            info = sandbox.create_customer(load(CustomerRequest, body, wire.CUSTOMER_REQUEST),
                                           idempotency_key=key)
            return _json({"id": info.tenant_id, **dump(info, wire.CUSTOMER)}, 201)
        if method == "GET" and path == "/v1/usage/dailyrated":
            page = sandbox.fetch_usage(
                start=date.fromisoformat(request.args["startDate"]),
                end=date.fromisoformat(request.args["endDate"]),
                tenant_id=request.args.get("customerId"),
                continuation_token=request.headers.get("MS-ContinuationToken"),
                page_size=int(request.args["size"]))
            return _json({"totalCount": len(page.lines),
                          "items": [dump(line, wire.USAGE_LINE) for line in page.lines],
                          "continuationToken": page.continuation_token})
        if method == "POST" and path.startswith("/providers/Microsoft.Capacity/"):
            return self.reservations(path.rsplit("/", 1)[1], body, key)
        m = re.fullmatch(r"/v1/customers/([^/]+)(?:/(\w+)(?:/([^/]+))?)?", path)
        if not m:
            return _json({"code": 404, "description": f"No route {path}"}, 404)
        tenant, collection, item = m.groups()
        if (method, collection) == ("GET", None):
            info: CustomerInfo = sandbox.get_customer(tenant)
            return _json({"id": info.tenant_id, **dump(info, wire.CUSTOMER)})
        if (method, collection) == ("POST", "agreements"):
            acceptance = load(McaAcceptance, body, wire.ACCEPTANCE)
            attestation = sandbox.attest_mca(tenant, acceptance)
            return _json({**dump(attestation, wire.ATTESTATION), "type": body["type"]}, 201)
        if (method, collection) == ("POST", "orders"):
            sub = sandbox.create_order(tenant, wire.order_request(body), idempotency_key=key)
            return _json(dump(sub, wire.SUBSCRIPTION), 201)
        if (method, collection, item) == ("GET", "subscriptions", None):
            items = [dump(s, wire.SUBSCRIPTION) for s in sandbox.get_subscriptions(tenant)]
            return _json({"totalCount": len(items), "items": items})
        if (method, collection) == ("GET", "subscriptions"):
            found = [s for s in sandbox.get_subscriptions(tenant) if s.subscription_id == item]
            if not found:
                return _json({"code": 800002, "description": f"No subscription {item}"}, 404)
            return _json(dump(found[0], wire.SUBSCRIPTION))
        if (method, collection) == ("PATCH", "subscriptions"):
            if "quantity" in body:
                sub = sandbox.change_quantity(tenant, item, body["quantity"],
                                              idempotency_key=key)
            elif "termDuration" in body:
                sub = sandbox.change_term(tenant, item, term=body["termDuration"],
                                          billing_frequency=body["billingCycle"],
                                          idempotency_key=key)
            elif body.get("status") == "deleted":
                sub = sandbox.cancel_subscription(tenant, item, idempotency_key=key)
            else:
                sub = sandbox.set_auto_renew(tenant, item, body["autoRenewEnabled"])
            return _json(dump(sub, wire.SUBSCRIPTION))
        if (method, collection, item) == ("POST", "transfers", None):
            transfer = sandbox.create_transfer(tenant, wire.transfer_request_from(body),
                                               idempotency_key=key)
            return _json(wire.transfer_json(transfer), 201)
        if (method, collection) == ("GET", "transfers"):
            return _json(wire.transfer_json(sandbox.get_transfer(tenant, item)))
        if (method, collection) == ("PATCH", "transfers"):
            return _json(wire.transfer_json(sandbox.cancel_transfer(tenant, item)))
        return _json({"code": 405, "description": f"No route {method} {path}"}, 405)
