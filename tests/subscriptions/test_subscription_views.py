import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from portal.roles import Role
from subscriptions.models import Subscription
from tests.factories import SeatAssignmentFactory, SeatSubscriptionFactory, SubscriptionFactory
from tests.subscriptions.conftest import PREMIUM, buy_now


@pytest.mark.django_db
def test_list_has_constant_queries_and_shows_windows(
    owner_a, reseller_a, reseller_b, client_for, django_assert_max_num_queries
):
    for n in range(30):
        SeatSubscriptionFactory(reseller=reseller_a, customer__company_name=f"Customer {n:02d}")
    SeatSubscriptionFactory(reseller=reseller_b, customer__company_name="Beta Secret")
    client = client_for(owner_a)
    with django_assert_max_num_queries(10):
        page = client.get(reverse("subscriptions:list")).content.decode()
    assert "closes in 167 h" in page and "Beta Secret" not in page
    with django_assert_max_num_queries(10):
        client.get(reverse("subscriptions:list"), {"page": 2, "status": "active"})
    page = client.get(reverse("subscriptions:list"), {"q": "Customer 07"}).content.decode()
    assert "Customer 07" in page and "Customer 08" not in page


@pytest.mark.django_db
def test_buying_in_the_browser_with_a_price_quote(
    owner_a, onboard, catalog, client_for, unscoped, django_capture_on_commit_callbacks
):
    customer = onboard(owner_a, company_name="Contoso Ltd")
    client = client_for(owner_a)
    form = client.get(reverse("subscriptions:purchase"), {"customer": customer.pk})
    key = re.search(r'name="idempotency_key" value="(\w+)"', form.content.decode()).group(1)
    offer = catalog[PREMIUM]
    quote = client.get(
        reverse("subscriptions:purchase_quote"),
        {
            "customer": customer.pk,
            "offer": offer.pk,
            "term": "P1Y",
            "billing_frequency": "monthly",
            "quantity": 3,
        },
    ).content.decode()
    assert "22.00 USD" in quote and "66.00 USD" in quote and "margin 0.00" in quote
    data = {
        "customer": customer.pk,
        "offer": offer.pk,
        "term": "P1Y",
        "billing_frequency": "monthly",
        "quantity": 3,
        "auto_renew": "on",
        "idempotency_key": key,
    }
    # the order goes to Partner Center in a task once the request's transaction commits
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("subscriptions:purchase"), data)
    page = client.get(response["Location"]).content.decode()
    assert "Ordered 3 × Microsoft 365 Business Premium for Contoso Ltd" in page
    assert "Partner Center ID <code>" in page and "Change seats now" in page
    client.post(reverse("subscriptions:purchase"), data)  # double submit
    with unscoped():
        assert Subscription.objects.count() == 1


@pytest.mark.django_db
def test_customer_without_mca_is_told_what_is_missing(owner_a, reseller_a, catalog, client_for):
    from tests.factories import CustomerFactory

    customer = CustomerFactory(reseller=reseller_a, company_name="No MCA Co")
    page = (
        client_for(owner_a)
        .get(reverse("subscriptions:purchase") + f"?customer={customer.pk}")
        .content.decode()
    )
    assert "MCA not accepted for No MCA Co: send the MCA click-through" in page
    detail = (
        client_for(owner_a)
        .get(reverse("customers:detail", kwargs={"customer_id": customer.pk}))
        .content.decode()
    )
    assert "MCA not accepted for No MCA Co" in detail


@pytest.mark.django_db
def test_decrease_after_window_offers_scheduling(owner_a, onboard, catalog, client_for, unscoped):
    import datetime as dt

    import time_machine

    customer = onboard(owner_a)
    client = client_for(owner_a)
    with time_machine.travel(dt.datetime(2026, 6, 18, 10, tzinfo=dt.UTC), tick=False):
        sub = buy_now(
            member=owner_a,
            customer=customer,
            offer=catalog[PREMIUM],
            term="P1Y",
            billing_frequency="monthly",
            quantity=10,
            idempotency_key="k",
        )
    url = reverse("subscriptions:change_seats", kwargs={"subscription_id": sub.pk})
    with time_machine.travel(dt.datetime(2026, 7, 1, tzinfo=dt.UTC), tick=False):
        response = client.post(url, {"quantity": 8, "idempotency_key": "a"}, follow=True)
        page = response.content.decode()
        assert "Only 0 of the 2 seats can be removed now" in page
        assert "Schedule 8 seats for renewal on 2027-06-18" in page
        page = client.post(
            url, {"quantity": 8, "idempotency_key": "b", "schedule": "True"}, follow=True
        ).content.decode()
    assert "scheduled for renewal on 2027-06-18" in page
    assert "Scheduled for renewal on 2027-06-18: 8 seats" in page


