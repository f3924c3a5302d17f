"""Lines of Microsoft Graph's usage exports as the rows of a usage CSV, for the importer.

Graph documents the attributes in PascalCase, as the CSV headers (`CustomerId`,
`BillingPreTaxTotal`, `ResourceURI`, `Unit` …; https://learn.microsoft.com/graph/api/
resources/partners-billing-attributeset); names are matched without regard to case, and the
attributes the portal does not read are left out. Numbers arrive as JSON numbers (or numeric
text) with up to 15 decimals (0.490235765325545 in Microsoft's examples): they are kept to the
decimals the usage table stores (10, 22 for a unit price), rounding half to even — less than a
ten-billionth of a cent. Dates arrive as ISO date-times (2018-11-01T00:00:00Z).
"""

from decimal import ROUND_HALF_EVEN, Decimal, InvalidOperation

from billing.usage import validation
from partner_center.types import USAGE_CSV_HEADERS

_NAMES = {h.lower(): h for h in USAGE_CSV_HEADERS} | validation.ALIASES


def _text(name: str, value) -> str:
    if value is None:
        return ""
    if name in validation.DECIMALS and not isinstance(value, bool):
        try:
            number = Decimal(str(value))
        except InvalidOperation:
            return str(value)  # reported by the validator as not a number
        if number.is_finite() and -number.as_tuple().exponent > validation.DECIMALS[name]:
            number = number.quantize(Decimal(1).scaleb(-validation.DECIMALS[name]), ROUND_HALF_EVEN)
        return format(number, "f")
    return str(value)


def csv_row(line: dict) -> dict[str, str]:
    """{canonical CSV header: text} of one export line."""
    row = dict.fromkeys(USAGE_CSV_HEADERS, "")
    for key, value in line.items():
        name = _NAMES.get(key.lower())
        if name is not None:
            row[name] = _text(name, value)
    return row
