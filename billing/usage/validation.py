"""Validation of Partner Center daily rated usage, line by line, with no database access.

The caller loads what the portal knows (customers by tenant ID, subscriptions by Partner Center
ID) once into a `Known`, then hands every row to `Validator.check`; the validator collects the
problems of the whole file (line, field, message) and hands each valid row, normalised to the
columns of `UsageLine`, to a sink. A file with any problem is rejected whole by the caller.
"""

import csv
import io
import uuid
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal, InvalidOperation

from partner_center.types import USAGE_CSV_HEADERS
from portal.models import Currency

# Partner Center's daily rated usage reconciliation file as it exports it, 55 columns in
# Microsoft's spelling ("Learn how to read daily rated usage reconciliation files in Partner
# Center", https://learn.microsoft.com/partner-center/billing/daily-rated-usage-recon-files; the
# Benefit* columns as in Graph's attributeSet, https://learn.microsoft.com/graph/api/resources/
# partners-billing-attributeset). The columns the portal reads are taken from it, the others are
# ignored and named once in a note on the import.
PARTNER_CENTER_HEADERS = (
    "PartnerId",
    "PartnerName",
    "CustomerId",
    "CustomerName",
    "CustomerDomainName",
    "CustomerCountry",
    "MpnId",
    "Tier2MpnId",
    "InvoiceNumber",
    "ProductId",
    "SkuId",
    "AvailabilityId",
    "SkuName",
    "ProductName",
    "PublisherName",
    "PublisherId",
    "SubscriptionDescription",
    "SubscriptionId",
    "ChargeStartDate",
    "ChargeEndDate",
    "UsageDate",
    "MeterType",
    "MeterCategory",
    "MeterId",
    "MeterSubCategory",
    "MeterName",
    "MeterRegion",
    "Unit",
    "ResourceLocation",
    "ConsumedService",
    "ResourceGroup",
    "ResourceURI",
    "ChargeType",
    "UnitPrice",
    "Quantity",
    "UnitType",
    "BillingPreTaxTotal",
    "BillingCurrency",
    "PricingPreTaxTotal",
    "PricingCurrency",
    "ServiceInfo1",
    "ServiceInfo2",
    "Tags",
    "AdditionalInfo",
    "EffectiveUnitPrice",
    "PCToBCExchangeRate",
    "PCToBCExchangeRateDate",
    "EntitlementId",
    "EntitlementDescription",
    "PartnerEarnedCreditPercentage",
    "CreditPercentage",
    "CreditType",
    "BenefitOrderId",
    "BenefitId",
    "BenefitType",
)
# Partner Center's name of a column the portal reads under another name.
ALIASES = {"unit": "UnitOfMeasure"}
REQUIRED_HEADERS = (
    "CustomerId",
    "SubscriptionId",
    "UsageDate",
    "MeterId",
    "Quantity",
    "UnitPrice",
    "BillingPreTaxTotal",
    "BillingCurrency",
    "ChargeType",
)
# Header (case-insensitive, "ResourceUri" and "ResourceURI" alike) → canonical header.
_CANONICAL = {h.lower(): h for h in USAGE_CSV_HEADERS} | ALIASES
_IGNORED = {h.lower(): h for h in PARTNER_CENTER_HEADERS if h.lower() not in _CANONICAL}
NUMERIC = ("Quantity", "UnitPrice", "BillingPreTaxTotal")
TEXT = tuple(h for h in USAGE_CSV_HEADERS if h not in NUMERIC + ("UsageDate",))
FORMULA_PREFIXES = frozenset("=+-@\t\r")
CURRENCIES = frozenset(Currency.values)
# Fields that identify one line of a file: two lines alike in all of them are duplicates.
KEY_FIELDS = (
    "CustomerId",
    "SubscriptionId",
    "UsageDate",
    "MeterId",
    "MeterRegion",
    "ResourceURI",
    "ChargeType",
    "ProductId",
    "SkuId",
    "AvailabilityId",
    "Tags",
)
# The fields whose stored values (stripped) make UsageLine.natural_key, in its order
# (billing.usage.models.KEY_COLUMNS); the subscription and the day are columns of its unique key.
NATURAL_KEY_FIELDS = (
    "MeterId",
    "MeterRegion",
    "ResourceURI",
    "ChargeType",
    "ProductId",
    "SkuId",
    "AvailabilityId",
    "Tags",
)
# Azure Marketplace one-time charges (billed on a separate invoice). Azure plan consumption
# arrives with ChargeType "new" (or "usage"); a marketplace purchase says so.
MARKETPLACE_CHARGE_TYPES = frozenset(
    {"purchase", "onetime", "onetimecharge", "onetimepurchase", "marketplace"}
)
MAX_DECIMALS = 10
MAX_INTEGER_DIGITS = 18  # DecimalField(28, 10)
# Microsoft prices a unit to 16 decimals and more (0.0209951014286867 in its documented
# example): UsageLine.unit_price is a DecimalField(38, 22).
DECIMALS = {"Quantity": MAX_DECIMALS, "UnitPrice": 22, "BillingPreTaxTotal": MAX_DECIMALS}
INTEGER_DIGITS = {
    "Quantity": MAX_INTEGER_DIGITS,
    "UnitPrice": 16,
    "BillingPreTaxTotal": MAX_INTEGER_DIGITS,
}
MAX_ERRORS = 200
TEXT_LIMITS = {
    "MeterId": 64,
    "ProductId": 64,
    "SkuId": 64,
    "AvailabilityId": 64,
    "ChargeType": 50,
    "MeterRegion": 100,
    "UnitOfMeasure": 100,
    "MeterCategory": 200,
    "MeterSubCategory": 200,
    "MeterName": 200,
    "ResourceGroup": 200,
}