@pytest.mark.django_db
def test_viewer_sees_no_actions_and_posts_are_refused(reseller_a, member_of, client_for, unscoped):
    sub = SeatSubscriptionFactory(reseller=reseller_a, quantity=5)
    SeatAssignmentFactory(subscription=sub, display_name="Ann Lee")
    client = client_for(member_of(reseller_a, Role.VIEWER))
    page = client.get(
        reverse("subscriptions:detail", kwargs={"subscription_id": sub.pk})
    ).content.decode()
    assert (
        "Ann Lee" in page and "Change seats now" not in page and "Cancel subscription" not in page
    )
    assert 'data-testid="unused">4<' in page
    response = client.post(
        reverse("subscriptions:change_seats", kwargs={"subscription_id": sub.pk}),
        {"quantity": 6, "idempotency_key": "x"},
    )
    assert response.status_code == 403
    sub.refresh_from_db()
    assert sub.quantity == 5


@pytest.mark.django_db
def test_lengthening_the_term_and_changing_billing_in_the_browser(
    owner_a, onboard, catalog, client_for
):
    import datetime as dt

    import time_machine

    client = client_for(owner_a)
    with time_machine.travel(dt.datetime(2026, 6, 18, 10, tzinfo=dt.UTC), tick=False):
        sub = buy_now(
            member=owner_a,
            customer=onboard(owner_a),
            offer=catalog[PREMIUM],
            term="P1M",
            billing_frequency="monthly",
            quantity=10,
            idempotency_key="k",
        )
    detail = reverse("subscriptions:detail", kwargs={"subscription_id": sub.pk})
    with time_machine.travel(dt.datetime(2026, 6, 28, 9, tzinfo=dt.UTC), tick=False):
        page = client.get(detail).content.decode()
        # only longer terms are offered; monthly is already the shortest cycle
        assert '<option value="P1Y">1 year</option>' in page
        assert '<option value="P1M"' not in page and 'data-testid="frequency-form"' not in page
        page = client.post(
            reverse("subscriptions:change_term", kwargs={"subscription_id": sub.pk}),
            {"term": "P1Y", "billing_frequency": "annual", "idempotency_key": "t"},
            follow=True,
        ).content.decode()
    assert "The term is now 1 year, billed annually, from 2026-06-28 to 2027-06-27" in page
    assert "Term lengthened (prorated credit)" in page and "-176.00 USD" in page
    assert 'data-testid="frequency-form"' in page  # annual can become monthly next cycle
    page = client.post(
        reverse("subscriptions:change_frequency", kwargs={"subscription_id": sub.pk}),
        {"billing_frequency": "monthly"},
        follow=True,
    ).content.decode()
    assert "Billed monthly from the cycle starting 2027-06-28." in page
    page = client.post(
        reverse("subscriptions:change_term", kwargs={"subscription_id": sub.pk}),
        {"term": "P1M", "billing_frequency": "monthly", "idempotency_key": "u"},
        follow=True,
    ).content.decode()
    assert "New term: Select a valid choice. P1M is not one of the available choices." in page


