"""Billing reports: pure helpers (no ORM, no I/O) for pricing aggregated rows, totals per
currency and safe exports.

Conventions (DESIGN.md "Money and time", "Billing periods"):
- A report row's cost is rounded ROUND_HALF_UP to the currency's minor unit; its customer price
  is the price-book rule applied to the row's unrounded cost, then rounded; margin = price − cost
  of the rounded amounts. Totals are sums of the rounded rows, one per currency, never mixed.
- Azure plan usage is billed in arrears: a period's report shows the previous calendar month's
  usage (as the billing run does), priced with the rules in force on the period's first day.
- Text cells of an export that a spreadsheet would read as a formula (starting with = + - @,
  also after leading spaces or tabs, or with a tab or a carriage return) are prefixed with a
  single quote; numbers stay numbers.
"""

import csv
import io
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

import tablib

from subscriptions.catalog.pricing import Rule, resolve_price
from subscriptions.proration import round_money

NOTICE = (
    "Azure Marketplace one-time charges are billed on a separate invoice and are not in "
    "this report."
)
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
ZERO = Decimal("0")


@dataclass(frozen=True)
class Books:
    """A reseller's price-book rules, loaded once: the default book's and each customer's."""

    default: tuple[Rule, ...] = ()
    by_customer: dict[int, tuple[Rule, ...]] | None = None

    def for_customer(self, customer_id: int) -> tuple[tuple[Rule, ...], tuple[Rule, ...]]:
        return (self.by_customer or {}).get(customer_id, ()), self.default


def price_usage_rows(
    rows: list[dict], books_by_reseller: dict[int, Books], *, priced_on: date
) -> list[dict]:
    """Add rounded `cost`, `price`, `margin` to aggregated usage rows (each with reseller_id,
    customer_id, offer_id, product_type_id, term, currency and the unrounded `cost_raw`)."""
    rules: dict[tuple[int, int], tuple[list[Rule], list[Rule]]] = {}
    for row in rows:
        key = (row["reseller_id"], row["customer_id"])
        if key not in rules:
            own, default = books_by_reseller.get(row["reseller_id"], Books()).for_customer(
                row["customer_id"]
            )
            rules[key] = (list(own), list(default))
        customer_rules, default_rules = rules[key]
        resolved = resolve_price(
            cost=row["cost_raw"],
            currency=row["currency"],
            offer_id=row["offer_id"],
            product_type_id=row["product_type_id"],
            term=row["term"],
            on=priced_on,
            customer_rules=customer_rules,
            default_rules=default_rules,
        )
        row["cost"] = round_money(row["cost_raw"], row["currency"])
        row["price"] = round_money(resolved.price, row["currency"])
        row["margin"] = row["price"] - row["cost"]
    return rows


@dataclass
class Total:
    currency: str
    cost: Decimal = ZERO
    price: Decimal = ZERO
    rows: int = 0

    @property
    def margin(self) -> Decimal:
        return self.price - self.cost


def totals(rows: list[dict]) -> list[Total]:
    """One Total per currency (sorted by currency) of rows' rounded cost and price."""
    out: dict[str, Total] = defaultdict(lambda: Total(currency=""))
    for row in rows:
        t = out[row["currency"]]
        t.currency = row["currency"]
        t.cost += row["cost"]
        t.price += row["price"]
        t.rows += 1
    return [out[c] for c in sorted(out)]


def group_totals(groups: list[dict]) -> list[Total]:
    """One Total per currency (sorted) of groups of rows, each with its currency, rounded cost
    and price sums and number of `rows`."""
    out: dict[str, Total] = {}
    for g in groups:
        t = out.setdefault(g["currency"], Total(currency=g["currency"]))
        t.cost += to_cents(g["cost"])
        t.price += to_cents(g["price"])
        t.rows += g["rows"]
    return [out[c] for c in sorted(out)]


