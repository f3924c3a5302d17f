"""A fake Partner Center that speaks Microsoft's documented REST shapes.

It is written from Microsoft's documentation and SDK models alone (sources next to each rule;
the bodies it answers with are built from fixtures.py) and imports nothing of ours, so the
contract tests prove our client against Microsoft, not against itself. It checks every request
for Microsoft's headers (GUID `MS-RequestId` / `MS-CorrelationId`, `MS-Contract-Version: v1`,
a bearer token it issued), required fields and their placement (an unknown field is refused
with 400 800002 InvalidInput), and answers as Partner Center does: date-times, carts whose
checkout gives pending orders that complete after polling, subscription PATCHes that need the
full resource and its etag and may answer 202 + Location, 429 + Retry-After, 401 when a token
has expired, 600061 for a duplicate MCA attestation.

It also plays the Microsoft identity platform's token endpoint (OpenID configuration and the
refresh-token grant) for the Secure Application Model.
"""

import copy
import json
import re
import threading
import time
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs

from werkzeug import Request, Response

from tests.partner_center.microsoft import fixtures

GUID = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")
MCA_TEMPLATE_ID = fixtures.MCA_AGREEMENTS_RESPONSE["items"][0]["templateId"]


class Refusal(Exception):
    def __init__(self, status: int, code: int | None, description: str):
        super().__init__(description)
        self.status, self.code, self.description = status, code, description


def invalid(description: str) -> Refusal:
    # error-codes: "BadRequest | 400 | 800002 | Invalid request input"
    return Refusal(400, 800002, description)


# --- request shapes ------------------------------------------------------------------------
# A shape is {field: (required, nested shape or None)}; field names compare case-insensitively
# (Microsoft's own examples send PascalCase and camelCase alike). Sources: the SDK models in
# microsoft/partner-center-sdk-for-dotNET Source/PartnerSdk.Models/ and the request tables.

ANY = None
ATTRIBUTES = {"etag": (False, ANY), "objecttype": (False, ANY)}  # ResourceAttributes.cs
ADDRESS = {  # Address.cs
    "country": (True, ANY),
    "region": (False, ANY),
    "city": (True, ANY),
    "state": (False, ANY),
    "addressline1": (True, ANY),
    "addressline2": (False, ANY),
    "addressline3": (False, ANY),
    "postalcode": (True, ANY),
    "firstname": (False, ANY),
    "middlename": (False, ANY),
    "lastname": (False, ANY),
    "phonenumber": (False, ANY),
}
CUSTOMER = {  # Customer.cs, CustomerCompanyProfile.cs, CustomerBillingProfile.cs;
    # required fields: create-a-customer ("Required" columns): companyProfile.domain,
    # billingProfile.{email, culture, language, companyName, defaultAddress}
    "id": (False, ANY),
    "commerceid": (False, ANY),
    "companyprofile": (
        True,
        {
            "tenantid": (False, ANY),
            "domain": (True, ANY),
            "companyname": (False, ANY),
            "organizationregistrationnumber": (False, ANY),
            "attributes": (False, ATTRIBUTES),
        },
    ),
    "billingprofile": (
        True,
        {
            "id": (False, ANY),
            "firstname": (False, ANY),
            "lastname": (False, ANY),
            "email": (True, ANY),
            "culture": (True, ANY),
            "language": (True, ANY),
            "companyname": (True, ANY),
            "defaultaddress": (True, ADDRESS),
            "attributes": (False, ATTRIBUTES),
        },
    ),
    "relationshiptopartner": (False, ANY),
    "allowdelegatedaccess": (False, ANY),
    "usercredentials": (False, ANY),
    "customdomains": (False, ANY),
    "associatedpartnerid": (False, ANY),
    "attributes": (False, ATTRIBUTES),
}
AGREEMENT = {  # Agreement.cs; confirm-customer-consent-customer-agreement's minimum fields
    "userid": (False, ANY),
    "primarycontact": (
        True,
        {
            "firstname": (True, ANY),
            "lastname": (True, ANY),
            "email": (True, ANY),
            "phonenumber": (False, ANY),
        },
    ),
    "templateid": (True, ANY),
    "dateagreed": (True, ANY),
    "type": (True, ANY),
    "agreementlink": (False, ANY),
    "attributes": (False, ATTRIBUTES),
}
PARTICIPANT = {"key": (True, ANY), "value": (True, ANY)}  # create-a-cart request sample
CART_LINE = {  # CartLineItem.cs; create-a-cart: catalogItemId, quantity, billingCycle required
    "id": (False, ANY),
    "catalogitemid": (True, ANY),
    "friendlyname": (False, ANY),
    "quantity": (True, ANY),
    "currencycode": (False, ANY),
    "billingcycle": (True, ANY),
    "termduration": (False, ANY),
    "promotionid": (False, ANY),
    "participants": (False, [PARTICIPANT]),
    "provisioningcontext": (False, ANY),
    "ordergroup": (False, ANY),
    "purchasesystem": (False, ANY),
    "addonitems": (False, ANY),
    "renewsto": (False, ANY),
    "error": (False, ANY),
    "customtermenddate": (False, ANY),
    "attestationaccepted": (False, ANY),
}
CART = {  # Cart.cs
    "id": (False, ANY),
    "creationtimestamp": (False, ANY),
    "lastmodifiedtimestamp": (False, ANY),
    "expirationtimestamp": (False, ANY),
    "lastmodifieduser": (False, ANY),
    "lineitems": (True, [CART_LINE]),
    "status": (False, ANY),
    "partneronrecordattestationaccepted": (False, ANY),
    "attributes": (False, ATTRIBUTES),
}
PRODUCT_TERM = {  # ProductTerm.cs
    "productid": (True, ANY),
    "skuid": (True, ANY),
    "availabilityid": (True, ANY),
    "billingcycle": (True, ANY),
    "termduration": (True, ANY),
    "promotionid": (False, ANY),
}
NEXT_TERM = {  # ScheduledNextTermInstructions.cs
    "product": (True, PRODUCT_TERM),
    "quantity": (True, ANY),
    "customtermenddate": (False, ANY),
}
SUBSCRIPTION_FIELDS = [  # Subscription.cs (+ orderId, contractType, attentionNeeded, actionTaken,
    # commitmentEndDateTime of the documented examples)
    "id",
    "entitlementid",
    "offerid",
    "offername",
    "friendlyname",
    "producttype",
    "quantity",
    "unittype",
    "parentsubscriptionid",
    "consumptiontype",
    "creationdate",
    "effectivestartdate",
    "commitmentenddate",
    "commitmentenddatetime",
    "cancellationalloweduntildate",
    "billingcycleenddate",
    "billingcycleenddatetime",
    "status",
    "autorenewenabled",
    "billingtype",
    "billingcycle",
    "haspurchasableaddons",
    "istrial",
    "actions",
    "termduration",
    "renewaltermduration",
    "refundoptions",
    "ismicrosoftproduct",
    "partnerid",
    "suspensionreasons",
    "links",
    "publishername",
    "promotionid",
    "migratedfromsubscriptionid",
    "refundablequantity",
    "nextchargeinstructions",
    "orderid",
    "contracttype",
    "attentionneeded",
    "actiontaken",
    "customtermenddate",
]
# change-the-quantity-of-a-subscription: "A full Subscription resource is required in the
# request body" — these are the fields every documented PATCH body carries.
SUBSCRIPTION_REQUIRED = {
    "id",
    "offerid",
    "quantity",
    "status",
    "autorenewenabled",
    "billingcycle",
    "termduration",
    "attributes",
}
SUBSCRIPTION = {
    **{name: (name in SUBSCRIPTION_REQUIRED, ANY) for name in SUBSCRIPTION_FIELDS},
    "attributes": (True, ATTRIBUTES),
    "schedulednextterminstructions": (False, NEXT_TERM),
}
TRANSITION = {  # Transition.cs; transition-a-new-commerce-subscription's request table
    "operationid": (False, ANY),
    "fromcatalogitemid": (False, ANY),
    "fromsubscriptionid": (False, ANY),
    "tocatalogitemid": (True, ANY),
    "tosubscriptionid": (False, ANY),
    "quantity": (True, ANY),
    "termduration": (False, ANY),
    "billingcycle": (False, ANY),
    "transitiontype": (True, ANY),
    "promotionid": (False, ANY),
    "events": (False, ANY),
    "attributes": (False, ATTRIBUTES),
}