@pytest.mark.django_db
def test_a_reseller_exchanges_a_reserved_instance_from_its_page(
    owner_a, client_for, onboard, catalog, unscoped
):
    import datetime as dt
    from decimal import Decimal

    import time_machine

    from subscriptions.models import ChargeEvent, Subscription
    from tests.subscriptions.conftest import RESERVED, buy_now

    customer = onboard(owner_a)
    ri = catalog[RESERVED]
    with time_machine.travel(dt.datetime(2026, 6, 18, 10, 0, tzinfo=dt.UTC), tick=False):
        sub = buy_now(
            member=owner_a,
            customer=customer,
            offer=ri,
            term="P1Y",
            billing_frequency="annual",
            quantity=10,
            idempotency_key="ri",
        )
    client = client_for(owner_a)
    url = reverse("subscriptions:exchange", kwargs={"subscription_id": sub.pk})
    with time_machine.travel(dt.datetime(2026, 12, 18, 10, 0, tzinfo=dt.UTC), tick=False):
        page = client.get(reverse("subscriptions:detail", kwargs={"subscription_id": sub.pk}))
        assert 'data-testid="exchange-form"' in page.content.decode()
        # hand-checked: 6,132.00 × 182 ÷ 365 = 3,057.60 remains; 3 × 613.20 = 1,839.60 is less
        refused = client.post(
            url,
            {
                "offer": ri.pk,
                "term": "P1Y",
                "billing_frequency": "annual",
                "quantity": 3,
                "idempotency_key": "x1",
            },
            follow=True,
        )
        assert (
            "The new commitment (1,839.60) must be at least the remaining commitment "
            "(3,057.60). (in USD)"
        ) in refused.content.decode()
        done = client.post(
            url,
            {
                "offer": ri.pk,
                "term": "P3Y",
                "billing_frequency": "annual",
                "quantity": 10,
                "idempotency_key": "x2",
            },
            follow=True,
        )
    body = done.content.decode()
    assert "Exchanged: 10 × Reserved VM Instance" in body
    with unscoped():
        new = Subscription.objects.get(order_key="exchange:x2")
        assert (Subscription.objects.get(pk=sub.pk).status, new.status, new.term_start) == (
            "cancelled",
            "active",
            dt.date(2026, 12, 18),
        )
        rows = list(
            ChargeEvent.objects.filter(kind__in=["exchange", "cycle"])
            .order_by("pk")
            .values_list("subscription_id", "kind", "cost_amount")
        )
    # the old year credited for Dec 18 – Jun 17 (3,057.60); the new P3Y billed annually,
    # 394.20 × 10 = 3,942.00 for its first year (new commitment 11,826.00 ≥ 3,057.60)
    assert rows == [
        (sub.pk, "cycle", Decimal("6132.00")),
        (sub.pk, "exchange", Decimal("-3057.60")),
        (new.pk, "cycle", Decimal("3942.00")),
    ]
    assert done.request["PATH_INFO"] == reverse(
        "subscriptions:detail", kwargs={"subscription_id": new.pk}
    )


@pytest.mark.django_db
def test_a_price_rule_in_another_currency_never_breaks_quoting_or_buying(
    owner_a, onboard, catalog, client_for, unscoped, django_capture_on_commit_callbacks
):
    import datetime as dt
    from decimal import Decimal

    from subscriptions.catalog.models import PriceBook, PriceRule

    customer = onboard(owner_a, company_name="Maple Co", country="CA")
    offer = catalog[PREMIUM]
    with unscoped():  # a USD fixed price in a CAD customer's book, as written before the check
        type(customer).objects.filter(pk=customer.pk).update(currency="CAD")
        book = PriceBook.objects.create(
            reseller=owner_a.reseller, customer=customer, name="Maple prices"
        )
        PriceRule.objects.create(
            reseller=owner_a.reseller,
            book=book,
            kind="fixed",
            offer=offer,
            term="P1Y",
            fixed_price=Decimal("300"),
            currency="USD",
            effective_from=dt.date(2026, 1, 1),
        )
    client = client_for(owner_a)
    quote = client.get(
        reverse("subscriptions:purchase_quote"),
        {
            "customer": customer.pk,
            "offer": offer.pk,
            "term": "P1Y",
            "billing_frequency": "monthly",
            "quantity": 3,
        },
    )
    assert quote.status_code == 200
    # the USD rule prices nothing in CAD: the price is the cost, 356.40 CAD a year ÷ 12
    assert "29.70 CAD" in quote.content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("subscriptions:purchase"),
            {
                "customer": customer.pk,
                "offer": offer.pk,
                "term": "P1Y",
                "billing_frequency": "monthly",
                "quantity": 3,
                "auto_renew": "on",
                "idempotency_key": "k-cad",
            },
        )
    assert response.status_code == 302
    with unscoped():
        bought = Subscription.objects.get(order_key="k-cad")
    assert (bought.currency, bought.unit_price) == ("CAD", Decimal("29.700000"))


def _rows(page: str) -> list[list[str]]:
    """The list table's body rows: each cell's HTML, trimmed."""
    body = re.search(r"<tbody[^>]*>(.*?)</tbody>", page, re.S).group(1)
    return [
        [cell.strip() for cell in re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)]
        for row in re.findall(r"<tr[^>]*>(.*?)</tr>", body, re.S)
    ]


