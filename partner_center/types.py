"""Typed requests and answers of the Partner Center gateway (frozen dataclasses), and a small
codec turning them into JSON-ready dicts and back (used by the sandbox's idempotency records
and by the HTTP wire format)."""

import dataclasses
import types
import typing
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

# Subscription statuses, as Partner Center names them.
ACTIVE = "active"
SUSPENDED = "suspended"
DELETED = "deleted"  # cancelled
EXPIRED = "expired"

# New Commerce transfer statuses, as Partner Center names them (transfer-entity-resources:
# "Active" can be deleted or submitted, "Completed" is done; a request nobody answers expires,
# the source may reject it, the target cancels it (update-a-transfer sends "Cancel")).
TRANSFER_ACTIVE = "Active"
TRANSFER_COMPLETED = "Completed"
TRANSFER_EXPIRED = "Expired"
TRANSFER_REJECTED = "Rejected"
TRANSFER_CANCELLED = "Cancelled"
TRANSFER_FAILED = "Failed"
TRANSFER_STATUSES = (
    TRANSFER_ACTIVE,
    TRANSFER_COMPLETED,
    TRANSFER_EXPIRED,
    TRANSFER_REJECTED,
    TRANSFER_CANCELLED,
    TRANSFER_FAILED,
)
# transfer-entity-resources: transferType 5 (or "NewCommerce") for partner-to-partner New
# Commerce transfers; create-a-transfer sends the name.
NEW_COMMERCE_TRANSFER = "NewCommerce"
TRANSFER_MAX_ITEMS = 25


@dataclass(frozen=True)
class CustomerRequest:
    """Partner Center's customer creation (create-a-customer / create-a-customer-for-an-indirect-
    reseller): no currency (Partner Center derives it from the country), the indirect reseller
    is named by its tenant GUID (`associatedPartnerId`)."""

    company_name: str
    country: str
    domain: str
    address_line1: str
    city: str
    postal_code: str
    region: str
    contact_first_name: str
    contact_last_name: str
    contact_email: str
    contact_phone: str
    associated_partner_id: str = ""  # the indirect reseller's tenant GUID
    culture: str = "en-US"
    language: str = "en"


@dataclass(frozen=True)
class CustomerInfo:
    tenant_id: str
    company_name: str
    domain: str
    # The customer's first admin account, in Partner Center's answer to the creation only
    # ("userCredentials"): shown to the reseller once, never stored in clear.
    admin_user_name: str = ""
    admin_password: str = ""


@dataclass(frozen=True)
class Address:
    address_line1: str
    city: str
    region: str
    postal_code: str
    country: str


@dataclass(frozen=True)
class AddressCheck:
    """Partner Center's address validation: `status` as it names it ("VerifiedShippable",
    "StreetPartial", …), its message and suggested corrections."""

    status: str
    verified: bool
    message: str
    suggestions: list[Address]


@dataclass(frozen=True)
class ResellerRelationship:
    """An indirect reseller of the distributor (PartnerRelationship): `tenant_id` is what a
    customer's associatedPartnerId takes, `mpn_id` (PartnerID) what purchases carry."""

    tenant_id: str
    name: str
    mpn_id: str
    location: str
    state: str


@dataclass(frozen=True)
class McaAcceptance:
    first_name: str
    last_name: str
    email: str
    phone: str
    date_agreed: datetime  # aware, UTC
    template_id: str


@dataclass(frozen=True)
class Attestation:
    tenant_id: str
    template_id: str
    date_agreed: datetime
    already_attested: bool = False


@dataclass(frozen=True)
class OrderRequest:
    """One New Commerce purchase. `offer_sku` is product:sku (the availability for `country`
    is looked up) or product:sku:availability, the cart's catalogItemId;
    `partner_id_on_record` is the indirect reseller's PartnerID (MPN ID)."""

    offer_sku: str
    term: str
    billing_frequency: str
    quantity: int
    auto_renew: bool = True
    partner_id_on_record: str = ""
    country: str = "US"
    # the cart line's catalogItemId when the catalog sync knows it (product:sku:availability);
    # empty: looked up from the SKU's availabilities. Not part of the request's identity: a
    # retry after a sync is the same purchase.
    catalog_item_id: str = ""

    def identity(self) -> dict:
        """The request as an idempotency record compares it."""
        data = dump(self)
        data.pop("catalog_item_id", None)
        return data


