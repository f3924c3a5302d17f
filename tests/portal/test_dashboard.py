import datetime as dt
import re

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from portal.roles import Role
from subscriptions.services import seat_assign
from tests.factories import CustomerFactory, NotificationFactory, TicketFactory
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
    """The dashboard as a browser shows it: the page, then (as it opens, without filters) the
    figures and the seat savings card htmx loads into it once it shows."""
    with time_machine.travel(dt.datetime(2026, 6, 20, 12, tzinfo=dt.UTC), tick=False):
        page = client.get(reverse("dashboard"), params).content.decode()
        if 'id="figures" class="loading"' in page:
            figures = client.get(reverse("billing:figures"), HTTP_HX_REQUEST="true")
            page = page.replace(_LOADER.search(page).group(0), figures.content.decode())
        card = client.get(reverse("savings:card"), HTTP_HX_REQUEST="true").content.decode()
        return page.replace(_SAVINGS_LOADER.search(page).group(0), card)


_LOADER = re.compile(r'<div id="figures"[^>]* hx-trigger="load".*?</div>', re.S)
_SAVINGS_LOADER = re.compile(
    r'<article id="savings-card"[^>]* hx-trigger="load".*?</article>', re.S
)


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
def test_a_filter_swaps_the_figures_alone_and_keeps_the_address(
    owner_a, client_for, bought, django_assert_max_num_queries
):
    """A filter's change asks the figures alone (not the attention cards, notifications and
    savings around them) and puts the dashboard's address with the filters in the address
    bar; the figures loaded as the page opens push no address."""
    client = client_for(owner_a)
    page = _page(client)
    assert f'hx-get="{reverse("billing:figures")}" hx-target="#figures"' in page
    params = {"period": "2026-06-01", "customer": "customer 2", "product_type": ""}
    # the page: 13 and the figures (test below); one of them: which of the two periods are
    # finalized (their figures are then what was invoiced), one more the customer search
    with django_assert_max_num_queries(11):
        swapped = _figures(client, **params)
    assert (
        "105.60" in swapped.content.decode() and "Needs attention" not in swapped.content.decode()
    )
    pushed = swapped.headers["HX-Push-Url"]
    assert pushed == f"{reverse('dashboard')}?period=2026-06-01&customer=customer+2&product_type="
    assert "HX-Push-Url" not in _figures(client).headers


@pytest.mark.django_db
def test_a_filtered_address_restored_from_the_history_is_the_whole_page(
    owner_a, client_for, bought
):
    """Back to a filtered dashboard htmx no longer holds in its history: htmx asks it again
    (HX-History-Restore-Request) and puts the answer in the whole body, so it is the page,
    with the figures of the filters in it."""
    with time_machine.travel(dt.datetime(2026, 6, 20, 12, tzinfo=dt.UTC), tick=False):
        restored = (
            client_for(owner_a)
            .get(
                reverse("dashboard"),
                {"customer": "customer 2"},
                HTTP_HX_REQUEST="true",
                HTTP_HX_HISTORY_RESTORE_REQUEST="true",
            )
            .content.decode()
        )
    assert "<html" in restored and "Needs attention" in restored
    assert "105.60" in restored and not _LOADER.search(restored)


@pytest.mark.django_db
def test_sales_and_viewers_see_no_cost_or_margin(reseller_a, member_of, client_for, bought):
    for role in (Role.SALES, Role.VIEWER):
        page = _dashboard(client_for(member_of(reseller_a, role)))
        assert "Your cost" not in page and "Margin (" not in page
        assert "Customer revenue" in page


@pytest.mark.django_db
def test_constant_queries_whatever_the_data(
    owner_a, reseller_a, client_for, django_assert_max_num_queries, bought, catalog, onboard
):
    client = client_for(owner_a)
    _dashboard(client)
    # 44 before the attention cards' lists and counts were one query each and the widgets
    # were rendered in the page's context (no context processors once more per widget); 25
    # before the figures were loaded after the page; the figures' 14th asks which periods are
    # finalized (read as invoiced, not computed again)
    # 17 before the latest notifications, the team card's counts and the bell's were one
    # query and a US reseller's periods were computed without reading the billing calendar
    # (fixed in the US)
    with django_assert_max_num_queries(13) as page_queries:
        _page(client)
    # 14 before one query read the finalized runs of both periods (which are finalized, and
    # the last one before each that is not), the calendar was left unread in the US and the
    # product types were read only for the form (the page's)
    with django_assert_max_num_queries(10) as figure_queries:
        _figures(client)
    for _ in range(20):
        CustomerFactory(reseller=reseller_a, mca_status="sent")
        TicketFactory(reseller=reseller_a)
    customer = onboard(owner_a, company_name="Customer 3")
    with time_machine.travel(dt.datetime(2026, 6, 19, 10, tzinfo=dt.UTC), tick=False):
        for n in range(3):
            buy_now(
                member=owner_a,
                customer=customer,
                offer=catalog[PREMIUM],
                term="P1M",
                billing_frequency="monthly",
                quantity=1 + n,
                idempotency_key=f"more{n}",
            )
    with django_assert_max_num_queries(len(page_queries.captured_queries)):
        page = _page(client)
    with django_assert_max_num_queries(len(figure_queries.captured_queries)):
        figures = _figures(client).content.decode()
    assert 'MCA acceptances pending <span class="badge-count">20</span>' in page
    assert "528.00" in figures  # 20 seats × 26.40


