"""GDAP: granular delegated admin relationships between the partner and a customer tenant
(Microsoft Graph, `tenantRelationships/delegatedAdminRelationships`, in the partner's own
tenant), their approval request (`lockForApproval`) and access assignments (which of the
partner's security groups hold which roles once the customer has approved).

`get_gdap()` returns the implementation chosen by settings.GDAP_GATEWAY: "sandbox" (default;
relationships simulated in our database, answered in Microsoft's JSON) or "http"
(graph.microsoft.com, or any server speaking it). Both answer through the same mapping
(`relationship_from_json`, `assignment_from_json`), so the sandbox returns Microsoft's shapes.

Sources (microsoftgraph/microsoft-graph-docs-contrib, api-reference/v1.0/):
- resources/delegatedadminrelationship.md: properties, statuses (created, approvalPending,
  approved, activating, active, expiring, expired, terminationRequested, terminating,
  terminated), autoExtendDuration values PT0S / P0D / P180D, duration P1D..P2Y;
- api/tenantrelationship-post-delegatedadminrelationships.md: POST body (displayName ≤ 50
  characters and duration and accessDetails required; customer and autoExtendDuration
  optional), 201 with the relationship (activatedDateTime "" until active);
- api/delegatedadminrelationship-post-requests.md: POST …/requests {"action":
  "lockForApproval"} (201);
- api/delegatedadminrelationship-get.md, api/delegatedadminrelationship-update.md (PATCH with
  If-Match: the etag; autoExtendDuration may change while created or active);
- api/delegatedadminrelationship-post-accessassignments.md, resources/
  delegatedadminaccessassignment.md: POST …/accessAssignments {accessContainer
  {accessContainerId, accessContainerType: securityGroup}, accessDetails}, status pending →
  active.
Microsoft does not auto-extend a relationship holding the Global Administrator role
(Partner Center: "Don't autoextend GDAP with Global Administrator").
"""

import abc
import re
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from urllib.parse import urlencode

import httpx
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import transaction
from django.utils import timezone

from partner_center.errors import Conflict, GatewayError, NotFound, Unavailable, ValidationFailed
from partner_center.models import SandboxAdminRelationship

# Statuses, as Microsoft names them.
CREATED = "created"
APPROVAL_PENDING = "approvalPending"
APPROVED = "approved"
ACTIVATING = "activating"
ACTIVE = "active"
EXPIRING = "expiring"
EXPIRED = "expired"
TERMINATION_REQUESTED = "terminationRequested"
TERMINATING = "terminating"
TERMINATED = "terminated"
ENDED = (EXPIRED, TERMINATED)

NO_AUTO_EXTEND = "PT0S"
AUTO_EXTEND = "P180D"
MAX_DAYS = 730  # P2Y
DISPLAY_NAME_MAX = 50
GLOBAL_ADMINISTRATOR = "62e90394-69f5-4237-9190-012177145e10"
APPROVAL_URL = (
    "https://admin.microsoft.com/AdminPortal/Home#/partners/invitation/"
    "granularAdminRelationships/{id}"
)

_DAYS = re.compile(r"^P(\d+)D$")


def duration_days(value: str) -> int:
    """Days of an ISO 8601 duration as the portal writes them (PnD; P1Y/P2Y as 365/730)."""
    if value in ("P1Y", "P2Y"):
        return 365 * int(value[1])
    m = _DAYS.match(value or "")
    if not m:
        raise ValueError(f"Unsupported duration {value!r} (expected PnD).")
    return int(m.group(1))


def approval_url(relationship_id: str) -> str:
    return APPROVAL_URL.format(id=relationship_id)


@dataclass(frozen=True)
class AdminRelationship:
    id: str
    display_name: str
    customer_tenant_id: str
    customer_name: str
    role_ids: tuple[str, ...]
    duration: str
    auto_extend_duration: str
    status: str
    created_at: datetime | None
    activated_at: datetime | None
    ends_at: datetime | None
    etag: str = ""

    @property
    def auto_extends(self) -> bool:
        return self.auto_extend_duration not in ("", NO_AUTO_EXTEND, "P0D")