@dataclass(frozen=True)
class SubscriptionInfo:
    subscription_id: str
    tenant_id: str
    offer_sku: str
    quantity: int
    term: str
    billing_frequency: str
    auto_renew: bool
    status: str
    created_at: datetime
    term_start: date
    term_end: date
    # Partner Center's refund facts: seats that may still be removed, and the last instant the
    # subscription may be cancelled (None when Partner Center gives none).
    refundable_quantity: int | None = None
    cancellation_allowed_until: datetime | None = None
    # Changes Partner Center applies at renewal (scheduledNextTermInstructions), or None.
    next_term: "NextTerm | None" = None


@dataclass(frozen=True)
class NextTerm:
    quantity: int
    term: str
    billing_frequency: str


@dataclass(frozen=True)
class TransitionOption:
    """One target a subscription may be upgraded to now (transitionEligibilities)."""

    catalog_item_id: str  # product:sku:availability
    title: str
    eligible: bool
    transition_types: list[str]
    reasons: list[str]


@dataclass(frozen=True)
class TransitionResult:
    from_subscription_id: str
    to_catalog_item_id: str
    to_subscription_id: str | None
    quantity: int
    transition_type: str
    status: str


@dataclass(frozen=True)
class UsageLine:
    """One line of Partner Center's daily rated usage."""

    customer_id: str
    customer_name: str
    subscription_id: str
    usage_date: date
    meter_category: str
    meter_sub_category: str
    meter_name: str
    meter_id: str
    meter_region: str
    resource_group: str
    resource_uri: str
    tags: str  # JSON object as text, as Partner Center sends it
    quantity: Decimal
    unit_of_measure: str
    unit_price: Decimal
    billing_pre_tax_total: Decimal  # up to 10 decimals
    billing_currency: str
    charge_type: str
    product_id: str
    sku_id: str
    availability_id: str

    def as_csv_row(self) -> dict[str, str]:
        """{Partner Center CSV header: text}, in USAGE_CSV_HEADERS order."""
        return {header: _text(getattr(self, name)) for name, header in _USAGE_COLUMNS}

    @classmethod
    def from_csv_row(cls, row: dict[str, str]) -> "UsageLine":
        return load(cls, {name: row[header] for name, header in _USAGE_COLUMNS})


def _camel(name: str) -> str:
    return "".join(part.capitalize() for part in name.split("_"))


_USAGE_COLUMNS = [
    (f.name, "ResourceURI" if f.name == "resource_uri" else _camel(f.name))
    for f in dataclasses.fields(UsageLine)
]
USAGE_CSV_HEADERS = [header for _, header in _USAGE_COLUMNS]


@dataclass(frozen=True)
class UsagePage:
    lines: list[UsageLine]
    continuation_token: str | None


@dataclass(frozen=True)
class TransferRequest:
    """A New Commerce transfer request, made by the receiving (target) partner
    (create-a-transfer): the current provider is named by its partner tenant GUID and name,
    the customer's e-mail receives Microsoft's notice. `subscription_ids` are the line items
    asked for; `partner_id_on_record` is the receiving indirect reseller's PartnerID (MPN)."""

    source_partner_tenant_id: str
    source_partner_name: str
    customer_email: str
    subscription_ids: list[str]
    customer_name: str = ""
    partner_id_on_record: str = ""


@dataclass(frozen=True)
class TransferInfo:
    """A transfer as Partner Center answers it (TransferEntity); `status` is Microsoft's
    (TRANSFER_STATUSES)."""

    transfer_id: str
    tenant_id: str
    status: str
    subscription_ids: list[str]
    created_at: datetime
    expires_at: datetime | None
    source_partner_tenant_id: str = ""
    source_partner_name: str = ""
    target_partner_tenant_id: str = ""
    customer_email: str = ""
    transfer_type: str = NEW_COMMERCE_TRANSFER
    completed_at: datetime | None = None