def _page(client):
    with time_machine.travel(dt.datetime(2026, 6, 20, 12, tzinfo=dt.UTC), tick=False):
        return client.get(reverse("dashboard")).content.decode()


def _figures(client, **params):
    with time_machine.travel(dt.datetime(2026, 6, 20, 12, tzinfo=dt.UTC), tick=False):
        return client.get(reverse("billing:figures"), params, HTTP_HX_REQUEST="true")


@pytest.mark.django_db
def test_the_figures_load_once_the_page_shows(owner_a, client_for, bought):
    """As the dashboard opens, the page holds the filters and a placeholder that htmx replaces
    with the current period's figures once the page shows (their own request); a chosen
    filter, or the placeholder's link without JavaScript, shows them in the page."""
    client = client_for(owner_a)
    page = _page(client)
    assert 'data-testid="revenue-USD"' not in page
    loader = _LOADER.search(page).group(0)
    assert f'hx-get="{reverse("billing:figures")}"' in loader and 'aria-busy="true"' in loader
    assert "Loading the figures of billing period 2026-06-01 – 2026-06-30" in loader
    assert f'<noscript> <a href="{reverse("dashboard")}?period=2026-06-01">' in loader
    assert 'name="customer"' in page  # the filters are there at once
    figures = _figures(client)
    assert figures.status_code == 200 and "<html" not in figures.content.decode()
    assert '<div id="figures">' in figures.content.decode()
    assert "369.60" in figures.content.decode()
    with time_machine.travel(dt.datetime(2026, 6, 20, 12, tzinfo=dt.UTC), tick=False):
        inline = client.get(reverse("dashboard"), {"period": "2026-06-01"}).content.decode()
    assert 'data-testid="revenue-USD"' in inline and not _LOADER.search(inline)
    assert "105.60" in _figures(client, customer="customer 2").content.decode()


@pytest.mark.django_db
def test_the_figures_need_a_member(owner_b, client, client_for, bought):
    assert client.get(reverse("billing:figures")).status_code == 302  # to sign in
    other = _figures(client_for(owner_b)).content.decode()
    assert "369.60" not in other and "Customer 1" not in other


@pytest.mark.django_db
def test_money_of_another_reseller_never_shows(owner_b, client_for, bought):
    page = _dashboard(client_for(owner_b))
    assert "369.60" not in page and "Customer 1" not in page


@pytest.mark.django_db
def test_attention_cards_count_all_and_list_five(owner_a, reseller_a, client_for, bought):
    """Each card's list and count come from one query (COUNT(*) OVER ()): the count is every
    matching row's, the list the first five, and an empty card counts 0."""
    client = client_for(owner_a)
    assert 'Open tickets <span class="badge-count">0</span>' in _dashboard(client)
    tickets = [TicketFactory(reseller=reseller_a, subject=f"Ticket {n}") for n in range(7)]
    page = _dashboard(client)
    assert 'Open tickets <span class="badge-count">7</span>' in page
    assert sum(f"#{t.pk} " in page for t in tickets) == 5