@dataclass(frozen=True)
class AccessAssignment:
    id: str
    group_id: str
    role_ids: tuple[str, ...]
    status: str  # pending, active, deleting, deleted, error


class GdapError(GatewayError):
    """Graph refused a GDAP call; `message` says Graph's code and message."""


def _instant(value: str | None) -> datetime | None:
    """Graph's DateTimeOffset ("2022-02-10T11:24:42.3148266Z") or "" (not yet)."""
    if not value or value.startswith("0001-01-01"):
        return None
    text = value.replace("Z", "+00:00")  # Python 3.11+ reads the 7 digits
    parsed = datetime.fromisoformat(text)
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return parsed.astimezone(UTC)


def _roles(access_details: dict | None) -> tuple[str, ...]:
    return tuple(r["roleDefinitionId"] for r in (access_details or {}).get("unifiedRoles") or ())


def relationship_from_json(data: dict) -> AdminRelationship:
    customer = data.get("customer") or {}
    return AdminRelationship(
        id=data["id"],
        display_name=data.get("displayName") or "",
        customer_tenant_id=customer.get("tenantId") or "",
        customer_name=customer.get("displayName") or "",
        role_ids=_roles(data.get("accessDetails")),
        duration=data.get("duration") or "",
        auto_extend_duration=data.get("autoExtendDuration") or NO_AUTO_EXTEND,
        status=data["status"],
        created_at=_instant(data.get("createdDateTime")),
        activated_at=_instant(data.get("activatedDateTime")),
        ends_at=_instant(data.get("endDateTime")),
        etag=data.get("@odata.etag") or "",
    )


def assignment_from_json(data: dict) -> AccessAssignment:
    return AccessAssignment(
        id=data["id"],
        group_id=(data.get("accessContainer") or {}).get("accessContainerId") or "",
        role_ids=_roles(data.get("accessDetails")),
        status=data.get("status") or "",
    )


def _access_details(role_ids) -> dict:
    return {"unifiedRoles": [{"roleDefinitionId": r} for r in role_ids]}


def relationship_body(
    *,
    display_name: str,
    duration: str,
    customer_tenant_id: str,
    customer_name: str,
    role_ids,
    auto_extend: bool,
) -> dict:
    """The POST body, as tenantrelationship-post-delegatedadminrelationships.md shows it."""
    return {
        "displayName": display_name,
        "duration": duration,
        "customer": {"tenantId": customer_tenant_id, "displayName": customer_name},
        "accessDetails": _access_details(role_ids),
        "autoExtendDuration": AUTO_EXTEND if auto_extend else NO_AUTO_EXTEND,
    }


def assignment_body(*, group_id: str, role_ids) -> dict:
    """The POST body of delegatedadminrelationship-post-accessassignments.md."""
    return {
        "accessContainer": {"accessContainerId": group_id, "accessContainerType": "securityGroup"},
        "accessDetails": _access_details(role_ids),
    }


def check_request(*, display_name: str, duration: str, role_ids, auto_extend: bool) -> None:
    """Microsoft's documented limits, refused before any call (ValidationFailed)."""
    if not display_name or len(display_name) > DISPLAY_NAME_MAX:
        raise ValidationFailed(f"The display name must have 1 to {DISPLAY_NAME_MAX} characters.")
    try:
        days = duration_days(duration)
    except ValueError as e:
        raise ValidationFailed(str(e)) from None
    if not 1 <= days <= MAX_DAYS:
        raise ValidationFailed(f"The duration must be between P1D and P{MAX_DAYS}D.")
    if not role_ids:
        raise ValidationFailed("Choose at least one role.")
    if auto_extend and GLOBAL_ADMINISTRATOR in role_ids:
        raise ValidationFailed(
            "Microsoft does not auto-extend a relationship with the Global Administrator role."
        )


