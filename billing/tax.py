"""Tax on the distributor's invoices and credit notes, per jurisdiction. Pure: no ORM, no I/O.

Conventions (DESIGN.md "Money and time"):
- A rate belongs to a country and, optionally, a region (province or state; "" = the whole
  country) and is in force from `effective_from` through `effective_to`, both inclusive
  (`effective_to` None: until further notice). Operations edit them.
- A document is taxed at the rates in force on its period's last day for the reseller's
  country and region: the region's own rates plus the country-wide ones, unless a region rate
  includes the country's tax (Ontario's HST 13 % includes the federal GST 5 %).
- Each tax line is the subtotal × rate ÷ 100, rounded ROUND_HALF_UP to the currency's minor
  unit; the tax total is the sum of the rounded lines. A negative subtotal (a credit note)
  gives exactly the negative tax.
- A reseller's exemption (a resale certificate) valid on that day, for its region or the
  whole country, means no tax line at all; the document names the certificate.
"""

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from subscriptions.proration import round_money


@dataclass(frozen=True)
class Rate:
    country: str
    region: str
    name: str
    rate: Decimal  # percent, e.g. Decimal("9.975")
    effective_from: date
    effective_to: date | None = None
    includes_country_tax: bool = False

    def in_force(self, on: date) -> bool:
        return self.effective_from <= on and (self.effective_to is None or on <= self.effective_to)

    @property
    def jurisdiction(self) -> str:
        return f"{self.country}-{self.region}" if self.region else self.country


@dataclass(frozen=True)
class Exemption:
    certificate_number: str
    expires_on: date
    region: str = ""  # "" = every region of the reseller's country

    def covers(self, region: str, on: date) -> bool:
        return on <= self.expires_on and self.region in ("", region)

    @property
    def label(self) -> str:
        return (
            f"Tax exempt: resale certificate {self.certificate_number} "
            f"(valid through {self.expires_on})"
        )


@dataclass(frozen=True)
class TaxLine:
    name: str
    jurisdiction: str
    rate: Decimal
    amount: Decimal

    def as_json(self) -> dict:
        return {
            "name": self.name,
            "jurisdiction": self.jurisdiction,
            "rate": str(self.rate),
            "amount": str(self.amount),
        }

    @classmethod
    def from_json(cls, data: dict) -> "TaxLine":
        return cls(
            data["name"], data["jurisdiction"], Decimal(data["rate"]), Decimal(data["amount"])
        )


def rates_in_force(rates, *, country: str, region: str, on: date) -> list[Rate]:
    """The rates of `country`/`region` on `on`: the region's, plus the country-wide ones unless
    a region rate includes them; country-wide first, then by name."""
    current = [r for r in rates if r.country == country and r.in_force(on)]
    own = [r for r in current if r.region and r.region == region]
    national = (
        [] if any(r.includes_country_tax for r in own) else [r for r in current if not r.region]
    )
    return sorted(national, key=lambda r: r.name) + sorted(own, key=lambda r: r.name)


def tax_lines(subtotal: Decimal, currency: str, rates: list[Rate]) -> list[TaxLine]:
    """One rounded line per rate."""
    return [
        TaxLine(r.name, r.jurisdiction, r.rate, round_money(subtotal * r.rate / 100, currency))
        for r in rates
    ]


def exemption_for(exemptions, *, region: str, on: date) -> Exemption | None:
    return next((e for e in exemptions if e.covers(region, on)), None)