@pytest.mark.django_db
def test_figures_and_counts_follow_every_write(
    owner_a, reseller_a, client_for, bought, catalog, onboard
):
    """Nothing the dashboard shows is stale after a write: a purchase shows in the revenue and
    the seat savings at the next visit, a seat assigned in the savings, a new ticket in its
    card, a notification in the bell."""
    client = client_for(owner_a)
    page = _dashboard(client)
    assert "369.60" in page and 'Open tickets <span class="badge-count">0</span>' in page
    customer = onboard(owner_a, company_name="Customer 3")
    with time_machine.travel(dt.datetime(2026, 6, 19, 10, tzinfo=dt.UTC), tick=False):
        buy_now(
            member=owner_a,
            customer=customer,
            offer=catalog[PREMIUM],
            term="P1M",
            billing_frequency="monthly",
            quantity=1,
            idempotency_key="k3",
        )
    TicketFactory(reseller=reseller_a)
    NotificationFactory(reseller=reseller_a, user=owner_a.user)
    page = _dashboard(client)
    assert "396.00" in page and "369.60" not in page  # 15 seats × 26.40
    assert "15 seats: <strong>396.00 USD</strong> a month" in page  # none assigned
    assert 'Open tickets <span class="badge-count">1</span>' in page
    assert 'data-testid="unread-count">1<' in page
    seat_assign(
        member=owner_a,
        subscription=bought[0],
        display_name="Ada",
        user_principal_name="ada@customer1.example",
    )
    page = _dashboard(client)
    assert "14 seats: <strong>369.60 USD</strong> a month" in page
    assert 'data-testid="revenue-USD"' in page and "396.00" in page  # the revenue stays


@pytest.mark.django_db
def test_widgets_render_in_the_page_context(owner_a, client_for, bought):
    """The context processors run once for the page, not once more per widget (each run
    counted the unread notifications)."""
    client = client_for(owner_a)
    _dashboard(client)
    with CaptureQueriesContext(connection) as page:
        _dashboard(client)
    sqls = [q["sql"] for q in page.captured_queries]
    unread = [sql for sql in sqls if "portal_notification" in sql and "COUNT" in sql]
    assert len(unread) == 1


@pytest.mark.django_db
def test_the_savings_card_loads_once_the_page_shows(owner_a, owner_b, client, client_for, bought):
    """The page counts no savable seats itself: its card is loaded by its own request (for
    members only, of their own reseller), and without JavaScript its link leads to the
    savings."""
    page = _page(client_for(owner_a))
    loader = _SAVINGS_LOADER.search(page).group(0)
    assert f'hx-get="{reverse("savings:card")}"' in loader
    assert f'href="{reverse("savings:savings")}"' in loader
    with time_machine.travel(dt.datetime(2026, 6, 20, 12, tzinfo=dt.UTC), tick=False):
        card = client_for(owner_a).get(reverse("savings:card")).content.decode()
        other = client_for(owner_b).get(reverse("savings:card")).content.decode()
    assert "<html" not in card and "14 seats: <strong>369.60 USD</strong> a month" in card
    assert "No unused or reclaimable seats." in other
    assert client.get(reverse("savings:card")).status_code == 302  # to sign in


@pytest.mark.django_db
def test_every_card_full_reads_no_more_than_empty(owner_a, reseller_a, client_for, catalog):
    """The attention cards and the team and notification counts read only the fields they
    show: every card holding rows costs the same queries as every card empty (a field left
    out would be read once per row), and shows what it showed."""
    from billing.insight.models import AnomalyAlert, BudgetAlert
    from tests.factories import (
        AdminRelationshipFactory,
        BudgetFactory,
        InvitationFactory,
        ProgramRequestFactory,
        SeatSubscriptionFactory,
        SubscriptionFactory,
    )

    client = client_for(owner_a)
    _page(client)
    with CaptureQueriesContext(connection) as empty:
        _page(client)
    now = dt.datetime(2026, 6, 20, 12, tzinfo=dt.UTC)
    program = ProgramRequestFactory(reseller=reseller_a).program  # one pending per program
    for n in range(2):
        CustomerFactory(reseller=reseller_a, company_name=f"Unsigned {n}", mca_status="sent")
        AdminRelationshipFactory(reseller=reseller_a, customer__company_name=f"Approving {n}")
        # bought 150 hours ago: the window closes within 48 hours
        SeatSubscriptionFactory(
            reseller=reseller_a,
            offer=catalog[PREMIUM],
            customer__company_name=f"Window {n}",
            purchased_at=now - dt.timedelta(hours=150),
        )
        SubscriptionFactory(
            reseller=reseller_a,
            customer__company_name=f"Renewing {n}",
            purchased_at=dt.datetime(2026, 6, 1, tzinfo=dt.UTC),
            auto_renew=True,
        )
        TicketFactory(reseller=reseller_a, subject=f"Help {n}")
        watched = CustomerFactory(reseller=reseller_a, company_name=f"Spiking {n}")
        AnomalyAlert.objects.create(
            reseller=reseller_a,
            customer=watched,
            day=dt.date(2026, 6, 19),
            currency="USD",
            amount=100,
            expected=10,
            score=9,
            movers=[{"meter": f"Meter {n}", "amount": "90", "expected": "5"}],
        )
        budget = BudgetFactory(reseller=reseller_a, customer__company_name=f"Budgeted {n}")
        BudgetAlert.objects.create(
            reseller=reseller_a,
            budget=budget,
            month=dt.date(2026, 6, 1),
            kind="80",
            spent=400,
            forecast=600,
        )
        NotificationFactory(reseller=reseller_a, user=owner_a.user, title=f"Notice {n}")
        InvitationFactory(reseller=reseller_a)
    with CaptureQueriesContext(connection) as full:
        page = _page(client)
    assert len(full.captured_queries) == len(empty.captured_queries)
    for shown in (
        'Program requests pending <span class="badge-count">1</span>',
        f"<li>{program.name} <small",
        'MCA acceptances pending <span class="badge-count">2</span>',
        "Unsigned 1",
        'Approving 1</a> <small class="muted">waiting for the customer\'s approval',
        'Cancellation windows closing in 48 h <span class="badge-count">2</span>',
        "Business Premium",
        "Window 1",
        'Renewals in the next 30 days <span class="badge-count">2</span>',
        "Renewing 1",
        "Renews 2026-07-01",
        'Open tickets <span class="badge-count">2</span>',
        "Help 1",
        'Azure cost anomalies (7 days) <span class="badge-count">2</span>',
        "Spiking 1</a> 100.00 USD",
        "usually 10.00; Meter 1",
        "Budgeted 1: 80 % of the budget reached",
        "spent 400.00 of 500.00 USD",
        "Notice 1",
        'data-testid="unread-count">2<',
        "2 invitations pending",
    ):
        assert shown in page, page[page.index("Needs attention") :]


