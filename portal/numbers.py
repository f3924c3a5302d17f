"""Numbers as people read them, formatted by Babel (CLDR) in the portal's locale: one place
for money, unit prices, quantities and percentages. The template filters in
`portal.templatetags.numbers` call these.

    money(Decimal("12345.6"), "USD")        → "12,345.60 USD"  (the currency's minor unit)
    unit_price(Decimal("1.234500"), "USD")  → "1.2345 USD"     (two to four decimals)
    quantity(Decimal("10.000000"))          → "10"             (no trailing zeros)
    percent(Decimal("15.000"))              → "15%"
"""

from decimal import ROUND_HALF_UP, Decimal

from babel.numbers import format_currency, format_decimal, get_currency_precision
from django.conf import settings
from django.utils.translation import to_locale

MONEY = "#,##0.00 ¤¤"  # ¤¤: the ISO code; Babel sets the decimals to the currency's minor unit
UNIT_PRICE = "#,##0.00## ¤¤"
QUANTITY = "#,##0.######"
PERCENT = "#,##0.##"


def _locale() -> str:
    return to_locale(settings.LANGUAGE_CODE)


def _decimal(value, places: int | None = None) -> Decimal | None:
    """`value` as a Decimal, rounded ROUND_HALF_UP to `places` (Babel would round half-even)."""
    if value is None or value == "":
        return None
    value = value if isinstance(value, Decimal) else Decimal(str(value))
    return value if places is None else value.quantize(Decimal(1).scaleb(-places), ROUND_HALF_UP)


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


def quantity(value) -> str:
    value = _decimal(value)
    return "" if value is None else format_decimal(value, format=QUANTITY, locale=_locale())


def percent(value) -> str:
    value = _decimal(value, 2)
    return "" if value is None else format_decimal(value, format=PERCENT, locale=_locale()) + "%"