@dataclass(frozen=True)
class CatalogProduct:
    """A product of Partner Center's catalog (Products/Product.cs; get-a-list-of-products)."""

    product_id: str
    title: str
    product_type: str  # productType.id: "OnlineServices", "Azure", "Software", …


@dataclass(frozen=True)
class CatalogSku:
    """A SKU of a product (Products/Sku.cs; get-a-list-of-skus-for-a-product)."""

    product_id: str
    sku_id: str
    title: str
    min_quantity: int
    max_quantity: int


@dataclass(frozen=True)
class CatalogAvailability:
    """A SKU's availability in a country (Products/Availability.cs, AvailabilityTerm.cs;
    get-a-list-of-availabilities-for-a-sku): its catalogItemId is what a cart line buys;
    `terms` are "duration:billingCycle" pairs ("P1Y:monthly")."""

    product_id: str
    sku_id: str
    availability_id: str
    catalog_item_id: str
    purchasable: bool
    terms: list[str]


# --- codec ----------------------------------------------------------------------------------


def _text(value) -> str:
    if isinstance(value, datetime | date):
        return value.isoformat()
    return str(value)


def to_json_value(value):
    if dataclasses.is_dataclass(value):
        return dump(value)
    if isinstance(value, datetime | date | Decimal):
        return _text(value)
    if isinstance(value, list | tuple):
        return [to_json_value(v) for v in value]
    return value


def from_json_value(hint, value):
    """Convert a JSON value to the field's type; ValueError/TypeError when it does not fit."""
    if typing.get_origin(hint) in (typing.Union, types.UnionType):
        if value is None:
            return None
        hint = next(h for h in typing.get_args(hint) if h is not type(None))
    if dataclasses.is_dataclass(hint):
        if not isinstance(value, dict):
            raise TypeError(f"expected an object, got {value!r}")
        return load(hint, value)
    if typing.get_origin(hint) is list:
        if not isinstance(value, list):
            raise TypeError(f"expected a list, got {type(value).__name__}")
        (item,) = typing.get_args(hint)
        return [from_json_value(item, v) for v in value]
    if hint is datetime:
        parsed = datetime.fromisoformat(value)
        if parsed.tzinfo is None:
            raise ValueError(f"datetime {value!r} has no time zone")
        return parsed
    if hint is date:
        return date.fromisoformat(value)
    if hint is Decimal:
        if isinstance(value, bool) or not isinstance(value, str | int | float | Decimal):
            raise TypeError(f"expected a number, got {value!r}")
        return Decimal(str(value))
    if hint is int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise TypeError(f"expected an integer, got {value!r}")
        return value
    if hint is bool:
        if not isinstance(value, bool):
            raise TypeError(f"expected true/false, got {value!r}")
        return value
    if hint is str:
        if not isinstance(value, str):
            raise TypeError(f"expected text, got {value!r}")
        return value
    raise TypeError(f"unsupported type {hint}")


def dump(obj, keys: dict[str, str] | None = None) -> dict:
    """Dataclass → JSON-ready dict. `keys` maps field names to dotted paths ("a.b" nests)."""
    out: dict = {}
    for f in dataclasses.fields(obj):
        if keys is not None and f.name not in keys:
            continue
        path = (keys or {}).get(f.name, f.name).split(".")
        node = out
        for part in path[:-1]:
            node = node.setdefault(part, {})
        node[path[-1]] = to_json_value(getattr(obj, f.name))
    return out


def load(cls, data: dict, keys: dict[str, str] | None = None, **extra):
    """JSON dict → dataclass `cls`; fields missing from `keys` come from `extra` (or their
    default). Raises ValueError naming the field that is missing or malformed."""
    hints = typing.get_type_hints(cls)
    values = dict(extra)
    for f in dataclasses.fields(cls):
        if f.name in values or (keys is not None and f.name not in keys):
            continue
        path = (keys or {}).get(f.name, f.name)
        node = data
        try:
            for part in path.split("."):
                node = node[part]
        except (KeyError, TypeError):
            if f.default is not dataclasses.MISSING:
                continue
            raise ValueError(f"missing {path!r}") from None
        try:
            values[f.name] = from_json_value(hints[f.name], node)
        except (ValueError, TypeError) as e:
            raise ValueError(f"bad {path!r}: {e}") from None
    return cls(**values)
