"""Microsoft Graph, read in a customer's tenant (through GDAP): the tenant's licences
(`GET /subscribedSkus`) and its users with their licences and last sign-in
(`GET /users?$select=...,assignedLicenses,signInActivity`).

`get_graph()` returns the implementation chosen by settings.GRAPH_GATEWAY: "sandbox" (default;
tenants simulated in our database) or "http" (graph.microsoft.com, or any server speaking it).
A tenant the partner has no delegated access to raises NoTenantAccess: the portal then keeps
its own seat list.

Notes from Microsoft's documentation: subscribedSkus supports only $select (no $filter);
signInActivity must be selected explicitly, needs AuditLog.Read.All and an Entra ID P1/P2
tenant; a date of 0001-01-01T00:00:00Z means never; pages continue at the whole
`@odata.nextLink` until it is absent. Which Graph `subscriptionIds` value equals Partner
Center's subscription id is not documented: the portal joins on it and says so.
"""

import abc
from dataclasses import dataclass
from datetime import UTC, datetime

import httpx
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

from partner_center.errors import GatewayError, NotFound, Unavailable
from partner_center.models import SandboxTenantSku, SandboxTenantUser

NEVER = "0001-01-01T00:00:00Z"


class NoTenantAccess(GatewayError):
    """No delegated access to the customer's tenant (no active GDAP relationship)."""


@dataclass(frozen=True)
class TenantSku:
    sku_id: str
    part_number: str
    enabled_units: int  # prepaidUnits.enabled
    consumed_units: int
    subscription_ids: tuple[str, ...]


@dataclass(frozen=True)
class TenantUser:
    user_id: str
    display_name: str
    user_principal_name: str
    enabled: bool
    sku_ids: tuple[str, ...]
    last_sign_in: datetime | None  # the later of interactive and non-interactive; None: never


class GraphGateway(abc.ABC):
    @abc.abstractmethod
    def subscribed_skus(self, tenant_id: str) -> list[TenantSku]: ...

    @abc.abstractmethod
    def users(self, tenant_id: str) -> list[TenantUser]: ...


def _instant(value: str | None) -> datetime | None:
    if not value or value.startswith("0001-01-01"):
        return None
    return datetime.fromisoformat(value.replace("Z", "+00:00")).astimezone(UTC)


def sku_from_json(data: dict) -> TenantSku:
    return TenantSku(
        sku_id=data["skuId"],
        part_number=data.get("skuPartNumber", ""),
        enabled_units=int((data.get("prepaidUnits") or {}).get("enabled", 0)),
        consumed_units=int(data.get("consumedUnits", 0)),
        subscription_ids=tuple(data.get("subscriptionIds") or ()),
    )


def user_from_json(data: dict) -> TenantUser:
    activity = data.get("signInActivity") or {}
    seen = [
        _instant(activity.get(k))
        for k in ("lastSignInDateTime", "lastNonInteractiveSignInDateTime")
    ]
    seen = [s for s in seen if s]
    return TenantUser(
        user_id=data["id"],
        display_name=data.get("displayName") or "",
        user_principal_name=data.get("userPrincipalName") or "",
        enabled=bool(data.get("accountEnabled", True)),
        sku_ids=tuple(a["skuId"] for a in data.get("assignedLicenses") or ()),
        last_sign_in=max(seen) if seen else None,
    )


USER_FIELDS = "id,displayName,userPrincipalName,accountEnabled,assignedLicenses,signInActivity"


class HttpGraph(GraphGateway):
    """Graph over HTTPS. `token_for(tenant_id)` gives a bearer token for the customer tenant
    (GDAP: the partner's app signs in to the customer's tenant)."""

    def __init__(
        self,
        *,
        base_url: str,
        token_for,
        timeout: float = 30.0,
        transport: httpx.BaseTransport | None = None,
    ):
        self.base_url = base_url.rstrip("/")
        self.token_for = token_for
        self.client = httpx.Client(timeout=timeout, transport=transport)

    @classmethod
    def from_settings(cls) -> "HttpGraph":
        token = settings.GRAPH_TOKEN
        return cls(
            base_url=settings.GRAPH_BASE_URL,
            token_for=lambda tenant_id: token,
            timeout=settings.PARTNER_CENTER_TIMEOUT,
        )

    def _pages(self, tenant_id: str, url: str) -> list[dict]:
        items: list[dict] = []
        headers = {"Authorization": f"Bearer {self.token_for(tenant_id)}"}
        while url:
            try:
                response = self.client.get(url, headers=headers)
            except httpx.HTTPError as exc:
                raise Unavailable(
                    f"Microsoft Graph did not answer ({type(exc).__name__})."
                ) from exc
            if response.status_code in (401, 403):
                raise NoTenantAccess(
                    f"No access to tenant {tenant_id} (Graph answered {response.status_code})."
                )
            if response.status_code == 404:
                raise NotFound(f"Tenant {tenant_id} was not found in Microsoft Graph.")
            if response.status_code >= 400:
                raise Unavailable(f"Microsoft Graph answered {response.status_code}.")
            body = response.json()
            items += body.get("value", [])
            url = body.get("@odata.nextLink")  # the whole URL, query included
        return items

    def subscribed_skus(self, tenant_id):
        return [sku_from_json(s) for s in self._pages(tenant_id, f"{self.base_url}/subscribedSkus")]

    def users(self, tenant_id):
        url = f"{self.base_url}/users?$select={USER_FIELDS}&$top=120"
        return [user_from_json(u) for u in self._pages(tenant_id, url)]


class SandboxGraph(GraphGateway):
    """Tenants simulated in our database (partner_center.models.SandboxTenantUser/Sku); a
    tenant without any simulated SKU answers as one without delegated access."""

    def subscribed_skus(self, tenant_id):
        skus = list(SandboxTenantSku.objects.filter(tenant_id=str(tenant_id)))
        if not skus:
            raise NoTenantAccess(f"No delegated access to tenant {tenant_id}.")
        holders = SandboxTenantUser.objects.filter(tenant_id=str(tenant_id))
        consumed = {s.sku_id: 0 for s in skus}
        for user in holders:
            for sku_id in user.sku_ids:
                if sku_id in consumed:
                    consumed[sku_id] += 1
        return [
            TenantSku(
                sku_id=s.sku_id,
                part_number=s.part_number,
                enabled_units=s.enabled_units,
                consumed_units=consumed[s.sku_id],
                subscription_ids=tuple(s.subscription_ids),
            )
            for s in skus
        ]

    def users(self, tenant_id):
        if not SandboxTenantSku.objects.filter(tenant_id=str(tenant_id)).exists():
            raise NoTenantAccess(f"No delegated access to tenant {tenant_id}.")
        return [
            TenantUser(
                user_id=u.user_id,
                display_name=u.display_name,
                user_principal_name=u.user_principal_name,
                enabled=u.enabled,
                sku_ids=tuple(u.sku_ids),
                last_sign_in=u.last_sign_in,
            )
            for u in SandboxTenantUser.objects.filter(tenant_id=str(tenant_id))
        ]


def get_graph() -> GraphGateway:
    kind = getattr(settings, "GRAPH_GATEWAY", "sandbox")
    if kind == "sandbox":
        return SandboxGraph()
    if kind == "http":
        return HttpGraph.from_settings()
    raise ImproperlyConfigured(f"GRAPH_GATEWAY must be 'sandbox' or 'http', not {kind!r}.")
