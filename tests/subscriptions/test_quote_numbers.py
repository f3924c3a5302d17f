"""Issue 21 item 8: the buy page's quote adds up (per-seat price × seats = the line shown,
rounded once as the charge will be) and price rules read as people write them."""

import datetime as dt
from decimal import Decimal as D

import pytest
from django.urls import reverse

from tests.factories import PriceRuleFactory
from tests.subscriptions.conftest import PREMIUM


@pytest.mark.django_db
def test_price_rule_reads_without_trailing_zeros(reseller_a, unscoped):
    today = dt.date(2026, 12, 1)
    rule = PriceRuleFactory(book__reseller=reseller_a, percent=D("15.000"), effective_from=today)
    with unscoped():
        assert str(rule) == "Markup 15% on cost for everything from 2026-12-01"
        discount = PriceRuleFactory(
            book__reseller=reseller_a, kind="discount", percent=D("2.500"), effective_from=today
        )
        assert str(discount) == "Discount 2.5% off cost for everything from 2026-12-01"
        fixed = PriceRuleFactory(
            book__reseller=reseller_a,
            kind="fixed",
            percent=None,
            fixed_price=D("1234.567800"),
            currency="USD",
            term="P1Y",
            effective_from=today,
        )
        assert str(fixed).startswith("Fixed price 1,234.5678 USD for everything (P1Y)")


@pytest.mark.django_db
def test_quote_line_is_the_unit_price_times_the_seats(owner_a, onboard, catalog, client_for):
    customer = onboard(owner_a)
    offer = catalog[PREMIUM]
    PriceRuleFactory(
        book__reseller=owner_a.reseller,
        book__customer=customer,
        offer=offer,
        term="P1M",
        kind="fixed",
        percent=None,
        fixed_price=D("25.2960"),
        currency="USD",
        effective_from=dt.date.today(),
    )
    quote = (
        client_for(owner_a)
        .get(
            reverse("subscriptions:purchase_quote"),
            {
                "customer": customer.pk,
                "offer": offer.pk,
                "term": "P1M",
                "billing_frequency": "monthly",
                "quantity": 1000,
            },
        )
        .content.decode()
    )
    # 25.296 × 1,000 = 25,296.00: the unit price is shown with the decimals it has
    assert '<strong data-testid="quote-unit">25.296 USD</strong>' in quote
    assert "1000 seats × 25.296 USD = " in quote
    assert '<strong data-testid="quote-total">25,296.00 USD</strong>' in quote