class GdapGateway(abc.ABC):
    @abc.abstractmethod
    def create_relationship(
        self,
        *,
        display_name: str,
        duration: str,
        customer_tenant_id: str,
        customer_name: str,
        role_ids: tuple[str, ...],
        auto_extend: bool,
    ) -> AdminRelationship: ...

    @abc.abstractmethod
    def get_relationship(self, relationship_id: str) -> AdminRelationship: ...

    @abc.abstractmethod
    def lock_for_approval(self, relationship_id: str) -> str:
        """Finalise the relationship for the customer's approval; returns the request status."""

    @abc.abstractmethod
    def terminate(self, relationship_id: str) -> AdminRelationship:
        """The partner ends an active relationship (delegatedadminrelationship-post-requests
        .md, action terminate); returns it as Microsoft then has it (terminationRequested,
        terminating, then terminated)."""

    @abc.abstractmethod
    def set_auto_extend(self, relationship_id: str, auto_extend: bool) -> AdminRelationship:
        """PATCH autoExtendDuration (P180D or PT0S) with the current etag (created or active
        relationships only)."""

    @abc.abstractmethod
    def create_access_assignment(
        self, relationship_id: str, *, group_id: str, role_ids: tuple[str, ...]
    ) -> AccessAssignment: ...

    @abc.abstractmethod
    def list_access_assignments(self, relationship_id: str) -> list[AccessAssignment]: ...

    @abc.abstractmethod
    def list_relationships(self) -> list[AdminRelationship]:
        """Every relationship of the partner (tenantrelationship-list-delegatedadminrelationships
        .md), those made outside the portal too (Partner Center, other tools)."""

    @abc.abstractmethod
    def relationships_of(self, customer_tenant_id: str) -> list[AdminRelationship]:
        """The partner's relationships with one customer tenant (the same list with
        `$filter=customer/tenantId eq '…'`; the page documents $filter)."""


# --- HTTP -------------------------------------------------------------------------------------


def gdap_tokens():
    """App+User tokens for Graph (the Secure Application Model): the refresh token the
    consent flow keeps for Partner Center ("partner-center") is redeemed for Graph's audience,
    its Graph access tokens kept apart ("graph-gdap"). Without an application configured, the
    fixed GRAPH_TOKEN."""
    from partner_center import auth
    from partner_center.models import StoredToken

    if not settings.PARTNER_CENTER_CLIENT_ID:
        return auth.StaticToken(settings.GRAPH_TOKEN)
    row = StoredToken.objects.filter(name="partner-center").exclude(refresh_token="").first()
    return auth.AppUserTokens(
        client_id=settings.PARTNER_CENTER_CLIENT_ID,
        client_secret=settings.PARTNER_CENTER_CLIENT_SECRET,
        authority=settings.PARTNER_CENTER_AUTHORITY,
        bootstrap_refresh_token=(auth.decrypt(row.refresh_token) if row else "")
        or settings.PARTNER_CENTER_REFRESH_TOKEN,
        scopes=[auth.GRAPH_SCOPE],
        name="graph-gdap",
    )


