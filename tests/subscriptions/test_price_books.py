import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from portal.roles import Role
from subscriptions import selectors, services
from subscriptions.catalog.models import OfferPrice, PriceRule
from tests.factories import CustomerFactory, OfferFactory

TODAY = timezone.now().date


@pytest.fixture
def e3(db):
    offer = OfferFactory(name="Microsoft 365 E3", terms="P1M,P1Y")
    for term, usd, cad in (("P1M", "43.20", "58.32"), ("P1Y", "432.00", "583.20")):
        OfferPrice.objects.create(
            offer=offer,
            term=term,
            currency="USD",
            cost=Decimal(usd),
            effective_from=dt.date(2026, 1, 1),
        )
        OfferPrice.objects.create(
            offer=offer,
            term=term,
            currency="CAD",
            cost=Decimal(cad),
            effective_from=dt.date(2026, 1, 1),
        )
    return offer


@pytest.mark.django_db
def test_customer_price_per_cycle_from_books(owner_a, reseller_a, e3, in_scope):
    customer = CustomerFactory(reseller=reseller_a)
    default = services.price_book_create(member=owner_a)
    services.price_rule_add(
        member=owner_a, book=default, kind="markup", percent=Decimal("15"), effective_from=TODAY()
    )
    own = services.price_book_create(member=owner_a, customer=customer)
    services.price_rule_add(
        member=owner_a,
        book=own,
        kind="fixed",
        offer=e3,
        term="P1Y",
        fixed_price=Decimal("470"),
        effective_from=TODAY(),
    )
    with in_scope(reseller_a):
        annual_monthly = selectors.customer_cycle_price(
            customer=customer, offer=e3, term="P1Y", frequency="monthly", on=TODAY()
        )
        p1m = selectors.customer_cycle_price(
            customer=customer, offer=e3, term="P1M", frequency="monthly", on=TODAY()
        )
    # P1Y billed monthly: 470 / 12 = 39.166667 a month; cost 432 / 12 = 36
    assert (annual_monthly.price, annual_monthly.cost) == (
        Decimal("39.166667"),
        Decimal("36.000000"),
    )
    # P1M is not covered by the customer's fixed P1Y price: default markup 15 % on 43.20
    assert p1m.price == Decimal("49.680000")
    assert p1m.source.startswith("default book")


@pytest.mark.django_db
def test_rules_cannot_start_in_the_past_and_in_force_rules_cannot_be_removed(owner_a, e3):
    book = services.price_book_create(member=owner_a)
    with pytest.raises(ValidationError, match="cannot start in the past"):
        services.price_rule_add(
            member=owner_a,
            book=book,
            kind="markup",
            percent=Decimal("5"),
            effective_from=TODAY() - dt.timedelta(days=1),
        )
    current = services.price_rule_add(
        member=owner_a, book=book, kind="markup", percent=Decimal("5"), effective_from=TODAY()
    )
    future = services.price_rule_add(
        member=owner_a,
        book=book,
        kind="discount",
        percent=Decimal("5"),
        effective_from=TODAY() + dt.timedelta(days=30),
    )
    with pytest.raises(ValidationError, match="already in force"):
        services.price_rule_remove(member=owner_a, rule=current)
    services.price_rule_remove(member=owner_a, rule=future)
    assert list(PriceRule.objects.with_scopes_disabled().values_list("pk", flat=True)) == [
        current.pk
    ]


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"kind": "fixed", "fixed_price": Decimal("1")}, "one offer and one term"),
        ({"kind": "markup"}, "Enter the percentage"),
        ({"kind": "discount", "percent": Decimal("120")}, "Percent must be 0–100"),
    ],
)
def test_invalid_rules_are_explained(owner_a, kwargs, message):
    book = services.price_book_create(member=owner_a)
    with pytest.raises(ValidationError, match=message):
        services.price_rule_add(member=owner_a, book=book, effective_from=TODAY(), **kwargs)


@pytest.mark.django_db
@pytest.mark.parametrize("role", [Role.SALES, Role.BILLING, Role.VIEWER])
def test_only_managers_edit_price_books(reseller_a, member_of, role):
    with pytest.raises(PermissionDenied):
        services.price_book_create(member=member_of(reseller_a, role))


