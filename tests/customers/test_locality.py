"""Issue 21 item 11: addresses in the country's order ("Seattle, WA 98109" in the US)."""

import pytest
from django.urls import reverse

from customers.models import Customer


@pytest.mark.parametrize(
    "country, city, region, postal, shown",
    [
        ("US", "Seattle", "WA", "98109", "Seattle, WA 98109"),
        ("CA", "Toronto", "ON", "M5V 2T6", "Toronto, ON M5V 2T6"),
        ("US", "Seattle", "", "98109", "Seattle 98109"),
        ("FR", "Paris", "", "75008", "75008 Paris"),
    ],
)
def test_locality_follows_the_countrys_order(country, city, region, postal, shown):
    customer = Customer(country=country, city=city, region=region, postal_code=postal)
    assert customer.locality == shown


@pytest.mark.django_db
def test_customer_page_shows_a_us_address_in_us_order(owner_a, client_for):
    from tests.factories import CustomerFactory

    customer = CustomerFactory(
        reseller=owner_a.reseller, city="Seattle", region="WA", postal_code="98109"
    )
    page = client_for(owner_a).get(reverse("customers:detail", kwargs={"customer_id": customer.pk}))
    assert '<span data-testid="locality">Seattle, WA 98109</span>' in page.content.decode()