@pytest.mark.django_db
def test_list_rows_show_each_column_with_links(
    owner_a, reseller_a, client_for, django_assert_num_queries
):
    sub = SeatSubscriptionFactory(
        reseller=reseller_a, customer__company_name="Contoso & Sons", quantity=5
    )
    SeatAssignmentFactory.create_batch(2, subscription=sub)
    azure = SubscriptionFactory(reseller=reseller_a, customer=sub.customer)  # 90 days old
    client = client_for(owner_a)
    # the session, user and membership, the subscriptions' count, the unread notifications,
    # the product types of the filter and the page's rows: one query per kind, not per row
    with django_assert_num_queries(7):
        page = client.get(reverse("subscriptions:list"), {"sort": "-quantity"}).content.decode()
    customer = reverse("customers:detail", kwargs={"customer_id": sub.customer_id})
    seats, plan = _rows(page)
    assert seats[:2] == [
        f'<a href="{customer}">Contoso &amp; Sons</a>',
        f'<a href="{reverse("subscriptions:detail", kwargs={"subscription_id": sub.pk})}">'
        f"{sub.offer.name}</a>",
    ]
    assert seats[2:5] == [
        "5",
        "2 <small class='muted'>(3 unused)</small>",
        "1 year<br><small class='muted'>Monthly</small>",
    ]
    assert seats[5] == sub.renewal() and seats[5].startswith("Renews ")
    assert re.fullmatch(
        r"<span class='state state-pending'>closes in 16[78] h \d+ min</span>", seats[6]
    )
    assert seats[7] == '<span class="state state-active">Active</span>'
    # an Azure plan: no seats to assign; its window closed long ago
    assert plan[1].endswith(">Microsoft Azure plan</a>") and f"/{azure.pk}/" in plan[1]
    assert plan[3] == "—" and plan[6] == "<span class='muted'>closed</span>"
    # headers sort, the current sort marked; the sort links keep the page's filters
    assert '<th class="desc orderable"><a href="?sort=quantity">Seats</a></th>' in page
    assert "<th>Assigned</th>" in page
    page = client.get(reverse("subscriptions:list"), {"status": "active"}).content.decode()
    assert '<a href="?status=active&amp;sort=customer">Customer</a>' in page


@pytest.mark.django_db
def test_list_pages_link_each_other_keeping_the_filters(owner_a, reseller_a, client_for):
    for n in range(60):
        SeatSubscriptionFactory(reseller=reseller_a, customer__company_name=f"Customer {n:02d}")
    client = client_for(owner_a)
    page = client.get(reverse("subscriptions:list"), {"status": "active", "page": 2})
    shown = page.content.decode()
    assert '<a href="?status=active&amp;page=1">previous</a>' in shown
    assert '<li class="active"><a href="?status=active&amp;page=2">2</a></li>' in shown
    assert '<a href="?status=active&amp;page=3">next</a>' in shown
    assert len(_rows(shown)) == 25
    empty = client.get(reverse("subscriptions:list"), {"q": "nobody"}).content.decode()
    assert _rows(empty) == [["No subscriptions match."]]


@pytest.mark.django_db
def test_list_reads_its_page_in_index_order(owner_a, reseller_a, client_for):
    """The list's default order (renewal) is an index of the reseller's subscriptions: a page
    is read in that order and stops after its rows, instead of joining and sorting every
    subscription of the reseller (at 835 subscriptions: 1.2 ms instead of 5 ms). The plan is
    asked of PostgreSQL with sorting made expensive, as it is at that size."""
    for _ in range(3):
        SeatSubscriptionFactory(reseller=reseller_a)
    with CaptureQueriesContext(connection) as captured:
        client_for(owner_a).get(reverse("subscriptions:list"))
    (page,) = [
        q["sql"]
        for q in captured.captured_queries
        if q["sql"].startswith('SELECT "subscriptions_subscription"."id"') and " LIMIT " in q["sql"]
    ]
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_sort = off")
        cursor.execute(f"EXPLAIN {page}")
        plan = "\n".join(row[0] for row in cursor.fetchall())
    assert "Index Scan using subscription_term_end on subscriptions_subscription" in plan
    assert "Sort" not in plan