# Column order of the staging table / UsageLine (without reseller etc. added by the loader).
COLUMNS = (
    "reseller_id",
    "customer_id",
    "subscription_id",
    "usage_date",
    "meter_category",
    "meter_sub_category",
    "meter_name",
    "meter_id",
    "meter_region",
    "resource_group",
    "resource_uri",
    "tags",
    "quantity",
    "unit_of_measure",
    "unit_price",
    "billing_pre_tax_total",
    "currency",
    "charge_type",
    "product_id",
    "sku_id",
    "availability_id",
    "is_marketplace",
)


class FileProblem(Exception):
    """The file as a whole cannot be read (encoding, headers)."""

    def __init__(self, errors: list[dict]):
        super().__init__("; ".join(e["message"] for e in errors))
        self.errors = errors


def problem(line: int | None, field_name: str, message: str) -> dict:
    return {"line": line, "field": field_name, "message": message}


@dataclass(frozen=True)
class KnownCustomer:
    id: int
    reseller_id: int
    currency: str
    name: str


@dataclass(frozen=True)
class KnownSubscription:
    id: int
    customer_id: int
    usage: bool = True  # billed by usage (Azure plan); False: licence-based (seats)
    offer_name: str = ""
    currency: str = ""  # the subscription's own (Partner Center bills it in this one)


@dataclass
class Known:
    """What the portal knows, loaded once: tenant ID (lower-case GUID) → customer,
    Partner Center subscription ID (lower-case) → subscription."""

    customers: dict[str, KnownCustomer]
    subscriptions: dict[str, KnownSubscription]
    scope_label: str = "the portal"  # "your customers" for a reseller's upload
    today: date | None = None


def decode(data: bytes) -> str:
    """UTF-8 text, with or without a byte-order mark."""
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        line = data[: e.start].count(b"\n") + 1
        raise FileProblem(
            [
                problem(
                    line,
                    "file",
                    (
                        f"The file is not UTF-8 text (byte 0x{data[e.start]:02x} at line {line}). "
                        "Save it as CSV UTF-8 and upload it again."
                    ),
                )
            ]
        ) from None


def header_names(header: list[str]) -> list[str | None]:
    """Canonical names of the header's columns, None for a column of Partner Center's export
    that the portal does not read; FileProblem when the headers are wrong."""
    errors, names, seen = [], [], set()
    for raw in header:
        key = raw.strip().lower()
        name = _CANONICAL.get(key)
        if name is None and key in _IGNORED:
            names.append(None)
            continue
        if name is None:
            errors.append(problem(1, raw, f"Unknown column “{raw}”."))
        elif name in seen:
            errors.append(problem(1, raw, f"Column “{raw}” appears twice."))
        seen.add(name)
        names.append(name)
    missing = [h for h in REQUIRED_HEADERS if h not in seen]
    if missing:
        errors.append(
            problem(1, ", ".join(missing), f"Missing required column(s): {', '.join(missing)}.")
        )
    if any(e["message"].startswith("Unknown column") for e in errors):  # the list once
        expected = ", ".join(USAGE_CSV_HEADERS)
        errors.append(problem(1, "", f"Expected Partner Center's usage columns: {expected}."))
    if errors:
        raise FileProblem(errors)
    return names


def ignored_note(data: bytes) -> str:
    """The note listing the columns of Partner Center's export in the file's header that the
    portal does not read ("" when there are none or the header cannot be read)."""
    first = data[: data.find(b"\n")] if b"\n" in data else data
    try:
        header = next(csv.reader([first.decode("utf-8-sig").rstrip("\r")]))
    except (UnicodeDecodeError, StopIteration, csv.Error):
        return ""
    ignored = [raw.strip() for raw in header if raw.strip().lower() in _IGNORED]
    if not ignored:
        return ""
    return (
        f"{len(ignored)} column(s) of Partner Center's export are not used by the portal and "
        f"were ignored: {', '.join(ignored)}."
    )


