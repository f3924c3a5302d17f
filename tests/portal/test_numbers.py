"""Numbers people read (portal/numbers.py and its template filters)."""

from decimal import Decimal as D

import pytest
from django.template import Context, Template

from portal import numbers


@pytest.mark.parametrize(
    "amount, currency, shown",
    [
        (D("12345.6"), "USD", "12,345.60 USD"),
        (D("1234567.891"), "CAD", "1,234,567.89 CAD"),
        (D("2.345"), "USD", "2.35 USD"),  # half up, as invoice lines are rounded
        (D("-2.345"), "USD", "-2.35 USD"),
        (D("0"), "USD", "0.00 USD"),
        (D("5"), "JPY", "5 JPY"),  # the currency's minor unit
    ],
)
def test_money_has_thousands_separators_two_decimals_and_the_currency(amount, currency, shown):
    assert numbers.money(amount, currency) == shown


@pytest.mark.parametrize(
    "amount, shown",
    [
        (D("25.300000"), "25.30 USD"),
        (D("1.234500"), "1.2345 USD"),
        (D("0.123456"), "0.1235 USD"),
        (D("1200.5"), "1,200.50 USD"),
    ],
)
def test_unit_prices_show_two_to_four_decimals(amount, shown):
    assert numbers.unit_price(amount, "USD") == shown


@pytest.mark.parametrize(
    "value, shown",
    [
        (D("10.000000"), "10"),
        (D("0.500"), "0.5"),
        (D("12345"), "12,345"),
        (7, "7"),
    ],
)
def test_quantities_have_no_trailing_zeros(value, shown):
    assert numbers.quantity(value) == shown


@pytest.mark.parametrize(
    "value, shown",
    [
        (D("15.000"), "15%"),
        (D("12.500"), "12.5%"),
        (D("33.3333"), "33.33%"),
    ],
)
def test_percentages_have_no_trailing_zeros(value, shown):
    assert numbers.percent(value) == shown


def test_template_filters():
    out = Template(
        "{% load numbers %}{{ a|money:'USD' }}|{{ p|unit_price:'CAD' }}|"
        "{{ q|quantity }}|{{ r|percent }}|{{ none|money:'USD' }}"
    ).render(
        Context({"a": D("1000"), "p": D("3.5"), "q": D("2.000"), "r": D("15.000"), "none": None})
    )
    assert out == "1,000.00 USD|3.50 CAD|2|15%|"


def test_the_formatting_is_babels_for_every_pattern_locale_and_value():
    """portal.numbers formats with the patterns parsed and the locale's symbols read once (a
    report page formats hundreds of numbers): the text is Babel's, character for character,
    whatever the locale's separators and grouping (en_IN groups by two, de_CH's group symbol is
    a quote) and the value (signs, negative zero, many digits, few)."""
    import random

    from babel import numbers as babel

    rnd = random.Random(26)
    values = [D(v) for v in ("0", "-0", "-0.00", "0.005", "-0.005", "2.5", "0.135", "1E+3")]
    values += [D(rnd.randint(-(10**15), 10**15)).scaleb(-rnd.randint(0, 9)) for _ in range(150)]
    patterns = [numbers.AMOUNT, numbers.UNIT_AMOUNT, numbers.QUANTITY, numbers.PERCENT, "#,##0"]
    for locale in ("en_US", "de_DE", "fr_FR", "en_IN", "de_CH"):
        for value in values:
            for exact in (True, False):
                options = {"locale": locale, "decimal_quantization": exact}
                for pattern in patterns:
                    assert numbers.format_decimal(
                        value, format=pattern, **options
                    ) == babel.format_decimal(value, format=pattern, **options), (pattern, value)
                for pattern in (numbers.MONEY, numbers.UNIT_PRICE):
                    for currency, digits in (("USD", True), ("JPY", True), ("BHD", False)):
                        ours = numbers.format_currency(
                            value, currency, format=pattern, currency_digits=digits, **options
                        )
                        theirs = babel.format_currency(
                            value, currency, format=pattern, currency_digits=digits, **options
                        )
                        assert ours == theirs, (pattern, value, currency)


def test_amounts_unit_amounts_and_quantities_are_babels_in_the_portals_locale(settings):
    """In a locale that writes numbers as Python does (en-us, the portal's), amounts, unit
    amounts and quantities are formatted by Python's own grouping: the text is still Babel's,
    character for character; another locale's goes through Babel's patterns."""
    import random

    from babel import numbers as babel

    rnd = random.Random(26)
    values = [D(v) for v in ("0", "-0", "-0.00", "0.005", "-0.005", "2.5", "0.135", "1E+3")]
    values += [D(v) for v in ("0.0000005", "-0.0000005", "0.0000015", "999.9999995", "1E-12")]
    values += [D(rnd.randint(-(10**15), 10**15)).scaleb(-rnd.randint(0, 10)) for _ in range(300)]
    for language, locale in (("en-us", "en_US"), ("de-de", "de_DE"), ("en-in", "en_IN")):
        settings.LANGUAGE_CODE = language
        for value in values:
            for currency in ("USD", "JPY", "BHD", ""):
                places = babel.get_currency_precision(currency) if currency else 2
                pattern = f"#,##0.{'0' * places}" if places else "#,##0"
                assert numbers.amount(value, currency) == babel.format_decimal(
                    numbers._decimal(value, places),
                    format=pattern,
                    locale=locale,
                    decimal_quantization=False,
                ), (language, value, currency)
            assert numbers.unit_amount(value) == babel.format_decimal(
                numbers._decimal(value, 4), format=numbers.UNIT_AMOUNT, locale=locale
            ), (language, value)
            assert numbers.quantity(value) == babel.format_decimal(
                value, format=numbers.QUANTITY, locale=locale
            ), (language, value)