class HttpGdap(GdapGateway):
    """Graph over HTTPS with the partner's token (DelegatedAdminRelationship.ReadWrite.All)."""

    PATH = "/tenantRelationships/delegatedAdminRelationships"

    def __init__(
        self,
        *,
        base_url: str,
        tokens,
        timeout: float = 30.0,
        transport: httpx.BaseTransport | None = None,
    ):
        self.base_url = base_url.rstrip("/")
        self.tokens = tokens  # access_token() / refresh()
        self.client = httpx.Client(timeout=timeout, transport=transport)

    @classmethod
    def from_settings(cls) -> "HttpGdap":
        return cls(
            base_url=settings.PARTNER_CENTER_GRAPH_BASE_URL,
            tokens=gdap_tokens(),
            timeout=settings.PARTNER_CENTER_TIMEOUT,
        )

    def _call(self, method: str, path: str, *, body=None, headers=None) -> httpx.Response:
        url = f"{self.base_url}{self.PATH}{path}"
        for attempt in (1, 2):
            token = self.tokens.access_token() if attempt == 1 else self.tokens.refresh()
            try:
                response = self.client.request(
                    method,
                    url,
                    json=body,
                    headers={
                        "Authorization": f"Bearer {token}",
                        "Accept": "application/json",
                        "client-request-id": str(uuid.uuid4()),
                        **(headers or {}),
                    },
                )
            except httpx.HTTPError as exc:
                raise Unavailable(
                    f"Microsoft Graph did not answer ({type(exc).__name__})."
                ) from exc
            if response.status_code == 401 and attempt == 1:
                continue
            break
        if response.status_code >= 400:
            try:
                error = response.json().get("error") or {}
            except ValueError:
                error = {}
            text = f"{error.get('code', response.status_code)}: {error.get('message', '')}"
            cls: type[GatewayError] = {
                400: ValidationFailed,
                404: NotFound,
                409: Conflict,
                412: Conflict,
            }.get(response.status_code, Unavailable if response.status_code >= 500 else GdapError)
            raise cls(f"Microsoft Graph refused the GDAP call ({text.strip(': ')}).")
        return response

    def create_relationship(
        self, *, display_name, duration, customer_tenant_id, customer_name, role_ids, auto_extend
    ):
        body = relationship_body(
            display_name=display_name,
            duration=duration,
            customer_tenant_id=customer_tenant_id,
            customer_name=customer_name,
            role_ids=role_ids,
            auto_extend=auto_extend,
        )
        return relationship_from_json(self._call("POST", "", body=body).json())

    def get_relationship(self, relationship_id):
        return relationship_from_json(self._call("GET", f"/{relationship_id}").json())

    def lock_for_approval(self, relationship_id):
        answer = self._call(
            "POST", f"/{relationship_id}/requests", body={"action": "lockForApproval"}
        )
        return answer.json().get("status", "")

    def terminate(self, relationship_id):
        self._call("POST", f"/{relationship_id}/requests", body={"action": "terminate"})
        return self.get_relationship(relationship_id)

    def set_auto_extend(self, relationship_id, auto_extend):
        current = self.get_relationship(relationship_id)
        response = self._call(
            "PATCH",
            f"/{relationship_id}",
            body={"autoExtendDuration": AUTO_EXTEND if auto_extend else NO_AUTO_EXTEND},
            headers={"If-Match": current.etag},
        )
        if response.status_code == 204 or not response.content:
            return self.get_relationship(relationship_id)
        return relationship_from_json(response.json())

    def create_access_assignment(self, relationship_id, *, group_id, role_ids):
        body = assignment_body(group_id=group_id, role_ids=role_ids)
        answer = self._call("POST", f"/{relationship_id}/accessAssignments", body=body)
        return assignment_from_json(answer.json())

    def _collection(self, path: str) -> list[dict]:
        """Every item of a collection, following the whole @odata.nextLink to the end."""
        answer = self._call("GET", path).json()
        items: list[dict] = list(answer.get("value", []))
        next_link = answer.get("@odata.nextLink")
        while next_link:
            if not next_link.startswith(self.base_url + self.PATH):
                raise Unavailable("Microsoft Graph sent a next page outside its own address.")
            page = self._call("GET", next_link[len(self.base_url + self.PATH) :]).json()
            items += page.get("value", [])
            next_link = page.get("@odata.nextLink")
        return items

    def list_access_assignments(self, relationship_id):
        items = self._collection(f"/{relationship_id}/accessAssignments")
        return [assignment_from_json(a) for a in items]

    def list_relationships(self):
        return [relationship_from_json(r) for r in self._collection("?$top=300")]

    def relationships_of(self, customer_tenant_id):
        tenant = str(uuid.UUID(customer_tenant_id))  # a GUID: nothing to escape in the filter
        query = urlencode({"$filter": f"customer/tenantId eq '{tenant}'", "$top": 300})
        return [relationship_from_json(r) for r in self._collection(f"?{query}")]


# --- sandbox ----------------------------------------------------------------------------------


def _graph_time(value: datetime | None) -> str:
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f0Z") if value else ""