@pytest.mark.django_db
def test_counts_of_several_querysets_in_one_query(owner_a, reseller_a, django_assert_num_queries):
    """frame.counts: each queryset's rows (its filters and its tenant scope kept), one query;
    a queryset that can match nothing counts 0."""
    from django_scopes import scope

    from portal import frame
    from portal.models import Notification

    NotificationFactory(reseller=reseller_a, user=owner_a.user)
    NotificationFactory(reseller=reseller_a, user=owner_a.user, read_at=dt.datetime.now(dt.UTC))
    NotificationFactory(user=owner_a.user)  # another reseller's
    with scope(reseller=reseller_a), django_assert_num_queries(1):
        counts = frame.counts(
            all=Notification.objects.all(),
            unread=Notification.objects.filter(read_at__isnull=True),
            none=Notification.objects.filter(pk__in=[]),
        )
    assert counts == {"all": 2, "unread": 1, "none": 0}


@pytest.mark.django_db
def test_the_figures_filter_by_a_sellable_product_type_and_ignore_another(
    owner_a, client_for, bought, catalog
):
    """The figures request checks the chosen product type by itself (the form's list of
    product types is the page's): a sellable one filters, any other name shows all."""
    premium = catalog[PREMIUM].product_type.name
    client = client_for(owner_a)
    assert "369.60" in _figures(client, product_type=premium).content.decode()
    azure = _figures(client, product_type="Microsoft Azure plan").content.decode()
    assert "369.60" not in azure and "· Microsoft Azure plan" in azure
    for other in ("No such type", "Microsoft Azure (legacy)"):  # the latter sunset
        shown = _figures(client, product_type=other).content.decode()
        assert "369.60" in shown and other not in shown


@pytest.mark.django_db
def test_periods_follow_the_admin_calendar_only_where_it_applies(
    client_for, member_of, owner_a, django_assert_num_queries
):
    """A reseller of a country the admin's billing calendar sets (here GB, from the 15th)
    sees its periods; a US reseller's periods are fixed, and the calendar is not read."""
    from billing.models import BillingCalendar
    from tests.factories import ResellerFactory

    BillingCalendar.objects.create(country="GB", period_start_day=15, note="UK cut-off")
    gb = member_of(ResellerFactory(country="GB", currency="GBP"), Role.OWNER)
    assert "2026-06-15 – 2026-07-14" in _page(client_for(gb))
    client = client_for(owner_a)
    with CaptureQueriesContext(connection) as page:
        assert "2026-06-01 – 2026-06-30" in _page(client)
    with CaptureQueriesContext(connection) as figures:
        _figures(client)
    read = [q["sql"] for q in [*page.captured_queries, *figures.captured_queries]]
    assert not [sql for sql in read if "billing_billingcalendar" in sql]