def category_chart(groups: list[dict], *, show_money: bool) -> dict:
    """Chart.js data of groups per meter category: the customer price, and the cost for who may
    see it, per category, one series per currency (numbers: Chart.js wants floats)."""
    labels = sorted({g["meter_category"] or "—" for g in groups})
    amounts = [("price", "Customer price")] + ([("cost", "Cost")] if show_money else [])
    series = []
    for currency in sorted({g["currency"] for g in groups}):
        of = {g["meter_category"] or "—": g for g in groups if g["currency"] == currency}
        for key, label in amounts:
            series.append(
                {
                    "label": f"{label} ({currency})",
                    "currency": currency,
                    "key": key,
                    "values": [float(to_cents(of[c][key])) if c in of else 0.0 for c in labels],
                }
            )
    return {"labels": labels, "series": series}


def neutralise(value):
    """A text cell a spreadsheet would run as a formula gets a leading single quote (" =1+1"
    and "\t=1+1" too: spreadsheets skip the white space)."""
    if isinstance(value, str) and (
        value.startswith(("\t", "\r", "\n")) or value.lstrip(" \t\r\n").startswith(FORMULA_STARTS)
    ):
        return "'" + value
    return value


@dataclass(frozen=True)
class Column:
    key: str
    header: str
    money: bool = False  # cost or margin: only for members who may see money


def visible(columns: list[Column], *, show_money: bool) -> list[Column]:
    return [c for c in columns if show_money or not c.money]


# Amounts of the reports, in the currency's cents. SQLite returns computed decimals with 15
# significant digits (PostgreSQL keeps the scale), so they are put back to cents here.
CENT_KEYS = frozenset({"cost", "price", "margin", "cycle_price", "proration_price", "credit_price"})
CENT = Decimal("0.01")


def cents(key: str, value):
    if key in CENT_KEYS:
        return to_cents(value)
    return value


def to_cents(value):
    # rounding passed by position: three times faster than by keyword (C decimal)
    if isinstance(value, Decimal):
        return value.quantize(CENT, ROUND_HALF_UP)
    if isinstance(value, (float, int)):
        return Decimal(str(value)).quantize(CENT, ROUND_HALF_UP)
    return value


def _text_cell(value):
    if value.__class__ is str:  # most cells: checked first
        return neutralise(value)
    if value is None:
        return ""
    if isinstance(value, date):
        return value.isoformat()
    return value


def _money_cell(value):
    return "" if value is None else to_cents(value)


def _cells(columns: list[Column]):
    """A function giving a row's export cells: amounts in cents, dates as ISO text, formulas
    neutralised, nothing as an empty cell."""
    cells = [(c.key, _money_cell if c.key in CENT_KEYS else _text_cell) for c in columns]
    return lambda row: [cell(row.get(key)) for key, cell in cells]


def dataset(rows: Iterable[dict], columns: list[Column], *, title: str) -> tablib.Dataset:
    """The rows as a tablib Dataset with exactly `columns` (already filtered for the role)."""
    data = tablib.Dataset(headers=[c.header for c in columns], title=title[:31])
    for cells in map(_cells(columns), rows):
        data.append(cells)
    return data


def csv_bytes(rows: Iterable[dict], columns: list[Column]) -> bytes:
    """The rows as CSV with exactly `columns`, written row by row (what tablib writes for a
    Dataset, without holding every row in one)."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow([c.header for c in columns])
    writer.writerows(map(_cells(columns), rows))
    return out.getvalue().encode("utf-8")


EXPORT_FORMATS = {
    "csv": ("text/csv; charset=utf-8", "csv"),
    "xlsx": ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "xlsx"),
}


def export_bytes(data: tablib.Dataset, fmt: str) -> bytes:
    if fmt not in EXPORT_FORMATS:
        raise ValueError(f"Unknown export format {fmt!r}: choose csv or xlsx.")
    content = data.export(fmt)
    return content.encode("utf-8") if isinstance(content, str) else content
