"""Filling the program link templates with a reseller's IDs. Pure functions, no I/O."""

import re
import string
from urllib.parse import quote

KNOWN = ("providerTenantId", "resellerPartnerId", "resellerTenantId", "dap")


def placeholders(template: str) -> list[str]:
    return [name for _, name, _, _ in string.Formatter().parse(template) if name is not None]


def unknown_placeholders(template: str) -> list[str]:
    try:
        names = placeholders(template)
    except ValueError:
        return ["(unbalanced braces)"]
    return sorted({n for n in names if n not in KNOWN})


# Microsoft retired delegated admin privileges (DAP): a link never asks for them; admin access
# is a GDAP relationship of its own (customers.gdap).
_DAP_TRUE = re.compile(r"([?&]DAP=)true\b", re.IGNORECASE)


def asks_for_dap(template: str) -> bool:
    return bool(_DAP_TRUE.search(template))


def without_dap(url: str) -> str:
    """`url` with a literal DAP=true turned into DAP=false."""
    return _DAP_TRUE.sub(r"\1false", url)


def fill(template: str, values: dict[str, str | None]) -> str | None:
    """The URL, or None when a placeholder the template uses has no value yet. A literal
    DAP=true (an old template) becomes DAP=false."""
    needed = placeholders(template)
    if any(not values.get(n) for n in needed):
        return None
    return without_dap(template.format_map({n: quote(str(values[n]), safe="") for n in needed}))


def missing_values(template: str, values: dict[str, str | None]) -> list[str]:
    return [n for n in placeholders(template) if not values.get(n)]