def csv_rows(text: str) -> Iterator[tuple[int, dict[str, str]]]:
    """(line number, {canonical header: value}) of a Partner Center usage CSV; the header is
    line 1, columns the portal does not read are left out. Raises FileProblem when the headers
    are wrong."""
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = next(reader)
    except StopIteration:
        raise FileProblem([problem(1, "file", "The file is empty.")]) from None
    names = header_names(header)
    width = len(names)
    read = [i for i, name in enumerate(names) if name is not None]
    for values in reader:
        if not values or values == [""]:
            continue  # blank line
        if len(values) != width:
            yield reader.line_num, {"__width__": f"{len(values)} values for {width} columns"}
            continue
        yield reader.line_num, {names[i]: values[i] for i in read}


def _decimal(value: str) -> Decimal:
    number = Decimal(value.strip())
    if not number.is_finite():
        raise InvalidOperation
    return number


def _usage_date(value: str) -> date:
    """ISO (2026-09-15, 2026-09-15T00:00:00) or, as Partner Center's export prints it, US
    M/D/YYYY, possibly followed by a time (9/15/2020, 9/15/2020 0:00)."""
    value = value.strip()
    if "/" in value:
        month, day, year = value.split(" ", 1)[0].split("/")
        if len(year) != 4:
            raise ValueError(value)
        return date(int(year), int(month), int(day))
    if len(value) > 10 and value[10] in "T ":
        return datetime.fromisoformat(value).date()
    return date.fromisoformat(value)


def key_text(row: dict[str, str]) -> str:
    """The text UsageLine.natural_key hashes, as the line's stored columns make it (the key
    fields stripped, joined by U+001F); the database computes the hash."""
    return "\x1f".join(row.get(f, "").strip() for f in NATURAL_KEY_FIELDS)


def line_identity(row: dict[str, str]) -> str:
    """What makes two lines of one file duplicates (KEY_FIELDS, stripped)."""
    return "\x1f".join(row.get(f, "").strip() for f in KEY_FIELDS)


def is_marketplace(charge_type: str) -> bool:
    return "".join(c for c in charge_type.lower() if c.isalnum()) in MARKETPLACE_CHARGE_TYPES