TRANSFER_LINE = {  # transfer-entity-resources: TransferLineItem
    "id": (False, ANY),
    "subscriptionid": (True, ANY),
    "quantity": (False, ANY),
    "billingcycle": (False, ANY),
    "termduration": (False, ANY),
    "friendlyname": (False, ANY),
    "partneridonrecord": (False, ANY),
    "offerid": (False, ANY),
    "addonitems": (False, ANY),
    "transfererror": (False, ANY),
    "status": (False, ANY),
    "producttype": (False, ANY),
    "transfergroupid": (False, ANY),
}
TRANSFER = {  # create-a-transfer (new commerce) request table + transfer-entity-resources
    **{
        name.lower(): (name in fixtures.TRANSFER_NCE_REQUIRED, ANY)
        for name in fixtures.TRANSFER_NCE_FIELDS + fixtures.TRANSFER_NCE_ANSWER_FIELDS
    },
    "lineitems": (False, [TRANSFER_LINE]),
    **{
        name.lower(): (False, ANY)
        for name in fixtures.TRANSFER_CREATED
        if name not in ("lineItems",)
    },
}


def check_shape(data, shape, where="body"):
    """Raise 800002 for an unknown field, a missing required one, or a wrong nesting."""
    if isinstance(shape, list):
        if not isinstance(data, list):
            raise invalid(f"{where} must be an array")
        for i, item in enumerate(data):
            check_shape(item, shape[0], f"{where}[{i}]")
        return
    if not isinstance(data, dict):
        raise invalid(f"{where} must be an object")
    seen = {key.lower(): key for key in data}
    for key in seen:
        if key not in shape:
            raise invalid(f"{where}.{seen[key]} is not a field of this resource")
    for name, (required, nested) in shape.items():
        present = name in seen and data[seen[name]] is not None
        if required and not present:
            raise invalid(f"{where}.{name} is required")
        if present and nested is not None:
            check_shape(data[seen[name]], nested, f"{where}.{name}")


def get(data: dict, *path):
    """Case-insensitive nested read; None when absent."""
    node = data
    for part in path:
        if not isinstance(node, dict):
            return None
        node = next((v for k, v in node.items() if k.lower() == part.lower()), None)
    return node


def now_text(at: datetime | None = None) -> str:
    return (at or datetime.now(UTC)).strftime("%Y-%m-%dT%H:%M:%S.%f0Z")


def parse_instant(text: str) -> datetime:
    value = datetime.fromisoformat(text.replace("Z", "+00:00"))
    if value.tzinfo is None:
        raise invalid(f"{text!r} is not a UTC date-time")
    return value


@dataclass
class Seen:
    method: str
    path: str
    query: dict
    headers: dict
    body: dict | None


@dataclass
class Queued:
    """An answer given instead of the real one to the next request whose path matches."""

    status: int
    body: dict | str | None = None
    headers: dict = field(default_factory=dict)
    path: str = ""  # regex; empty = any request
    method: str = ""  # empty = any method
    then_process: bool = False  # do the work, then answer this (the real answer is "lost")


