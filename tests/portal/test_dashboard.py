import datetime as dt

import pytest
import time_machine
from django.urls import reverse

from portal.roles import Role
from tests.factories import CustomerFactory, TicketFactory
from tests.subscriptions.conftest import PREMIUM, buy_now


@pytest.fixture
def bought(owner_a, onboard, catalog):
    """Two customers, each with Business Premium bought in June 2026 (US period = month)."""
    subs = []
    for n, seats in ((1, 10), (2, 4)):
        customer = onboard(owner_a, company_name=f"Customer {n}")
        with time_machine.travel(dt.datetime(2026, 6, 18, 10, tzinfo=dt.UTC), tick=False):
            subs.append(
                buy_now(
                    member=owner_a,
                    customer=customer,
                    offer=catalog[PREMIUM],
                    term="P1M",
                    billing_frequency="monthly",
                    quantity=seats,
                    idempotency_key=f"k{n}",
                )
            )
    return subs


def _dashboard(client, **params):
    with time_machine.travel(dt.datetime(2026, 6, 20, 12, tzinfo=dt.UTC), tick=False):
        return client.get(reverse("dashboard"), params).content.decode()


@pytest.mark.django_db
def test_period_money_top_customers_and_attention(owner_a, client_for, bought):
    page = _dashboard(client_for(owner_a))
    # P1M Business Premium 26.40 a seat (no price book: price = cost), 14 seats
    assert 'data-testid="revenue-USD"' in page and "369.60" in page
    assert page.index("Customer 1") < page.index("Customer 2")  # top customers by revenue
    assert "Cancellation windows closing in 48 h" in page
    assert "2026-06-01 – 2026-06-30" in page


@pytest.mark.django_db
def test_filters_apply_with_htmx(owner_a, client_for, bought):
    client = client_for(owner_a)
    with time_machine.travel(dt.datetime(2026, 6, 20, 12, tzinfo=dt.UTC), tick=False):
        partial = client.get(
            reverse("dashboard"), {"customer": "customer 2"}, HTTP_HX_REQUEST="true"
        ).content.decode()
    assert partial.startswith('\n<div id="figures">') or '<div id="figures">' in partial[:200]
    assert "<html" not in partial
    assert "105.60" in partial and "369.60" not in partial  # 4 × 26.40


@pytest.mark.django_db
def test_sales_and_viewers_see_no_cost_or_margin(reseller_a, member_of, client_for, bought):
    for role in (Role.SALES, Role.VIEWER):
        page = _dashboard(client_for(member_of(reseller_a, role)))
        assert "Your cost" not in page and "Margin (" not in page
        assert "Customer revenue" in page


@pytest.mark.django_db
def test_constant_queries_whatever_the_data(
    owner_a, reseller_a, client_for, django_assert_max_num_queries, bought
):
    client = client_for(owner_a)
    _dashboard(client)
    # 40 before the cost-anomaly, budget and seat-savings cards (one or two queries each)
    with django_assert_max_num_queries(44) as few:
        _dashboard(client)
    for _ in range(20):
        CustomerFactory(reseller=reseller_a, mca_status="sent")
        TicketFactory(reseller=reseller_a)
    with django_assert_max_num_queries(len(few.captured_queries)):
        page = _dashboard(client)
    assert 'MCA acceptances pending <span class="badge-count">20</span>' in page


@pytest.mark.django_db
def test_money_of_another_reseller_never_shows(owner_b, client_for, bought):
    page = _dashboard(client_for(owner_b))
    assert "369.60" not in page and "Customer 1" not in page
