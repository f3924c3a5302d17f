"""Template filters for numbers people read (portal/numbers.py), used wherever an amount is
shown: `{{ amount|money:currency }}`, `{{ price|unit_price:currency }}`, `{{ seats|quantity }}`,
`{{ rate|percent }}`."""

from django import template

from portal import numbers

register = template.Library()


@register.filter
def money(amount, currency):
    return numbers.money(amount, currency)


@register.filter
def unit_price(amount, currency):
    return numbers.unit_price(amount, currency)


@register.filter
def quantity(value):
    return numbers.quantity(value)


@register.filter
def percent(value):
    return numbers.percent(value)


@register.filter
def tax_rate(value):
    return numbers.tax_rate(value)


@register.filter
def amount(value, currency):
    return numbers.amount(value, currency)


@register.inclusion_tag("_copy_id.html")
def copy_id(value, label=""):
    """A long identifier shortened, with a button that copies it whole (static/js/nav.js)."""
    return {"value": value, "short": numbers.short_id(value), "label": label}