class SandboxGdap(GdapGateway):
    """Relationships simulated in our database (partner_center.models.SandboxAdminRelationship),
    answered in Microsoft's JSON. The customer's side (approve, terminate) is simulated by
    `approve` and `terminate`; time moves the status as Microsoft would: active → expiring
    once endDateTime has passed (→ extended by autoExtendDuration when set) → expired a day
    later; an access assignment turns active once the relationship is."""

    def _row(self, relationship_id, *, lock=False) -> SandboxAdminRelationship:
        qs = SandboxAdminRelationship.objects.select_for_update() if lock else None
        qs = qs if qs is not None else SandboxAdminRelationship.objects
        row = qs.filter(relationship_id=relationship_id).first()
        if row is None:
            raise NotFound(f"Relationship {relationship_id} was not found.")
        return row

    @staticmethod
    def _advance(row: SandboxAdminRelationship, now: datetime) -> None:
        """Microsoft's clock: extend, expire, activate assignments."""
        changed = False
        if row.status in (ACTIVE, EXPIRING) and row.ends_at and now >= row.ends_at:
            if row.auto_extend_duration == AUTO_EXTEND and GLOBAL_ADMINISTRATOR not in row.role_ids:
                while now >= row.ends_at:
                    row.ends_at += timedelta(days=180)
                row.status = ACTIVE
            else:
                row.status = EXPIRING if now < row.ends_at + timedelta(days=1) else EXPIRED
            changed = True
        if row.status == ACTIVE:
            for a in row.assignments:
                if a["status"] == "pending":
                    a["status"], changed = "active", True
        if changed:
            row.modified_at = now
            row.save()

    @staticmethod
    def _json(row: SandboxAdminRelationship) -> dict:
        return {
            "@odata.type": "#microsoft.graph.delegatedAdminRelationship",
            "@odata.etag": f'W/"{row.version}"',
            "id": row.relationship_id,
            "displayName": row.display_name,
            "duration": row.duration,
            "customer": {"tenantId": row.customer_tenant_id, "displayName": row.customer_name},
            "accessDetails": _access_details(row.role_ids),
            "status": row.status,
            "autoExtendDuration": row.auto_extend_duration,
            "createdDateTime": _graph_time(row.created_at),
            "lastModifiedDateTime": _graph_time(row.modified_at),
            "activatedDateTime": _graph_time(row.activated_at),
            "endDateTime": _graph_time(row.ends_at),
        }

    @staticmethod
    def _assignment_json(a: dict) -> dict:
        return {
            "@odata.type": "#microsoft.graph.delegatedAdminAccessAssignment",
            "id": a["id"],
            "status": a["status"],
            "createdDateTime": a["created"],
            "lastModifiedDateTime": a["created"],
            "accessContainer": {
                "accessContainerId": a["group_id"],
                "accessContainerType": "securityGroup",
            },
            "accessDetails": _access_details(a["role_ids"]),
        }

    def create_relationship(
        self, *, display_name, duration, customer_tenant_id, customer_name, role_ids, auto_extend
    ):
        check_request(
            display_name=display_name, duration=duration, role_ids=role_ids, auto_extend=auto_extend
        )
        if SandboxAdminRelationship.objects.filter(display_name=display_name).exists():
            raise Conflict(
                f"A relationship named {display_name!r} exists already (names are unique)."
            )
        now = timezone.now()
        body = relationship_body(
            display_name=display_name,
            duration=duration,
            customer_tenant_id=customer_tenant_id,
            customer_name=customer_name,
            role_ids=role_ids,
            auto_extend=auto_extend,
        )
        row = SandboxAdminRelationship.objects.create(
            relationship_id=f"{uuid.uuid4()}-{uuid.uuid4()}",
            display_name=body["displayName"],
            duration=body["duration"],
            customer_tenant_id=customer_tenant_id,
            customer_name=customer_name,
            role_ids=list(role_ids),
            auto_extend_duration=body["autoExtendDuration"],
            status=CREATED,
            created_at=now,
            modified_at=now,
        )
        return relationship_from_json(self._json(row))

    def get_relationship(self, relationship_id):
        with transaction.atomic():
            row = self._row(relationship_id, lock=True)
            self._advance(row, timezone.now())
            return relationship_from_json(self._json(row))

    def lock_for_approval(self, relationship_id):
        with transaction.atomic():
            row = self._row(relationship_id, lock=True)
            if row.status != CREATED:
                raise Conflict(f"Only a created relationship can be locked (it is {row.status}).")
            row.status, row.modified_at = APPROVAL_PENDING, timezone.now()
            row.version += 1
            row.save()
        return "created"  # the request's own status (delegatedadminrelationship-post-requests)

    def set_auto_extend(self, relationship_id, auto_extend):
        with transaction.atomic():
            row = self._row(relationship_id, lock=True)
            self._advance(row, timezone.now())
            if row.status not in (CREATED, ACTIVE):
                raise Conflict(
                    f"Auto-extend can change only while the relationship is created or active "
                    f"(it is {row.status})."
                )
            if auto_extend and GLOBAL_ADMINISTRATOR in row.role_ids:
                raise ValidationFailed(
                    "Microsoft does not auto-extend a relationship with the Global "
                    "Administrator role."
                )
            row.auto_extend_duration = AUTO_EXTEND if auto_extend else NO_AUTO_EXTEND
            row.modified_at = timezone.now()
            row.version += 1
            row.save()
            return relationship_from_json(self._json(row))

    def create_access_assignment(self, relationship_id, *, group_id, role_ids):
        with transaction.atomic():
            row = self._row(relationship_id, lock=True)
            self._advance(row, timezone.now())
            if row.status != ACTIVE:
                raise Conflict(f"The relationship is not active (it is {row.status}).")
            extra = set(role_ids) - set(row.role_ids)
            if extra:
                raise ValidationFailed(
                    "An access assignment may hold only the relationship's roles."
                )
            a = {
                "id": str(uuid.uuid4()),
                "group_id": group_id,
                "role_ids": list(role_ids),
                "status": "pending",
                "created": _graph_time(timezone.now()),
            }
            row.assignments.append(a)
            row.save()
            return assignment_from_json(self._assignment_json(a))

    def list_access_assignments(self, relationship_id):
        row = self._row(relationship_id)
        return [assignment_from_json(self._assignment_json(a)) for a in row.assignments]

    def list_relationships(self):
        now = timezone.now()
        out = []
        for row in SandboxAdminRelationship.objects.order_by("created_at", "pk"):
            with transaction.atomic():
                self._advance(row, now)
            out.append(relationship_from_json(self._json(row)))
        return out

    def relationships_of(self, customer_tenant_id):
        tenant = str(uuid.UUID(customer_tenant_id))
        return [r for r in self.list_relationships() if r.customer_tenant_id == tenant]

    # The customer's side (admin.microsoft.com), simulated.

    def approve(self, relationship_id: str) -> AdminRelationship:
        """The customer's global admin approves: active at once, ending after `duration`."""
        with transaction.atomic():
            row = self._row(relationship_id, lock=True)
            if row.status != APPROVAL_PENDING:
                raise Conflict(f"Only a pending relationship can be approved (it is {row.status}).")
            now = timezone.now()
            row.status, row.activated_at = ACTIVE, now
            row.ends_at = now + timedelta(days=duration_days(row.duration))
            row.modified_at = now
            row.version += 1
            row.save()
            return relationship_from_json(self._json(row))

    def terminate(self, relationship_id: str) -> AdminRelationship:
        """The customer (or partner) ends the relationship."""
        with transaction.atomic():
            row = self._row(relationship_id, lock=True)
            now = timezone.now()
            row.status, row.modified_at, row.ends_at = TERMINATED, now, now
            row.version += 1
            row.save()
            return relationship_from_json(self._json(row))


def get_gdap() -> GdapGateway:
    kind = getattr(settings, "GDAP_GATEWAY", None) or getattr(settings, "GRAPH_GATEWAY", "sandbox")
    if kind == "sandbox":
        return SandboxGdap()
    if kind == "http":
        return HttpGdap.from_settings()
    raise ImproperlyConfigured(f"GDAP_GATEWAY must be 'sandbox' or 'http', not {kind!r}.")