@pytest.mark.django_db
def test_the_navigation_marks_the_page_and_follows_the_url_configuration(
    owner_a, client_for, settings
):
    """The sections' addresses are reversed once per URL configuration, not at every page:
    each page still marks its own section, and another URL configuration gets its own."""
    client = client_for(owner_a)
    dashboard = _page(client)
    assert f'<a href="{reverse("dashboard")}" aria-current="page">Dashboard</a>' in dashboard
    customers = client.get(reverse("customers:list")).content.decode()
    assert f'<a href="{reverse("customers:list")}" aria-current="page">Customers</a>' in customers
    assert f'<a href="{reverse("dashboard")}" >Dashboard</a>' in customers
    settings.ROOT_URLCONF = "tests.portal.nav_urls"
    moved = _page_at(client, "/p/dashboard/")
    assert '<a href="/p/dashboard/" aria-current="page">Dashboard</a>' in moved
    assert '<a href="/p/customers/"' in moved


def _page_at(client, path):
    with time_machine.travel(dt.datetime(2026, 6, 20, 12, tzinfo=dt.UTC), tick=False):
        return client.get(path).content.decode()


@pytest.mark.django_db
def test_the_cost_cards_count_to_a_hundred_and_list_five(owner_a, reseller_a, client_for):
    """The anomalies and budget alerts cards list five rows and count all of them, "100+" from
    a hundred on (one query each, the five rows read)."""
    from billing.insight.models import AnomalyAlert, BudgetAlert
    from tests.factories import BudgetFactory

    customers = [CustomerFactory(reseller=reseller_a) for _ in range(13)]
    AnomalyAlert.objects.bulk_create(
        AnomalyAlert(
            reseller=reseller_a,
            customer=customer,
            day=dt.date(2026, 6, 13 + n),
            currency="USD",
            amount=100,
            expected=10,
            score=9,
        )
        for customer in customers
        for n in range(8)
    )  # 104 in the last seven days
    for kind in ("80", "100"):
        for budget in [BudgetFactory(reseller=reseller_a) for _ in range(3)]:
            BudgetAlert.objects.create(
                reseller=reseller_a,
                budget=budget,
                month=dt.date(2026, 6, 1),
                kind=kind,
                spent=400,
                forecast=600,
            )
    with CaptureQueriesContext(connection) as queries:
        page = _page(client_for(owner_a))
    assert 'Azure cost anomalies (7 days) <span class="badge-count">100+</span>' in page
    assert 'Azure budgets this month <span class="badge-count">6</span>' in page
    anomalies = page[page.index("Azure cost anomalies") : page.index("All anomalies")]
    budgets = page[page.index("Azure budgets this month") : page.index("Budgets</a>")]
    assert anomalies.count("<li>") == 5 and budgets.count("<li>") == 5
    alerts = [q["sql"] for q in queries.captured_queries if "alert" in q["sql"]]
    assert len(alerts) == 2 and all("LIMIT 5" in sql for sql in alerts)


@pytest.mark.django_db
def test_rows_and_counts_in_one_query(owner_a, reseller_a, django_assert_num_queries):
    """frame.rows_and_counts: the sliced rows in their order, with the counts beside them, in
    one query; no rows: the counts alone."""
    from django_scopes import scope

    from portal import frame
    from portal.models import Invitation, Notification

    def latest():
        return frame.rows_and_counts(
            Notification.objects.only("pk", "title", "created_at")[:5],
            "created_at DESC, id DESC",
            unread=Notification.objects.filter(read_at__isnull=True),
            invitations=Invitation.objects.all(),
        )

    with scope(reseller=reseller_a), django_assert_num_queries(1):
        assert latest() == ([], {"unread": 0, "invitations": 0})
    start = dt.datetime(2026, 6, 1, tzinfo=dt.UTC)
    made = [
        NotificationFactory(
            reseller=reseller_a, user=owner_a.user, created_at=start + dt.timedelta(hours=n)
        )
        for n in range(7)
    ]
    NotificationFactory(user=owner_a.user)  # another reseller's
    with scope(reseller=reseller_a), django_assert_num_queries(1):
        rows, numbers = latest()
    assert [n.title for n in rows] == [n.title for n in reversed(made)][:5]
    assert rows[0].created_at == made[-1].created_at
    assert numbers == {"unread": 7, "invitations": 0}


@pytest.mark.django_db
def test_the_account_menu_links_the_activity_log_for_owners_and_admins(
    reseller_a, member_of, client_for
):
    """The account menu's "Activity log" link shows to the roles that may see the log
    (audit.view), not to the others; it was never shown (the menu asked a permission the
    context processor did not give)."""
    link = f'<a href="{reverse("activity")}">Activity log</a>'
    for role in (Role.OWNER, Role.ADMIN):
        assert link in _page(client_for(member_of(reseller_a, role)))
    for role in (Role.SALES, Role.BILLING, Role.VIEWER):
        assert link not in _page(client_for(member_of(reseller_a, role)))
