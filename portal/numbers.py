"""Numbers as people read them, formatted by Babel (CLDR) in the portal's locale: one place
for money, unit prices, quantities and percentages. The template filters in
`portal.templatetags.numbers` call these.

    money(Decimal("12345.6"), "USD")        → "12,345.60 USD"  (the currency's minor unit)
    unit_price(Decimal("1.234500"), "USD")  → "1.2345 USD"     (two to four decimals)
    quantity(Decimal("10.000000"))          → "10"             (no trailing zeros)
    percent(Decimal("15.000"))              → "15%"
    amount(Decimal("12345.6"), "USD")       → "12,345.60"      (a column headed by the currency)
    short_id("4c1a0d2e-...")                → "4c1a0d2e…"
"""

import re
from decimal import ROUND_HALF_UP, Decimal
from functools import lru_cache

from babel import Locale
from babel.numbers import (
    get_currency_precision,
    get_decimal_precision,
    get_decimal_symbol,
    get_group_symbol,
    parse_pattern,
)
from django.conf import settings
from django.utils.translation import to_locale

MONEY = "#,##0.00 ¤¤"  # ¤¤: the ISO code; Babel sets the decimals to the currency's minor unit
AMOUNT = "#,##0.00"
UNIT_AMOUNT = "#,##0.00##"
UNIT_PRICE = "#,##0.00## ¤¤"
QUANTITY = "#,##0.######"
PERCENT = "#,##0.##"
RATE = "#,##0.###"


def _locale() -> str:
    return to_locale(settings.LANGUAGE_CODE)


_QUOTED = re.compile(r"'([^']*)'")


class _Pattern:
    """Babel's `NumberPattern.apply` for the plain patterns above, with the pattern parsed and
    the locale's symbols looked up once: a report page formats some 500 numbers, and Babel
    parses the pattern and the locale again for each (a third of the page's time). The steps
    are Babel's own (tests compare with Babel over many values and locales)."""

    def __init__(self, pattern: str, locale: str):
        self.babel, self.locale = parse_pattern(pattern), Locale.parse(locale)
        p = self.babel
        self.plain = not p.exp_prec and "@" not in p.pattern and not p.scale
        self.decimal = get_decimal_symbol(self.locale)
        self.group = get_group_symbol(self.locale)

    def apply(self, value: Decimal, currency: str | None = None, **options) -> str:
        if not self.plain or not value.is_finite():
            return self.babel.apply(value, self.locale, currency=currency, **options)
        p, given = self.babel, value
        negative = int(value.is_signed())
        value = abs(value).normalize()
        if currency and options.get("currency_digits", True):
            low = high = get_currency_precision(currency)
        else:
            low, high = p.frac_prec
        if not options.get("decimal_quantization", True):
            high = max(high, get_decimal_precision(value))
        whole, _, frac = f"{value.quantize(Decimal(1).scaleb(-high)):f}".partition(".")
        whole = whole.rjust(p.int_prec[0], "0")
        size, grouped = p.grouping[0], ""
        while len(whole) > size:
            grouped = self.group + whole[-size:] + grouped
            whole = whole[:-size]
            size = p.grouping[1]
        number = whole + grouped
        frac = (frac or "0").ljust(low, "0")
        if high and not (low == 0 and int(frac) == 0):
            number += self.decimal + (frac[:low] + frac[low:].rstrip("0"))
        out = p.prefix[negative] + number + p.suffix[negative]
        if currency is not None and "¤" in out:
            out = out.replace("¤¤", currency.upper())
            if "¤" in out:  # a symbol or name: Babel's own
                return self.babel.apply(given, self.locale, currency=currency, **options)
        if "'" in out:  # Babel unquotes literal text, even a group symbol (de_CH's ')
            out = _QUOTED.sub(lambda m: m.group(1) or "'", out)
        return out


@lru_cache(maxsize=64)
def _compiled(pattern: str, locale: str) -> _Pattern:
    return _Pattern(pattern, locale)


def format_decimal(value: Decimal, *, format: str, locale: str, **options) -> str:
    return _compiled(format, locale).apply(value, **options)


