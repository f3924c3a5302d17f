"""Deterministic daily rated usage for sandbox Azure plan subscriptions.

Every (subscription, day, meter) gets a quantity from a hash of the seed and those three, so
the same seed always yields the same lines, any page can be computed without the ones before
it, and 30 days × 200 subscriptions take well under a second.
"""

import hashlib
import json
import uuid
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from partner_center.types import UsageLine

_NS = uuid.UUID("5f0c6a52-7d1e-4d8e-9a57-3b1f6c0e2a91")
_TOTAL = Decimal("0.0000000001")  # BillingPreTaxTotal keeps 10 decimals
_QTY = Decimal("0.000001")
# Unit prices are USD; other billing currencies use a fixed sandbox rate.
_RATES = {"USD": Decimal("1"), "CAD": Decimal("1.36")}


@dataclass(frozen=True)
class Meter:
    category: str
    sub_category: str
    name: str
    unit: str
    unit_price: Decimal  # USD
    daily: Decimal  # typical quantity per day at size 1
    provider: str  # resource type in the resource URI
    product_id: str
    sku_id: str

    @property
    def meter_id(self) -> str:
        return str(uuid.uuid5(_NS, self.name))


METERS = [
    Meter(
        "Virtual Machines",
        "Dsv5 Series",
        "D2s v5",
        "1 Hour",
        Decimal("0.096"),
        Decimal("24"),
        "Microsoft.Compute/virtualMachines/vm-app",
        "DZH318Z0BQ3Q",
        "00JW",
    ),
    Meter(
        "Storage",
        "Standard Page Blob",
        "LRS Data Stored",
        "1 GB/Month",
        Decimal("0.045"),
        Decimal("3.3"),
        "Microsoft.Storage/storageAccounts/stdata",
        "DZH318Z0BNVX",
        "002H",
    ),
    Meter(
        "Bandwidth",
        "Rtn Preference: MGN",
        "Standard Data Transfer Out",
        "1 GB",
        Decimal("0.087"),
        Decimal("12"),
        "Microsoft.Network/publicIPAddresses/pip-web",
        "DZH318Z0BNW5",
        "001V",
    ),
    Meter(
        "SQL Database",
        "General Purpose - Compute Gen5",
        "vCore",
        "1 Hour",
        Decimal("0.2522"),
        Decimal("48"),
        "Microsoft.Sql/servers/sql-main/databases/app",
        "DZH318Z0BQ4M",
        "0048",
    ),
    Meter(
        "Azure App Service",
        "Premium v3 Plan",
        "P1 v3 App",
        "1 Hour",
        Decimal("0.165"),
        Decimal("24"),
        "Microsoft.Web/serverfarms/asp-web",
        "DZH318Z0BQ5T",
        "0016",
    ),
]


@dataclass(frozen=True)
class Spike:
    """Usage multiplied by `factor` on days [day, day + days), on one meter (by name) or on
    all of them: an injected anomaly (a runaway VM scale set, a copy loop, a leaked key)."""

    day: date
    factor: Decimal
    meter: str = ""
    days: int = 1

    def applies(self, day: date, meter: "Meter") -> bool:
        return self.day <= day < self.day + timedelta(days=self.days) and self.meter in (
            "",
            meter.name,
        )


@dataclass(frozen=True)
class Span:
    """Days [first_day, first_day + days) of one Azure plan subscription. `weekly`: seven
    factors (Monday first) shaping usage by weekday (office workloads idle at weekends);
    `spikes`: injected anomalies. Both default to none, the clean sandbox."""

    tenant_id: str
    customer_name: str
    subscription_id: str
    currency: str
    first_day: date
    days: int
    weekly: tuple[Decimal, ...] = ()
    spikes: tuple[Spike, ...] = ()


def _unit(seed: int, *parts) -> Decimal:
    """A stable number in [0, 1) from the seed and the parts."""
    digest = hashlib.blake2b(f"{seed}|{'|'.join(map(str, parts))}".encode(), digest_size=8).digest()
    return Decimal(int.from_bytes(digest, "big")) / Decimal(2**64)


def _line(span: Span, day: date, meter: Meter, seed: int) -> UsageLine:
    size = 1 + int(_unit(seed, span.subscription_id, "size") * 4)  # 1–4 of each resource
    quantity = (
        meter.daily * size * (Decimal("0.5") + _unit(seed, span.subscription_id, day, meter.name))
    ).quantize(_QTY)
    if meter.unit == "1 Hour":
        quantity = min(quantity, Decimal(24 * size))
    if span.weekly:
        quantity = (quantity * span.weekly[day.weekday()]).quantize(_QTY)
    for spike in span.spikes:  # more resources, not longer hours: after the 24-hour cap
        if spike.applies(day, meter):
            quantity = (quantity * spike.factor).quantize(_QTY)
    unit_price = meter.unit_price * _RATES.get(span.currency, Decimal(1))
    group = f"rg-{span.subscription_id[:8]}"
    return UsageLine(
        customer_id=span.tenant_id,
        customer_name=span.customer_name,
        subscription_id=span.subscription_id,
        usage_date=day,
        meter_category=meter.category,
        meter_sub_category=meter.sub_category,
        meter_name=meter.name,
        meter_id=meter.meter_id,
        meter_region="US East",
        resource_group=group,
        resource_uri=(
            f"/subscriptions/{span.subscription_id}/resourceGroups/{group}"
            f"/providers/{meter.provider}"
        ),
        tags=json.dumps({"env": "prod" if size > 2 else "dev"}),
        quantity=quantity,
        unit_of_measure=meter.unit,
        unit_price=unit_price,
        billing_pre_tax_total=(quantity * unit_price).quantize(_TOTAL),
        billing_currency=span.currency,
        charge_type="new",
        product_id=meter.product_id,
        sku_id=meter.sku_id,
        availability_id=f"{meter.product_id}{meter.sku_id}",
    )


def generate(
    spans: list[Span], *, seed: int, offset: int, limit: int
) -> tuple[list[UsageLine], bool]:
    """Lines [offset, offset + limit) of the sequence ordered by span, day, meter; and
    whether more lines follow."""
    per_day = len(METERS)
    lines: list[UsageLine] = []
    position = 0
    for span in spans:
        size = span.days * per_day
        if position + size <= offset:
            position += size
            continue
        for index in range(max(offset - position, 0), size):
            if len(lines) == limit:
                return lines, True
            day = span.first_day + timedelta(days=index // per_day)
            lines.append(_line(span, day, METERS[index % per_day], seed))
        position += size
    return lines, False
