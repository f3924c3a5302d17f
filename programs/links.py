"""Filling the program link templates with a reseller's IDs. Pure functions, no I/O."""

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


def fill(template: str, values: dict[str, str | None]) -> str | None:
    """The URL, or None when a placeholder the template uses has no value yet."""
    needed = placeholders(template)
    if any(not values.get(n) for n in needed):
        return None
    return template.format_map({n: quote(str(values[n]), safe="") for n in needed})


def missing_values(template: str, values: dict[str, str | None]) -> list[str]:
    return [n for n in placeholders(template) if not values.get(n)]