def format_currency(value: Decimal, currency: str, *, format: str, locale: str, **options) -> str:
    return _compiled(format, locale).apply(value, currency, **options)


@lru_cache(maxsize=16)
def _plain(language_code: str) -> bool:
    """The locale writes numbers as Python does (group ",", decimal "."): `f"{value:,f}"` is
    then Babel's text for the patterns above (grouped by three, "-" before a negative value,
    negative zero included), at a fifth of the time; tests compare the two."""
    pattern = _compiled(AMOUNT, to_locale(language_code))
    return (pattern.group, pattern.decimal) == (",", ".")


def _decimal(value, places: int | None = None) -> Decimal | None:
    """`value` as a Decimal, rounded ROUND_HALF_UP to `places` (Babel would round half-even)."""
    if value is None or value == "":
        return None
    value = value if isinstance(value, Decimal) else Decimal(str(value))
    if places is None:
        return value
    return value.quantize(_EXPONENTS.get(places) or Decimal(1).scaleb(-places), ROUND_HALF_UP)


_EXPONENTS = {places: Decimal(1).scaleb(-places) for places in range(11)}


def money(amount, currency: str) -> str:
    amount = _decimal(amount, get_currency_precision(currency))
    if amount is None:
        return ""
    return format_currency(amount, currency, format=MONEY, locale=_locale())


def unit_price(amount, currency: str) -> str:
    amount = _decimal(amount, 4)
    if amount is None:
        return ""
    return format_currency(
        amount, currency, format=UNIT_PRICE, locale=_locale(), currency_digits=False
    )


_SIX = Decimal(1).scaleb(-6)
_FOUR = Decimal(1).scaleb(-4)


def quantity(value) -> str:
    value = _decimal(value)
    if value is None:
        return ""
    if _plain(settings.LANGUAGE_CODE) and value.is_finite():
        # as Babel: six decimals at most (rounded half-even), no trailing zeros
        whole, _, frac = f"{abs(value).quantize(_SIX):,f}".partition(".")
        frac = frac.rstrip("0")
        return ("-" if value.is_signed() else "") + (f"{whole}.{frac}" if frac else whole)
    return format_decimal(value, format=QUANTITY, locale=_locale())


def percent(value) -> str:
    value = _decimal(value, 2)
    return "" if value is None else format_decimal(value, format=PERCENT, locale=_locale()) + "%"


def amount(value, currency: str) -> str:
    """Money in a column or row that names its currency: grouped, the currency's decimals."""
    places = get_currency_precision(currency) if currency else 2
    value = _decimal(value, places)
    if value is None:
        return ""
    if _plain(settings.LANGUAGE_CODE) and value.is_finite():
        return f"{value:,f}"  # exactly the currency's decimals (rounded above)
    return format_decimal(
        value,
        format=AMOUNT if places == 2 else f"#,##0.{'0' * places}" if places else "#,##0",
        locale=_locale(),
        decimal_quantization=False,
    )


def short_id(value, length: int = 8) -> str:
    """The start of a long identifier (a Partner Center GUID), for tables; the full value goes
    with its copy button."""
    text = str(value or "")
    return text if len(text) <= length + 1 else text[:length] + "…"


def unit_amount(value) -> str:
    """A unit price in a column that names its currency: two to four decimals, grouped."""
    value = _decimal(value, 4)
    if value is None:
        return ""
    if _plain(settings.LANGUAGE_CODE) and value.is_finite():
        # as Babel: the four decimals rounded above, trailing zeros dropped down to two
        whole, _, frac = f"{value:,f}".partition(".")
        return f"{whole}.{frac[:2]}{frac[2:].rstrip('0')}"
    return format_decimal(value, format=UNIT_AMOUNT, locale=_locale())


def tax_rate(value) -> str:
    """A tax rate as its jurisdiction states it: up to three decimals (Québec's 9.975%)."""
    value = _decimal(value, 3)
    return "" if value is None else format_decimal(value, format=RATE, locale=_locale()) + "%"