@pytest.mark.django_db
def test_price_book_page_preview_and_query_count(
    owner_a, e3, client_for, django_assert_max_num_queries
):
    book = services.price_book_create(member=owner_a)
    client = client_for(owner_a)
    response = client.post(
        f"/subscriptions/price-books/{book.pk}/",
        {"target": "all", "kind": "markup", "percent": "20", "effective_from": TODAY().isoformat()},
        follow=True,
    )
    page = response.content.decode()
    assert "Price rule added." in page
    assert "<strong>518.40 USD</strong>" in page  # 432.00 × 1.20, P1Y per year
    assert "86.40 USD (16.67%)" in page  # margin of the price
    with django_assert_max_num_queries(20) as few:
        client.get(f"/subscriptions/price-books/{book.pk}/")
    for _ in range(10):
        offer = OfferFactory()
        OfferPrice.objects.create(
            offer=offer,
            term="P1M",
            currency="USD",
            cost=Decimal("5"),
            effective_from=dt.date(2026, 1, 1),
        )
    with django_assert_max_num_queries(len(few.captured_queries)):
        client.get(f"/subscriptions/price-books/{book.pk}/")


@pytest.mark.django_db
def test_sales_sees_catalog_without_costs(reseller_a, member_of, e3, client_for):
    page = (
        client_for(member_of(reseller_a, Role.SALES))
        .get("/subscriptions/catalog/")
        .content.decode()
    )
    assert "Microsoft 365 E3" in page and "432.00" not in page
    owner_page = (
        client_for(member_of(reseller_a, Role.OWNER))
        .get("/subscriptions/catalog/")
        .content.decode()
    )
    assert "432.00 USD/year" in owner_page


@pytest.mark.django_db
def test_a_fixed_price_carries_its_customers_currency(owner_a, reseller_a, e3, unscoped):
    canadian = CustomerFactory(reseller=reseller_a, currency="CAD", country="CA")
    own = services.price_book_create(member=owner_a, customer=canadian)
    rule = services.price_rule_add(
        member=owner_a,
        book=own,
        kind="fixed",
        offer=e3,
        term="P1Y",
        fixed_price=Decimal("600"),
        effective_from=TODAY(),
    )
    assert rule.currency == "CAD"  # the customer's, not the reseller's USD
    with pytest.raises(ValidationError) as e:
        services.price_rule_add(
            member=owner_a,
            book=own,
            kind="fixed",
            offer=e3,
            term="P1M",
            fixed_price=Decimal("50"),
            currency="USD",
            effective_from=TODAY(),
        )
    assert e.value.messages == [
        f"{canadian} is billed in CAD: a fixed price in its book must be in CAD."
    ]
    # the default book holds one fixed price per currency its customers are billed in
    default = services.price_book_create(member=owner_a)
    with pytest.raises(ValidationError) as e:
        services.price_rule_add(
            member=owner_a,
            book=default,
            kind="fixed",
            offer=e3,
            term="P1Y",
            fixed_price=Decimal("450"),
            currency="EUR",
            effective_from=TODAY(),
        )
    assert e.value.messages == [
        "Microsoft 365 E3 has no P1Y cost in EUR: a fixed price in EUR would never apply."
    ]


@pytest.mark.django_db
def test_a_fixed_price_in_another_currency_than_its_customer_can_be_removed(
    owner_a, reseller_a, e3, unscoped
):
    canadian = CustomerFactory(reseller=reseller_a, currency="CAD", country="CA")
    own = services.price_book_create(member=owner_a, customer=canadian)
    with unscoped():  # written before rules were checked against their customers
        stale = PriceRule.objects.create(
            reseller=reseller_a,
            book=own,
            kind="fixed",
            offer=e3,
            term="P1Y",
            fixed_price=Decimal("470"),
            currency="USD",
            effective_from=TODAY() - dt.timedelta(days=40),
        )
    services.price_rule_remove(member=owner_a, rule=stale)
    with unscoped():
        assert not PriceRule.objects.filter(pk=stale.pk).exists()