class MicrosoftPartnerCenter:
    def __init__(self, *, polls_until_complete: int = 2, token_lifetime: int = 3600):
        self.lock = threading.Lock()
        self.polls_until_complete = polls_until_complete
        self.token_lifetime = token_lifetime
        self.refresh_tokens = {"bootstrap-refresh-token"}
        self.access_tokens: set[str] = set()
        self.token_requests: list[dict] = []
        self.customers: dict[str, dict] = {}
        self.attestations: dict[str, list[dict]] = {}
        self.carts: dict[str, dict] = {}
        self.orders: dict[str, dict] = {}
        self.order_polls: dict[str, int] = {}
        self.subscriptions: dict[str, dict] = {}
        self.queued: list[Queued] = []
        self.seen: list[Seen] = []
        self.accept_next_patches = 0  # PATCHes answered 202 + Location
        self.late_answer = 0.0  # seconds the next answer is held back
        self.catalog: dict[tuple[str, str], str] = {}  # (product, sku) → availability id
        self.transfers: dict[str, dict] = {}
        self.products_catalog: dict[str, dict] = {}
        # headers: MS-RequestId is "used to ensure id-potency. If there's a timeout, the retry
        # call should include the same value": a repeated id gets the first answer again.
        self.answered: dict[tuple[str, str, str], Response] = {}

    # --- test controls -------------------------------------------------------------------

    def queue(self, *answers: Queued):
        self.queued.extend(answers)

    def issue_token(self) -> str:
        token = f"pc-{uuid.uuid4().hex}"
        self.access_tokens.add(token)
        return token

    def expire_tokens(self):
        self.access_tokens.clear()

    def calls(self, method: str, pattern: str) -> list[Seen]:
        return [s for s in self.seen if s.method == method and re.search(pattern, s.path)]

    # --- dispatch ------------------------------------------------------------------------

    def __call__(self, request: Request) -> Response:
        delay, self.late_answer = self.late_answer, 0.0
        with self.lock:
            response = self._handle(request)
        if delay:  # the work is done, the answer comes too late (the client times out)
            time.sleep(delay)
        return response

    def _handle(self, request: Request) -> Response:
        raw = request.get_data()
        if "/oauth2/" in request.path or "/.well-known/" in request.path:
            return self._identity(request)
        try:
            body = json.loads(raw) if raw else None
        except ValueError:
            return self._error(invalid("The body is not JSON"))
        self.seen.append(
            Seen(request.method, request.path, request.args.to_dict(), dict(request.headers), body)
        )
        try:
            self._check_headers(request)
        except Refusal as e:
            return self._error(e)
        queued = next(
            (
                q
                for q in self.queued
                if re.search(q.path, request.path) and q.method in ("", request.method)
            ),
            None,
        )
        if queued:
            self.queued.remove(queued)
            if not queued.then_process:
                return self._answer(queued)
        replay_key = (request.headers["MS-RequestId"], request.method, request.path)
        if request.method != "GET" and replay_key in self.answered:
            return self.answered[replay_key]
        try:
            response = self._route(request, body)
        except Refusal as e:
            response = self._error(e)
        if request.method != "GET" and response.status_code < 400:
            self.answered[replay_key] = response
        return self._answer(queued) if queued else response

    @staticmethod
    def _answer(q: Queued) -> Response:
        text = q.body if isinstance(q.body, str) or q.body is None else json.dumps(q.body)
        return Response(
            text or b"", status=q.status, headers=q.headers, content_type="application/json"
        )

    @staticmethod
    def _json(data, status=200, headers=None) -> Response:
        return Response(
            json.dumps(data),
            status=status,
            headers=headers or {},
            content_type="application/json; charset=utf-8",
        )

    @staticmethod
    def _error(e: Refusal) -> Response:
        if e.status == 401:
            return Response(b"", status=401, headers={"WWW-Authenticate": "Bearer"})
        # Error bodies as confirm-customer-consent-customer-agreement shows them.
        return MicrosoftPartnerCenter._json(
            {"code": e.code, "description": e.description, "message": e.description}, e.status
        )

    def _check_headers(self, request: Request):
        # headers: Authorization "Bearer <token>" required; MS-RequestId and MS-CorrelationId
        # are GUIDs; MS-Contract-Version "Required ... generally api-version: v1".
        auth = request.headers.get("Authorization", "")
        if not auth.startswith("Bearer ") or auth[7:] not in self.access_tokens:
            raise Refusal(401, None, "Unauthorized")
        for name in ("MS-RequestId", "MS-CorrelationId"):
            if not GUID.match(request.headers.get(name, "")):
                raise invalid(f"{name} must be a GUID")
        if request.headers.get("MS-Contract-Version") != "v1":
            raise invalid("MS-Contract-Version must be v1")

    def _route(self, request: Request, body):
        method, path = request.method, request.path
        if (method, path) == ("POST", "/v1/customers"):
            return self.create_customer(body)
        if (method, path) == ("GET", "/v1/agreements"):
            return self.agreements(request.args.get("agreementType"))
        if method == "HEAD" and path.startswith("/v1/domains/"):
            return self.domain(path.rsplit("/", 1)[1])
        if (method, path) == ("POST", "/v1/validations/address"):
            return self.validate_address(body)
        if (method, path) == ("GET", "/v1/relationships"):
            return self.relationships(request.args.get("relationship_type"))
        if (method, path) == ("GET", "/v1/customers/relationshiprequests"):
            # request-reseller-relationship: the link for the calling partner
            return self._json(fixtures.RELATIONSHIP_REQUEST_RESPONSE)
        if (method, path) == ("GET", "/v1/products"):
            return self.products(request.args)
        m = re.fullmatch(r"/v1/products/([^/]+)/skus", path)
        if method == "GET" and m:
            return self.skus(m.group(1), request.args)
        m = re.fullmatch(r"/v1/products/([^/]+)/skus/([^/]+)/availabilities", path)
        if method == "GET" and m:
            return self.availabilities(*m.groups(), request.args)
        m = re.fullmatch(r"/v1/customers/([^/]+)(/.*)?", path)
        if not m:
            raise Refusal(404, None, f"No resource at {path}")
        tenant, rest = m.group(1), m.group(2) or ""
        customer = self.customers.get(tenant.lower())
        if customer is None:
            raise Refusal(404, None, "Customer not found")
        routes = [
            ("GET", r"", lambda: self._json(customer)),
            ("GET", r"/relationships", lambda: self.customer_relationships(customer)),
            ("POST", r"/agreements", lambda: self.attest(tenant, body)),
            ("POST", r"/carts", lambda: self.create_cart(tenant, body)),
            ("POST", r"/carts/([^/]+)/checkout", lambda cart: self.checkout(tenant, cart, body)),
            ("GET", r"/orders/([^/]+)", lambda order: self.get_order(tenant, order)),
            ("GET", r"/subscriptions", lambda: self.list_subscriptions(tenant)),
            ("GET", r"/subscriptions/([^/]+)", lambda sid: self.get_subscription(tenant, sid)),
            (
                "PATCH",
                r"/subscriptions/([^/]+)",
                lambda sid: self.patch_subscription(tenant, sid, body, request),
            ),
            (
                "GET",
                r"/subscriptions/([^/]+)/transitionEligibilities",
                lambda sid: self.eligibilities(tenant, sid, request.args.get("eligibilityType")),
            ),
            (
                "POST",
                r"/subscriptions/([^/]+)/transitions",
                lambda sid: self.transition(tenant, sid, body),
            ),
            ("POST", r"/transfers", lambda: self.create_transfer(tenant, body)),
            ("GET", r"/transfers", lambda: self.list_transfers(tenant)),
            ("GET", r"/transfers/([^/]+)", lambda tid: self._json(self._transfer(tenant, tid))),
            ("PATCH", r"/transfers/([^/]+)", lambda tid: self.update_transfer(tenant, tid, body)),
            ("POST", r"/transfers/([^/]+)/accept", lambda tid: self.accept_transfer(tenant, tid)),
        ]
        for verb, pattern, handler in routes:
            hit = re.fullmatch(pattern, rest)
            if verb == method and hit:
                return handler(*hit.groups())
        raise Refusal(
            405 if any(re.fullmatch(p, rest) for _, p, _ in routes) else 404,
            None,
            f"No operation {method} {path}",
        )

    # --- identity platform (Secure Application Model) -----------------------------------
    # enable-secure-app-model / partner-center-authentication: App+User access tokens come
    # from the refresh token (grant_type=refresh_token) at the tenant's token endpoint.

    def _identity(self, request: Request) -> Response:
        base = request.host_url.rstrip("/") + request.path.split("/v2.0/")[0].split("/oauth2/")[0]
        if request.path.endswith("/.well-known/openid-configuration"):
            return self._json(
                {
                    "authorization_endpoint": f"{base}/oauth2/v2.0/authorize",
                    "token_endpoint": f"{base}/oauth2/v2.0/token",
                    "issuer": f"{base}/v2.0",
                }
            )
        form = parse_qs(request.get_data(as_text=True))
        values = {k: v[0] for k, v in form.items()}
        self.token_requests.append(values)
        if values.get("grant_type") == "authorization_code":
            # the consent flow: the code the operator's sign-in gave, for App+User tokens
            if values.get("code") != "consent-code" or not values.get("redirect_uri"):
                return self._json(
                    {"error": "invalid_grant", "error_description": "AADSTS70000: code not valid"},
                    400,
                )
            new_refresh = f"rt-{uuid.uuid4().hex}"
            self.refresh_tokens.add(new_refresh)
            return self._json(
                {
                    "token_type": "Bearer",
                    "scope": values.get("scope", ""),
                    "expires_in": self.token_lifetime,
                    "access_token": self.issue_token(),
                    "refresh_token": new_refresh,
                }
            )
        if values.get("grant_type") == "client_credentials":
            # app-only (Microsoft Graph): no refresh token in the answer
            return self._json(
                {
                    "token_type": "Bearer",
                    "expires_in": self.token_lifetime,
                    "ext_expires_in": self.token_lifetime,
                    "access_token": self.issue_token(),
                }
            )
        if (
            values.get("grant_type") != "refresh_token"
            or values.get("refresh_token") not in self.refresh_tokens
        ):
            return self._json(
                {
                    "error": "invalid_grant",
                    "error_description": "AADSTS70000: refresh token not valid",
                },
                400,
            )
        new_refresh = f"rt-{uuid.uuid4().hex}"
        self.refresh_tokens.add(new_refresh)
        return self._json(
            {
                "token_type": "Bearer",
                "scope": values.get("scope", ""),
                "expires_in": self.token_lifetime,
                "ext_expires_in": self.token_lifetime,
                "access_token": self.issue_token(),
                "refresh_token": new_refresh,
            }
        )

    # --- customers and agreements --------------------------------------------------------

    def create_customer(self, body):
        check_shape(body, CUSTOMER)
        domain = get(body, "companyProfile", "domain")
        if any(
            get(c, "companyProfile", "domain").lower() == domain.lower()
            for c in self.customers.values()
        ):
            raise Refusal(409, None, f"Domain {domain} already exists")
        associated = get(body, "associatedPartnerId")
        if associated and not GUID.match(associated):
            # create-a-customer-for-an-indirect-reseller: the reseller's tenant GUID
            raise invalid("associatedPartnerId must be the indirect reseller's tenant GUID")
        tenant = str(uuid.uuid4())
        answer = copy.deepcopy(fixtures.CUSTOMER_CREATE_RESPONSE)
        billing = get(body, "billingProfile")
        answer.update({"id": tenant, "commerceId": tenant, "associatedPartnerId": associated})
        answer["companyProfile"].update(
            {"tenantId": tenant, "domain": domain, "companyName": get(billing, "companyName")}
        )
        answer["companyProfile"]["links"]["self"]["uri"] = f"/customers/{tenant}/profiles/company"
        answer["billingProfile"].update(
            {
                "email": get(billing, "email"),
                "culture": get(billing, "culture"),
                "language": get(billing, "language"),
                "companyName": get(billing, "companyName"),
                "defaultAddress": {
                    k[0].lower() + k[1:]: v for k, v in get(billing, "defaultAddress").items() if v
                },
            }
        )
        answer["userCredentials"] = {"userName": "admin", "password": uuid.uuid4().hex[:10]}
        self.customers[tenant] = {k: v for k, v in answer.items() if k != "userCredentials"}
        return self._json(answer, 201)

    def agreements(self, agreement_type):
        # get-customer-agreement-metadata: without the parameter the answer is the MCA's
        # predecessor (MicrosoftCloudAgreement) — only asking for MicrosoftCustomerAgreement
        # gives the MCA template.
        if agreement_type != "MicrosoftCustomerAgreement":
            return self._json(fixtures.MCA_NOT_ASKED_RESPONSE)
        return self._json(fixtures.MCA_AGREEMENTS_RESPONSE)

    def attest(self, tenant, body):
        check_shape(body, AGREEMENT)
        if get(body, "type") != "MicrosoftCustomerAgreement":
            raise invalid("type must be MicrosoftCustomerAgreement")
        if get(body, "templateId") != MCA_TEMPLATE_ID:
            raise invalid("templateId is not the Microsoft Customer Agreement's")
        agreed = parse_instant(get(body, "dateAgreed"))
        if agreed > datetime.now(UTC):
            raise invalid("dateAgreed is in the future")
        # confirm-customer-consent-customer-agreement: another agreement is allowed only when
        # first name, last name, email or phone number changed; otherwise 600061.
        contact = {k.lower(): v for k, v in get(body, "primaryContact").items()}
        contact.setdefault("phonenumber", None)
        history = self.attestations.setdefault(tenant, [])
        if history and history[-1] == contact:
            raise Refusal(400, 600061, fixtures.ERROR_600061["description"])
        history.append(contact)
        answer = copy.deepcopy(fixtures.AGREEMENT_RESPONSE)
        answer.update(
            {
                "primaryContact": get(body, "primaryContact"),
                "dateAgreed": get(body, "dateAgreed"),
                "templateId": MCA_TEMPLATE_ID,
            }
        )
        return self._json(answer, 201)

    # --- domains, addresses, relationships ----------------------------------------------

    def domain(self, domain):
        # verify-domain-availability: 200 when the domain exists (taken), 404 when available.
        taken = any(
            get(c, "companyProfile", "domain").lower() == domain.lower()
            for c in self.customers.values()
        )
        return Response(b"", status=200 if taken else 404)

    def validate_address(self, body):
        check_shape(
            body,
            {
                name: (name in {"addressline1", "city", "country", "postalcode"}, ANY)
                for name in ADDRESS
            },
        )
        # validate-an-address: a full street address is "VerifiedShippable"; one without a
        # street number is "StreetPartial" with a suggestion (the two documented examples).
        verified = str(get(body, "addressLine1"))[:1].isdigit()
        answer = copy.deepcopy(
            fixtures.ADDRESS_VERIFIED_RESPONSE if verified else fixtures.ADDRESS_PARTIAL_RESPONSE
        )
        answer["originalAddress"] = {k[0].lower() + k[1:]: v for k, v in body.items()}
        return self._json(answer)

    def relationships(self, relationship_type):
        if relationship_type != "IsIndirectCloudSolutionProviderOf":
            raise invalid("relationship_type must name a PartnerRelationshipType member")
        return self._json(fixtures.RESELLERS_RESPONSE)

    def customer_relationships(self, customer):
        answer = copy.deepcopy(fixtures.CUSTOMER_RESELLERS_RESPONSE)
        known = {r["id"]: r for r in fixtures.RESELLERS_RESPONSE["items"]}
        reseller = known.get(customer.get("associatedPartnerId"))
        answer["items"] = (
            [{k: v for k, v in reseller.items() if k not in ("state", "location")}]
            if reseller
            else []
        )
        answer["totalCount"] = len(answer["items"])
        return self._json(answer)

    # --- catalog: get-a-list-of-products, get-a-list-of-skus-for-a-product --------------
    # `products_catalog` is {product id: (title, [(sku id, title, min, max)])}, by target view.

    def products(self, args):
        if not args.get("country") or not args.get("targetView"):
            raise invalid("country and targetView are required")
        answer = copy.deepcopy(fixtures.PRODUCTS)
        template = answer["items"][0]
        items = []
        for product_id, (title, _skus) in self.products_catalog.get(args["targetView"], {}).items():
            item = copy.deepcopy(template)
            item.update({"id": product_id, "title": title, "description": title})
            item["productType"] = {"id": args["targetView"], "displayName": args["targetView"]}
            for link in item["links"].values():
                link["uri"] = link["uri"].replace("DZH318Z0BQ3Q", product_id)
            items.append(item)
        answer.update(totalCount=len(items), items=items)
        return self._json(answer)

    def skus(self, product_id, args):
        if not args.get("country"):
            raise invalid("country is required")
        found = next(
            (
                p
                for view in self.products_catalog.values()
                for k, p in view.items()
                if k == product_id
            ),
            None,
        )
        if found is None:
            raise Refusal(404, 400013, "Parent product not found")  # get-a-list-of-skus
        answer = copy.deepcopy(fixtures.SKUS)
        template = answer["items"][0]
        items = []
        for sku_id, title, low, high in found[1]:
            item = copy.deepcopy(template)
            item.update(
                {
                    "id": sku_id,
                    "productId": product_id,
                    "title": title,
                    "description": title,
                    "minimumQuantity": low,
                    "maximumQuantity": high,
                    "supportedBillingCycles": ["monthly", "annual"],
                }
            )
            items.append(item)
        answer.update(totalCount=len(items), items=items)
        return self._json(answer)

    # --- catalog: get-a-list-of-availabilities-for-a-sku ---------------------------------

    def availabilities(self, product, sku, args):
        if not args.get("country"):
            raise invalid("country is required")
        answer = copy.deepcopy(fixtures.AVAILABILITIES)
        item = answer["items"][0]
        availability = self.catalog.get((product, sku), f"{product[:6]}AV{sku}")
        item.update(
            {
                "id": availability,
                "productId": product,
                "skuId": sku,
                "catalogItemId": f"{product}:{sku}:{availability}",
                "country": args["country"],
                "terms": [{"duration": d, "description": d} for d in ("P1M", "P1Y", "P3Y")],
            }
        )
        item["links"]["self"]["uri"] = (
            f"/products/{product}/skus/{sku}/availabilities/"
            f"{availability}?country={args['country']}"
        )
        answer["links"]["self"]["uri"] = (
            f"/products/{product}/skus/{sku}/availabilities?country={args['country']}"
        )
        return self._json(answer)

    # --- carts, orders, subscriptions ----------------------------------------------------

    def create_cart(self, tenant, body):
        check_shape(body, CART)
        for line in get(body, "lineItems"):
            catalog = get(line, "catalogItemId")
            if len(catalog.split(":")) != 3:
                # New commerce catalog items are product:sku:availability (create-a-cart).
                raise invalid(f"catalogItemId {catalog!r} is not product:sku:availability")
            if not isinstance(get(line, "quantity"), int) or get(line, "quantity") < 1:
                raise invalid("quantity must be a positive integer")
            if str(get(line, "billingCycle")).lower() not in {
                "monthly",
                "annual",
                "triennial",
                "one_time",
                "none",
            }:
                raise invalid("billingCycle is not a BillingCycleType")
            for p in get(line, "participants") or []:
                if p["key"] not in ("transaction_reseller", "additional_transaction_reseller"):
                    raise invalid(f"participant key {p['key']!r} is not known")
        if not self.attestations.get(tenant):
            # error-codes 13605: no purchase before the MCA acceptance is confirmed.
            raise Refusal(
                403,
                13605,
                "Either a partner confirmation of the customer acceptance "
                "of the Microsoft Customer Agreement must be provided or the customer "
                "must accept the Microsoft Customer Agreement in the Microsoft Admin "
                "Center before you can complete this purchase",
            )
        cart_id = str(uuid.uuid4())
        answer = copy.deepcopy(fixtures.CART_RESPONSE)
        answer.update(
            {
                "id": cart_id,
                "creationTimestamp": now_text(),
                "lastModifiedTimestamp": now_text(),
                "expirationTimestamp": now_text(datetime.now(UTC) + timedelta(days=7)),
            }
        )
        answer["lineItems"] = [
            {
                "id": i,
                "catalogItemId": get(line, "catalogItemId"),
                "quantity": get(line, "quantity"),
                "currencyCode": "USD",
                "billingCycle": str(get(line, "billingCycle")).lower(),
                "termDuration": get(line, "termDuration"),
                **(
                    {"participants": get(line, "participants")} if get(line, "participants") else {}
                ),
                "provisioningContext": {},
                "orderGroup": "0",
            }
            for i, line in enumerate(get(body, "lineItems"))
        ]
        answer["links"]["self"]["uri"] = f"/customers/{tenant}/carts/{cart_id}"
        self.carts[cart_id] = {"tenant": tenant, "cart": answer, "checked_out": False}
        return self._json(answer, 201)

    def checkout(self, tenant, cart_id, body):
        if body:  # checkout-a-cart: "Request body: None."
            raise invalid("checkout takes no body")
        entry = self.carts.get(cart_id)
        if entry is None or entry["tenant"] != tenant:
            raise Refusal(404, 800008, "Unable to retrieve cart ID")  # error-codes 800008
        if entry["checked_out"]:
            raise invalid("The cart was already checked out")
        entry["checked_out"] = True
        orders = []
        for line in entry["cart"]["lineItems"]:
            order_id = uuid.uuid4().hex[:12]
            order = copy.deepcopy(fixtures.CHECKOUT_ORDER_NCE)
            reseller = next(
                (
                    p["value"]
                    for p in line.get("participants", [])
                    if p["key"] == "transaction_reseller"
                ),
                None,
            )
            order.update(
                {
                    "id": order_id,
                    "alternateId": order_id,
                    "referenceCustomerId": tenant,
                    "billingCycle": line["billingCycle"],
                    "creationDate": now_text(),
                    "status": "pending",
                }
            )
            item = order["lineItems"][0]
            item.update(
                {
                    "offerId": line["catalogItemId"],
                    "termDuration": line["termDuration"],
                    "quantity": line["quantity"],
                    "friendlyName": line["catalogItemId"],
                }
            )
            item.pop("subscriptionId")  # checkout-a-cart: ids appear once provisioned
            if reseller:
                item["partnerIdOnRecord"] = reseller
            for link in order["links"].values():
                link["uri"] = re.sub(
                    r"/customers/[^/]+/orders/[^/]+",
                    f"/customers/{tenant}/orders/{order_id}",
                    link["uri"],
                )
            self.orders[order_id] = order
            self.order_polls[order_id] = 0
            orders.append(order)
        return self._json({"orders": orders, "orderErrors": []}, 201)

    def get_order(self, tenant, order_id):
        order = self.orders.get(order_id)
        if order is None or order["referenceCustomerId"] != tenant:
            raise Refusal(404, 20000, "Order ID not found")  # error-codes 20000
        self.order_polls[order_id] += 1
        if order["status"] == "pending" and self.order_polls[order_id] >= self.polls_until_complete:
            self._complete(tenant, order)
        return self._json(order)

    def _complete(self, tenant, order):
        order["status"] = "completed"
        for item in order["lineItems"]:
            sid = str(uuid.uuid4())
            item["subscriptionId"] = sid
            self.subscriptions[sid] = self._new_subscription(tenant, sid, order, item)

    def _new_subscription(self, tenant, sid, order, item) -> dict:
        product, sku, availability = item["offerId"].split(":")
        start = datetime.now(UTC)
        months = {"P1M": 1, "P1Y": 12, "P3Y": 36}.get(item.get("termDuration"), 1)
        year, month = divmod(start.month - 1 + months, 12)
        end = start.replace(
            year=start.year + year, month=month + 1, day=min(start.day, 28)
        ) - timedelta(days=1)
        sub = copy.deepcopy(fixtures.SUBSCRIPTION_NCE)
        sub.update(
            {
                "id": sid,
                "offerId": item["offerId"],
                "offerName": item["friendlyName"],
                "friendlyName": item["friendlyName"],
                "quantity": item["quantity"],
                "creationDate": now_text(start),
                "effectiveStartDate": now_text(start),
                "commitmentEndDate": end.strftime("%Y-%m-%dT00:00:00Z"),
                "commitmentEndDateTime": end.strftime("%Y-%m-%dT23:59:59Z"),
                "cancellationAllowedUntilDate": now_text(start + timedelta(days=7)),
                "status": "active",
                "autoRenewEnabled": True,
                "billingCycle": order["billingCycle"],
                "termDuration": item["termDuration"],
                "orderId": order["id"],
                "partnerId": item.get("partnerIdOnRecord", ""),
                "refundOptions": [
                    {"type": "Full", "expiresAt": now_text(start + timedelta(days=1))}
                ],
                "refundableQuantity": {
                    "totalQuantity": item["quantity"],
                    "details": [
                        {
                            "quantity": item["quantity"],
                            "allowedUntilDateTime": now_text(start + timedelta(days=7)),
                        }
                    ],
                },
                "attributes": {"etag": uuid.uuid4().hex, "objectType": "Subscription"},
            }
        )
        for link in sub["links"].values():
            link["uri"] = (
                link["uri"]
                .replace("CFQ7TTC0LH18", product)
                .replace("0001", sku)
                .replace("CFQ7TTC0K971", availability)
            )
        sub["links"]["self"]["uri"] = f"/customers/{tenant}/subscriptions/{sid}"
        sub["_tenant"] = tenant
        return sub

    def add_subscription(self, tenant: str, resource: dict) -> dict:
        """Put a documented subscription body (e.g. an Azure plan) on a customer."""
        sub = copy.deepcopy(resource)
        sub["_tenant"] = tenant
        sub.setdefault("attributes", {}).setdefault("etag", uuid.uuid4().hex)
        self.subscriptions[sub["id"]] = sub
        return sub

    def _subscription(self, tenant, sid) -> dict:
        sub = self.subscriptions.get(sid)
        if sub is None or sub["_tenant"] != tenant:
            raise Refusal(404, None, "Subscription not found")
        return sub

    @staticmethod
    def _public(sub) -> dict:
        return {k: v for k, v in sub.items() if not k.startswith("_")}

    def list_subscriptions(self, tenant):
        items = [self._public(s) for s in self.subscriptions.values() if s["_tenant"] == tenant]
        return self._json(
            {
                "totalCount": len(items),
                "items": items,
                "links": {
                    "self": {
                        "uri": f"/customers/{tenant}/subscriptions",
                        "method": "GET",
                        "headers": [],
                    }
                },
                "attributes": {"objectType": "Collection"},
            }
        )

    def get_subscription(self, tenant, sid):
        return self._json(self._public(self._subscription(tenant, sid)))

    def patch_subscription(self, tenant, sid, body, request):
        sub = self._subscription(tenant, sid)
        check_shape(body, SUBSCRIPTION)
        if get(body, "id") != sid:
            raise invalid("The body's id is not this subscription")
        etag = request.headers.get("If-Match") or get(body, "attributes", "etag")
        if etag != sub["attributes"]["etag"]:
            # headers: If-Match / ETag is for concurrency control; error-codes 412.
            raise Refusal(412, None, "The resource was changed; read it again (etag mismatch)")
        changes = {}
        for name in (
            "quantity",
            "status",
            "autoRenewEnabled",
            "billingCycle",
            "termDuration",
            "scheduledNextTermInstructions",
        ):
            value = get(body, name)
            if value != sub.get(name):  # the body is the full resource: absent = none
                changes[name] = value
        if changes.get("scheduledNextTermInstructions") and not (
            changes.get("autoRenewEnabled", sub["autoRenewEnabled"])
        ):
            # create-scheduled-changes: AutoRenewEnabled must be true.
            raise invalid("Scheduled changes need autoRenewEnabled = true")
        if changes.get("status") not in (None, "deleted", "suspended", "active"):
            raise invalid("status is not a subscription status")
        sub.update(changes)
        sub["attributes"]["etag"] = uuid.uuid4().hex
        if self.accept_next_patches:
            # change-the-quantity-of-a-subscription: "HTTP status 202 ... and a location header
            # that points to where to retrieve the subscription".
            self.accept_next_patches -= 1
            return Response(
                b"", status=202, headers={"Location": f"/v1/customers/{tenant}/subscriptions/{sid}"}
            )
        return self._json(self._public(sub))

    # --- transitions ---------------------------------------------------------------------

    def eligibilities(self, tenant, sid, eligibility_type):
        sub = self._subscription(tenant, sid)
        if (eligibility_type or "immediate").lower() != "immediate":
            # "Empty lists will be returned ... if the eligibilityType is specified as Scheduled"
            return self._json(
                {"totalCount": 0, "items": [], "attributes": {"objectType": "Collection"}}
            )
        answer = copy.deepcopy(fixtures.TRANSITION_ELIGIBILITIES)
        for item in answer["items"]:
            item["quantity"] = sub["quantity"]
        return self._json(answer)

    def transition(self, tenant, sid, body):
        sub = self._subscription(tenant, sid)
        check_shape(body, TRANSITION)
        if get(body, "fromSubscriptionId") not in (None, sid):
            raise invalid("fromSubscriptionId is not this subscription")
        if get(body, "transitionType") not in (
            "transition_only",
            "transition_with_license_transfer",
        ):
            raise invalid(
                "transitionType must be transition_only or transition_with_license_transfer"
            )
        quantity = get(body, "quantity")
        if not isinstance(quantity, int) or not 1 <= quantity <= sub["quantity"]:
            raise invalid("quantity must be between 1 and the subscription's quantity")
        answer = copy.deepcopy(fixtures.TRANSITION_RESPONSE)
        answer.update(
            {
                "fromCatalogItemId": sub["offerId"],
                "fromSubscriptionId": sid,
                "toCatalogItemId": get(body, "toCatalogItemId"),
                "toSubscriptionId": get(body, "toSubscriptionId"),
                "quantity": quantity,
                "termDuration": get(body, "termDuration"),
                "billingCycle": get(body, "billingCycle"),
                "transitionType": get(body, "transitionType"),
            }
        )
        answer["Events"][0]["timestamp"] = now_text()
        return self._json(answer)

    # --- New Commerce transfers: create-a-transfer, get-transfer-by-id, get-all-of-a-
    # customer-s-transfers, update-a-transfer, accept-a-transfer -----------------------------

    def create_transfer(self, tenant, body):
        check_shape(body, TRANSFER)
        for name in ("sourcePartnerTenantId", "targetPartnerTenantId"):
            value = get(body, name)
            if value is not None and not GUID.match(str(value)):
                raise invalid(f"{name} must be a GUID formatted partner tenant id")
        if str(get(body, "transferType")) not in ("NewCommerce", "5", "3"):
            # transfer-entity-resources: 3 ModernAzure, 5 NewCommerce
            raise invalid("transferType must be NewCommerce")
        if "@" not in str(get(body, "customerEmailId")):
            raise invalid("customerEmailId must be the customer's e-mail")
        lines = get(body, "lineItems") or []
        if len(lines) > 25:
            raise invalid("A transfer holds at most 25 line items")
        now = datetime.now(UTC)
        transfer_id = str(uuid.uuid4())
        entity = copy.deepcopy(fixtures.TRANSFER_CREATED)
        entity.update(
            {
                "id": transfer_id,
                "status": "Active",
                "transferType": "NewCommerce",
                "customerEmailId": get(body, "customerEmailId"),
                "customerName": get(body, "customerName") or "",
                "createdTime": now_text(now),
                "lastModifiedTime": now_text(now),
                "expirationTime": now_text(now + timedelta(days=30)),
                "customerTenantId": tenant,
                "partnertenantid": get(body, "targetPartnerTenantId"),
                "sourcePartnerTenantId": get(body, "sourcePartnerTenantId"),
                "sourcePartnerName": get(body, "sourcePartnerName"),
                "targetPartnerTenantId": get(body, "targetPartnerTenantId"),
                "lineItems": [
                    {"id": i, "subscriptionId": get(line, "subscriptionId")}
                    for i, line in enumerate(lines)
                ],
            }
        )
        entity["links"]["self"]["uri"] = f"/customers/{tenant}/transfers/{transfer_id}"
        self.transfers[transfer_id] = entity
        return self._json(entity, 201)

    def _transfer(self, tenant, transfer_id) -> dict:
        entity = self.transfers.get(transfer_id)
        if entity is None or entity["customerTenantId"] != tenant:
            raise Refusal(404, None, "Transfer not found")
        expires = parse_instant(entity["expirationTime"])
        if entity["status"] == "Active" and datetime.now(UTC) >= expires:
            entity["status"] = "Expired"
        return entity

    def list_transfers(self, tenant):
        items = [
            self._transfer(tenant, t)
            for t, e in self.transfers.items()
            if e["customerTenantId"] == tenant
        ]
        return self._json(
            {"totalCount": len(items), "items": items, "attributes": {"objectType": "Collection"}}
        )

    def update_transfer(self, tenant, transfer_id, body):
        entity = self._transfer(tenant, transfer_id)
        check_shape(body, TRANSFER)
        if get(body, "id") != transfer_id:
            raise invalid("The body's id is not this transfer")
        if entity["status"] != "Active":
            raise invalid(f"The transfer is {entity['status']}")
        status = get(body, "status")
        if status == "Cancel":  # update-a-transfer: the target cancels a pending transfer
            entity["status"] = "Cancelled"
        elif status not in (None, "Active"):
            raise invalid(f"status {status!r} cannot be set")
        else:  # the source partner's line items
            lines = get(body, "lineItems") or []
            for line in lines:
                check_shape(line, TRANSFER_LINE, "lineItems[]")
                sid = get(line, "subscriptionId")
                sub = self.subscriptions.get(sid)
                if sub is None or sub["_tenant"] != tenant:
                    raise invalid(f"Subscription {sid} is not the customer's")
            entity["lineItems"] = lines
        entity["lastModifiedTime"] = now_text()
        return self._json(entity)

    def accept_transfer(self, tenant, transfer_id):
        entity = self._transfer(tenant, transfer_id)
        if entity["status"] != "Active":
            raise invalid(f"The transfer is {entity['status']}")
        refused = [
            line
            for line in entity["lineItems"]
            if str(self.subscriptions.get(line["subscriptionId"], {}).get("status")) != "active"
        ]
        answer = copy.deepcopy(fixtures.TRANSFER_ACCEPTED)
        answer["orders"] = []
        errors = copy.deepcopy(answer["transferErrors"])
        answer["transferErrors"] = []
        for line in refused:
            error = copy.deepcopy(errors[0])
            error["lineItems"][0]["subscriptionId"] = line["subscriptionId"]
            error["description"] = f"Subscription {line['subscriptionId']} cannot be transferred"
            answer["transferErrors"].append(error)
        if not refused:
            entity["status"] = "Completed"
            entity["completedTime"] = now_text()
        return self._json(answer)