@dataclass
class Validator:
    known: Known
    sink: Callable[[tuple], None]
    errors: list[dict] = field(default_factory=list)
    error_count: int = 0
    lines: int = 0
    valid: int = 0
    marketplace: int = 0
    _keys: dict[str, int] = field(default_factory=dict)  # line identity → its first line
    _dates: dict[str, date] = field(default_factory=dict)  # parsed once per distinct text
    _tenants: dict[str, str] = field(default_factory=dict)

    def _fail(self, line, field_name, message):
        self.error_count += 1
        if len(self.errors) < MAX_ERRORS:
            self.errors.append(problem(line, field_name, message))

    def check(self, line: int, row: dict[str, str]) -> None:
        self.lines += 1
        if "__width__" in row:
            self._fail(line, "line", f"Line has {row['__width__']}.")
            return
        before = self.error_count
        self.check_text(line, row)
        usage_date = self.check_date(line, row["UsageDate"])
        numbers = {name: self.check_number(line, name, row[name]) for name in NUMERIC}
        customer, subscription, currency = self.check_refs(
            line, row["CustomerId"], row["SubscriptionId"], row["BillingCurrency"]
        )
        first = self._keys.setdefault(line_identity(row), line)
        if first != line:
            self._fail(
                line,
                "line",
                f"Duplicate of line {first} (same customer, subscription, "
                "date, meter, resource, charge type and tags).",
            )
        if self.error_count != before or subscription is None:
            return
        marketplace = is_marketplace(row["ChargeType"])
        self.valid += 1
        self.marketplace += marketplace
        g = row.get
        self.sink(
            (
                customer.reseller_id,
                customer.id,
                subscription.id,
                usage_date,
                g("MeterCategory", ""),
                g("MeterSubCategory", ""),
                g("MeterName", ""),
                row["MeterId"].strip(),
                g("MeterRegion", "").strip(),  # the key fields stored as the key has them
                g("ResourceGroup", ""),
                g("ResourceURI", "").strip(),
                g("Tags", "").strip(),
                numbers["Quantity"],
                g("UnitOfMeasure", ""),
                numbers["UnitPrice"],
                numbers["BillingPreTaxTotal"],
                currency,
                row["ChargeType"].strip(),
                g("ProductId", "").strip(),
                g("SkuId", "").strip(),
                g("AvailabilityId", "").strip(),
                marketplace,
            )
        )

    # The parts of `check`, in its order; usage_columnar.py runs them on distinct values.

    def check_text(self, line: int, row: dict[str, str]) -> None:
        for name in TEXT:
            value = row.get(name)
            if value and value[0] in FORMULA_PREFIXES:
                self._fail(
                    line,
                    name,
                    f"{name} “{value[:30]}” starts with “{value[0]}”, which "
                    "spreadsheets run as a formula; it is not accepted.",
                )
        for name, limit in TEXT_LIMITS.items():
            if len(row.get(name, "")) > limit:
                self._fail(line, name, f"{name} is longer than {limit} characters.")
        for name in ("MeterId", "ChargeType"):
            if not row[name].strip():
                self._fail(line, name, f"{name} is empty.")

    def check_date(self, line: int, raw: str) -> date | None:
        usage_date = self._dates.get(raw)
        try:
            if usage_date is None:
                usage_date = self._dates[raw] = _usage_date(raw)
        except ValueError:
            self._fail(
                line, "UsageDate", f"UsageDate “{raw[:30]}” is not a date (YYYY-MM-DD or M/D/YYYY)."
            )
            return None
        if self.known.today and usage_date > self.known.today:
            self._fail(line, "UsageDate", f"UsageDate {usage_date} is in the future.")
            return None
        return usage_date

    def check_number(self, line: int, name: str, raw: str) -> Decimal | None:
        try:
            number = _decimal(raw)
        except (InvalidOperation, ValueError):
            self._fail(line, name, f"{name} “{raw[:30]}” is not a number.")
            return None
        exponent = number.as_tuple().exponent
        if -exponent > DECIMALS[name]:
            self._fail(line, name, f"{name} {raw} has more than {DECIMALS[name]} decimals.")
        elif number.adjusted() >= INTEGER_DIGITS[name]:
            self._fail(line, name, f"{name} {raw} is too large.")
        elif number < 0 and name != "BillingPreTaxTotal":
            self._fail(line, name, f"{name} {raw} is negative.")
        else:
            return number
        return None

    def check_refs(
        self, line: int, raw_tenant: str, raw_sub: str, raw_currency: str
    ) -> tuple[KnownCustomer | None, KnownSubscription | None, str | None]:
        """Currency, customer, subscription of the customer, customer's currency."""
        currency = raw_currency.strip()
        if currency not in CURRENCIES:
            self._fail(
                line,
                "BillingCurrency",
                f"BillingCurrency “{currency[:10]}” is not one "
                f"of the currencies billed here ({', '.join(Currency.values)}).",
            )
            currency = None
        customer = subscription = None
        raw_tenant = raw_tenant.strip()
        try:
            tenant = self._tenants.get(raw_tenant)
            if tenant is None:
                tenant = self._tenants[raw_tenant] = str(uuid.UUID(raw_tenant))
        except ValueError:
            self._fail(
                line, "CustomerId", f"CustomerId “{raw_tenant[:40]}” is not a tenant ID (GUID)."
            )
        else:
            customer = self.known.customers.get(tenant)
            if customer is None:
                self._fail(
                    line,
                    "CustomerId",
                    f"CustomerId {tenant} is not a customer of {self.known.scope_label}.",
                )
        raw_sub = raw_sub.strip()
        if customer is not None:
            subscription = self.known.subscriptions.get(raw_sub.lower())
            if subscription is None or subscription.customer_id != customer.id:
                self._fail(
                    line,
                    "SubscriptionId",
                    f"SubscriptionId “{raw_sub[:40]}” is not a subscription of {customer.name}.",
                )
                subscription = None
            elif not subscription.usage:
                self._fail(
                    line,
                    "SubscriptionId",
                    f"SubscriptionId “{raw_sub[:40]}” is the "
                    "licence-based subscription "
                    f"{subscription.offer_name}, not an Azure "
                    "plan: it has no usage.",
                )
                subscription = None
            expected = (
                subscription.currency
                if subscription is not None and subscription.currency
                else customer.currency
            )
            if currency and currency != expected:
                self._fail(
                    line,
                    "BillingCurrency",
                    f"BillingCurrency {currency} differs from "
                    f"{customer.name}'s currency {expected}."
                    if expected == customer.currency
                    else f"BillingCurrency {currency} differs from the currency {expected} "
                    f"of subscription “{raw_sub[:40]}”.",
                )
        return customer, subscription, currency

    def check_all(
        self,
        rows: Iterable[tuple[int, dict[str, str]]],
        progress: Callable[[int], None] | None = None,
        every: int = 50_000,
    ) -> None:
        for line, row in rows:
            self.check(line, row)
            if progress and self.lines % every == 0:
                progress(self.lines)
        if self.error_count > len(self.errors):
            self.errors.append(
                problem(
                    None,
                    "file",
                    f"… and {self.error_count - len(self.errors)} more problems not listed.",
                )
            )
