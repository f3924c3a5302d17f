"""Parse and validate a catalog CSV completely before anything is written. Pure: no I/O.

One row per offer price:
    sku,name,product_type,terms,billing_frequencies,min_quantity,max_quantity,cap_group,
    term,currency,cost,effective_from
Offer columns repeat on each of its price rows and must agree. `cost` is per month for P1M and
per year for P1Y/P3Y. Files are UTF-8 (a BOM is fine).
"""

import csv
import io
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal, InvalidOperation

HEADERS = [
    "sku",
    "name",
    "product_type",
    "terms",
    "billing_frequencies",
    "min_quantity",
    "max_quantity",
    "cap_group",
    "term",
    "currency",
    "cost",
    "effective_from",
]
OFFER_COLUMNS = HEADERS[:8]
TERMS = {"P1M", "P1Y", "P3Y"}
FREQUENCIES = {"monthly", "annual", "triennial"}
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
MAX_ERRORS = 50


@dataclass
class ParsedCatalog:
    offers: dict[str, dict] = field(default_factory=dict)  # sku -> offer fields
    prices: list[dict] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)


def _decode(data: bytes) -> str:
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ValueError(
            f"The file is not UTF-8 text (byte {exc.start + 1}); save it as "
            "CSV UTF-8 and upload again."
        ) from None


def parse_catalog(
    data: bytes, *, product_types: set[str], cap_groups: set[str], currencies: set[str]
) -> ParsedCatalog:
    out = ParsedCatalog()
    try:
        text = _decode(data)
    except ValueError as exc:
        out.errors.append(str(exc))
        return out
    reader = csv.DictReader(io.StringIO(text, newline=""))
    found = [h.strip() for h in (reader.fieldnames or [])]
    missing = [h for h in HEADERS if h not in found]
    unknown = [h for h in found if h not in HEADERS]
    if missing or unknown:
        msg = "Wrong header row."
        if missing:
            msg += f" Missing: {', '.join(missing)}."
        if unknown:
            msg += f" Unknown: {', '.join(unknown)}."
        out.errors.append(msg + f" Expected: {','.join(HEADERS)}")
        return out
    seen_prices = set()
    for line, raw in enumerate(reader, start=2):
        if len(out.errors) >= MAX_ERRORS:
            out.errors.append(f"… stopped after {MAX_ERRORS} errors.")
            break
        if None in raw:
            out.errors.append(f"Line {line}: more cells than headers.")
            continue
        row = {k.strip(): (v or "").strip() for k, v in raw.items()}
        problems = _check_row(row, product_types, cap_groups, currencies)
        if problems:
            out.errors.extend(f"Line {line}: {p}" for p in problems)
            continue
        offer = {k: row[k] for k in OFFER_COLUMNS}
        offer["min_quantity"], offer["max_quantity"] = (
            int(row["min_quantity"]),
            int(row["max_quantity"]),
        )
        previous = out.offers.setdefault(row["sku"], offer)
        if previous != offer:
            diff = [k for k in OFFER_COLUMNS if previous[k] != offer[k]]
            out.errors.append(
                f"Line {line}: offer {row['sku']} differs from its earlier row "
                f"in {', '.join(diff)}."
            )
            continue
        key = (row["sku"], row["term"], row["currency"], row["effective_from"])
        if key in seen_prices:
            out.errors.append(
                f"Line {line}: duplicate price for {row['sku']} {row['term']} "
                f"{row['currency']} from {row['effective_from']}."
            )
            continue
        seen_prices.add(key)
        out.prices.append(
            {
                "sku": row["sku"],
                "term": row["term"],
                "currency": row["currency"],
                "cost": Decimal(row["cost"]),
                "effective_from": date.fromisoformat(row["effective_from"]),
            }
        )
    if not out.errors and not out.prices:
        out.errors.append("The file has a header row but no data.")
    return out


def _check_row(row, product_types, cap_groups, currencies) -> list[str]:
    problems = []
    for col in ("sku", "name"):
        if not row[col]:
            problems.append(f"{col} is empty.")
        elif row[col].startswith(FORMULA_START):
            problems.append(
                f"{col} {row[col][:30]!r} looks like a spreadsheet formula; "
                "remove the leading character."
            )
    if row["product_type"] not in product_types:
        problems.append(
            f"unknown product_type {row['product_type']!r} "
            f"(known: {', '.join(sorted(product_types))})."
        )
    terms = [t for t in row["terms"].split(",") if t]
    if not terms or set(terms) - TERMS:
        problems.append(f"terms {row['terms']!r} must be a comma list of P1M, P1Y, P3Y.")
    freqs = [f for f in row["billing_frequencies"].split(",") if f]
    if not freqs or set(freqs) - FREQUENCIES:
        problems.append(
            f"billing_frequencies {row['billing_frequencies']!r} must be a comma "
            "list of monthly, annual, triennial."
        )
    quantities = []
    for col in ("min_quantity", "max_quantity"):
        if not row[col].isdigit() or int(row[col]) < 1:
            problems.append(f"{col} {row[col]!r} must be a whole number of at least 1.")
        else:
            quantities.append(int(row[col]))
    if len(quantities) == 2 and quantities[0] > quantities[1]:
        problems.append("min_quantity is above max_quantity.")
    if row["cap_group"] and row["cap_group"] not in cap_groups:
        problems.append(f"unknown cap_group {row['cap_group']!r}.")
    if row["term"] not in terms:
        problems.append(f"term {row['term']!r} is not among the offer's terms {row['terms']!r}.")
    if row["currency"] not in currencies:
        problems.append(
            f"currency {row['currency']!r} is not supported ({', '.join(sorted(currencies))})."
        )
    try:
        cost = Decimal(row["cost"])
        if not cost.is_finite() or cost < 0 or cost.as_tuple().exponent < -6:
            raise InvalidOperation
    except InvalidOperation:
        problems.append(
            f"cost {row['cost']!r} must be a number ≥ 0 with at most 6 decimals "
            "(use a dot as decimal separator)."
        )
    try:
        date.fromisoformat(row["effective_from"])
    except ValueError:
        problems.append(f"effective_from {row['effective_from']!r} must be a date YYYY-MM-DD.")
    return problems
