"""Report figures kept between requests (billing/reports/cache.py): every change to a table the
reports read, whoever makes it, moves the data's state, so a kept figure is never shown after
the data it was computed from changed."""

import importlib
import re
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from django.db import connection
from django.db.models import Sum
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django_scopes import scopes_disabled

from billing.models import BillingCalendar, ReportDataChange
from billing.reports import cache
from billing.tasks import fold_report_changes
from billing.usage.models import UsageLine
from portal.roles import Role
from subscriptions.catalog.models import ProductType
from subscriptions.models import ChargeEvent, Subscription
from tests import factories
from tests.billing import report_data as d

migration = importlib.import_module("billing.migrations.0015_report_data_changes")


@pytest.fixture(autouse=True)
def keep_after_own_writes(settings):
    """A test's own transaction stands for committed data (one test turns it off)."""
    settings.REPORT_KEEP_AFTER_OWN_WRITES = True


def _everyone() -> int:
    return sum(cache.states()[1].values())


def test_the_module_and_the_migration_watch_the_same_tables():
    assert set(migration.TRACKED) == cache.TRACKED


def test_every_watched_table_has_its_four_triggers(db):
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT tgrelid::regclass::text, count(*) FROM pg_trigger "
            "WHERE tgname LIKE 'report_change_%%' GROUP BY 1"
        )
        found = dict(cursor.fetchall())
    assert found == dict.fromkeys(migration.TRACKED, 4)


def test_inserts_updates_deletes_and_raw_sql_each_move_the_state(reseller_a, reseller_b):
    sub = d.azure_sub(reseller_a)
    states = [_everyone()]

    def moved():
        states.append(_everyone())
        return states[-1] > states[-2]

    d.charge(sub)  # insert, through the ORM
    assert moved()
    with scopes_disabled():
        Subscription.objects.filter(pk=sub.pk).update(term="P1Y")  # update
    assert moved()
    with connection.cursor() as cursor:  # raw SQL, as the billing run's COPY writes
        cursor.execute("UPDATE customers_customer SET company_name = 'Renamed'")
    assert moved()
    with scopes_disabled():
        ChargeEvent.objects.filter(subscription=sub).delete()  # delete
    assert moved()
    BillingCalendar.objects.create(country="DE", period_start_day=5)  # no reseller: everyone's
    assert moved()
    with scopes_disabled():
        Subscription.objects.filter(pk=-1).update(term="P1Y")  # no row changed: no change
    assert not moved()
    # a table no report reads moves nothing
    with scopes_disabled():
        UsageLine.objects.filter(pk=-1).delete()
        factories.UsageImportFactory(reseller=reseller_b)
    assert not moved()


def test_a_note_names_the_changed_rows_resellers(reseller_a, reseller_b):
    ReportDataChange.objects.all().delete()
    factories.CustomerFactory(reseller=reseller_b)
    assert list(ReportDataChange.objects.values_list("reseller_id", "weight")) == [
        (reseller_b.pk, 1)
    ]


def test_folding_keeps_every_sum(reseller_a, reseller_b):
    for _ in range(3):
        factories.CustomerFactory(reseller=reseller_a)
        factories.CustomerFactory(reseller=reseller_b)
    before = cache.states()[1]
    of_a = ReportDataChange.objects.filter(reseller_id=reseller_a.pk).aggregate(s=Sum("weight"))
    removed = fold_report_changes()  # the job of every 10 minutes
    assert removed > 0 and cache.states()[1] == before
    assert ReportDataChange.objects.filter(reseller_id=reseller_a.pk).count() == 1
    assert (
        ReportDataChange.objects.filter(reseller_id=reseller_a.pk).aggregate(s=Sum("weight"))
        == of_a
    )


def test_a_price_rule_changed_in_a_past_period_still_moves_the_state(reseller_a):
    """What a report prices with is watched too: a rule edited in the admin."""
    book = factories.PriceBookFactory(reseller=reseller_a, customer=None, name="Default")
    rule = factories.PriceRuleFactory(
        book=book, kind="markup", percent=10, effective_from=date(2026, 1, 1)
    )
    before = cache.states()[1][reseller_a.pk]
    rule.percent = 12
    rule.save()
    assert cache.states()[1][reseller_a.pk] > before


# Operations' report of every reseller: one row per reseller, its sums kept under its state.

URL = "billing_ops:report_azure_plan"
PERIOD = {"period": d.PERIOD}


@pytest.fixture
def ops_client(client, settings, db):
    settings.STAFF_MFA_REQUIRED = False
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    settings.REPORT_KEEP_AFTER_OWN_WRITES = True  # the test's transaction stands for commits
    from django.core.cache import cache as django_cache

    django_cache.clear()
    client.force_login(factories.UserFactory(email="duty@distributor.test", is_staff=True))
    yield client
    django_cache.clear()


@pytest.fixture
def two(reseller_a, reseller_b):
    """Usage and a licence charge for each of two resellers."""
    out = {}
    for reseller, cost in ((reseller_a, "10.00"), (reseller_b, "3.00")):
        d.usage(d.azure_sub(reseller), cost=cost)
        out[reseller.pk] = d.seat_sub(reseller)
        # in June's period of both: a US calendar month, Beta's (Canadian) June 20 – July 19
        d.charge(out[reseller.pk], on=date(2026, 6, 25), cost="100.00", price="120.00")
    return out


def _azure_markup(reseller, percent: int) -> None:
    """A default price book for the reseller marking Azure plan usage up by `percent`."""
    book = factories.PriceBookFactory(reseller=reseller, customer=None, name="Default")
    factories.PriceRuleFactory(
        book=book,
        product_type=ProductType.objects.get(code="azure-plan"),
        kind="markup",
        percent=percent,
        effective_from=date(2026, 1, 1),
    )


def _rows(response, name="resellers"):
    section = next(s for s in response.context["sections"] if s.name == name)
    return {(r["reseller_name"], r["currency"]): (r["cost"], r["price"]) for r in section.rows}


def _usage_reads(captured) -> list[str]:
    return [q["sql"] for q in captured.captured_queries if "billing_usagesummary" in q["sql"]]


def test_every_reseller_is_one_row_with_the_totals_of_all(ops_client, two):
    page = ops_client.get(reverse(URL), PERIOD)
    assert _rows(page) == {
        ("Alpha Cloud", "USD"): (Decimal("10.00"), Decimal("10.00")),
        ("Beta Systems", "CAD"): (Decimal("3.00"), Decimal("3.00")),
    }
    assert _rows(page, "reseller_licences") == {
        ("Alpha Cloud", "USD"): (Decimal("100.00"), Decimal("120.00")),
        ("Beta Systems", "CAD"): (Decimal("100.00"), Decimal("120.00")),
    }
    usage = next(s for s in page.context["sections"] if s.name == "resellers")
    assert [(t.currency, t.cost, t.rows) for t in usage.totals] == [
        ("CAD", Decimal("3.00"), 1),
        ("USD", Decimal("10.00"), 1),
    ]
    html = page.content.decode()
    # each reseller opens its own report with the same period
    assert f'?period={d.PERIOD}&amp;reseller={two[next(iter(two))].reseller_id}"' in html


def test_a_second_visit_reads_no_usage_and_a_change_shows_at_once(ops_client, two, reseller_b):
    ops_client.get(reverse(URL), PERIOD)
    with CaptureQueriesContext(connection) as captured:
        again = ops_client.get(reverse(URL), PERIOD)
    assert _usage_reads(captured) == []  # kept
    assert _rows(again)[("Beta Systems", "CAD")] == (Decimal("3.00"), Decimal("3.00"))

    # a price book for B: B's row is priced with it on the very next visit, A's is still kept
    _azure_markup(reseller_b, 50)
    with CaptureQueriesContext(connection) as captured:
        after = ops_client.get(reverse(URL), PERIOD)
    assert _rows(after)[("Beta Systems", "CAD")] == (Decimal("3.00"), Decimal("4.50"))
    assert _rows(after)[("Alpha Cloud", "USD")] == (Decimal("10.00"), Decimal("10.00"))
    (summed,) = [q for q in _usage_reads(captured) if "SUM(" in q]
    assert f"IN ({reseller_b.pk})" in summed  # only the reseller that changed


def test_a_change_written_by_raw_sql_shows_at_once(ops_client, two):
    ops_client.get(reverse(URL), PERIOD)
    with connection.cursor() as cursor:
        cursor.execute("UPDATE subscriptions_chargeevent SET price_amount = 200")
    rows = _rows(ops_client.get(reverse(URL), PERIOD), "reseller_licences")
    assert {price for _, price in rows.values()} == {Decimal("200.00")}


def test_a_meter_category_filters_the_rows_totals_and_chart(ops_client, two, reseller_a):
    d.usage(d.azure_sub(reseller_a), category="Storage", meter="LRS", cost="5.00")
    page = ops_client.get(reverse(URL), {**PERIOD, "meter_category": "Storage"})
    assert _rows(page) == {("Alpha Cloud", "USD"): (Decimal("5.00"), Decimal("5.00"))}
    usage = next(s for s in page.context["sections"] if s.name == "resellers")
    assert usage.chart["labels"] == ["Storage"]
    assert "Storage" in dict(page.context["filter"].form.fields["meter_category"].choices)


def test_a_customer_search_lists_the_rows_of_every_reseller(ops_client, two):
    page = ops_client.get(reverse(URL), {**PERIOD, "customer_name": "o"})
    assert [s.name for s in page.context["sections"]] == ["usage", "licences"]


def test_the_reseller_rows_export(ops_client, two):
    response = ops_client.get(reverse(URL), {**PERIOD, "export": "csv", "table": "resellers"})
    assert response["Content-Type"].startswith("text/csv")
    lines = response.content.decode().splitlines()
    assert lines[0].split(",")[:3] == ["Reseller", "Currency", "Rows"]
    assert lines[1].startswith("Alpha Cloud,USD,1,10.00")


def test_the_kept_sums_read_only_watched_tables(two, reseller_a, reseller_b):
    """What is kept may only come from tables whose changes the triggers note."""
    from billing.periods import Period
    from billing.reports import rollup

    types = tuple(ProductType.objects.values_list("pk", flat=True))
    with scopes_disabled(), CaptureQueriesContext(connection) as captured:
        rollup._sums(
            [reseller_a.pk, reseller_b.pk],
            Period(date(2026, 6, 1), date(2026, 6, 30)),
            types,
            types,
        )
    read = {
        t for q in captured.captured_queries for t in re.findall(r'(?:FROM|JOIN) "(\w+)"', q["sql"])
    }
    assert read and read <= cache.TRACKED, read - cache.TRACKED


# One reseller's report (a member's, or operations' with one reseller chosen): its month's keys
# and price rules, the usage sums and the licence totals kept under that reseller's state.

PLAN = "billing:report_azure_plan"
# with a query parameter the reports do not know, the page is rendered again (not kept whole)
# from the figures kept: these tests look at the figures; the page kept whole is tested below
FIGURES = {**PERIOD, "from": "mail"}


@pytest.fixture
def kept_locally(settings):
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    settings.REPORT_KEEP_AFTER_OWN_WRITES = True  # the test's transaction stands for commits
    from django.core.cache import cache as django_cache

    django_cache.clear()
    yield
    django_cache.clear()


def _figures(response):
    out = {}
    for section in response.context["sections"]:
        out[section.name] = (
            [(t.currency, t.cost, t.price, t.rows) for t in section.totals],
            [
                (r.record["customer_name"], r.record["price"])
                for r in section.table.page.object_list
            ],
        )
    return out


def _sums_read(captured) -> list[str]:
    """The queries a kept report does not make: the month's keys, the rules, the sums, every
    usage row's id in the table's order."""
    return [
        q["sql"]
        for q in captured.captured_queries
        if (
            "SUM(" in q["sql"]
            or "DISTINCT" in q["sql"]
            or "subscriptions_pricerule" in q["sql"]
            or (
                "billing_usagesummary" in q["sql"]
                and " LIMIT " not in q["sql"]
                and " IN (SELECT" not in q["sql"]
                and '"billing_usagesummary"."id" IN (' not in q["sql"]
            )
        )
        and "billing_reportdatachange" not in q["sql"]
    ]


def test_a_resellers_report_read_again_keeps_its_sums_and_a_change_shows_at_once(
    kept_locally, owner_a, client_for, reseller_a, reseller_b, two
):
    client = client_for(owner_a)
    first = client.get(reverse(PLAN), FIGURES)
    # the second visit at this state keeps the rows' ids in the table's order too (the first
    # sorted the page's rows only: the data had just changed); the third reads none of them
    with CaptureQueriesContext(connection) as captured:
        second = client.get(reverse(PLAN), FIGURES)
    assert len(_sums_read(captured)) == 1
    with CaptureQueriesContext(connection) as captured:
        again = client.get(reverse(PLAN), FIGURES)
    assert _sums_read(captured) == []
    assert _figures(again) == _figures(second) == _figures(first)
    assert _figures(again)["usage"][0] == [("USD", Decimal("10.00"), Decimal("10.00"), 1)]

    # another reseller's change leaves A's figures kept
    d.usage(d.azure_sub(reseller_b), cost="7.00")
    with CaptureQueriesContext(connection) as captured:
        client.get(reverse(PLAN), FIGURES)
    assert _sums_read(captured) == []

    # A's own changes show on the very next visit: a price rule, usage, a licence charge
    _azure_markup(reseller_a, 50)
    assert _figures(client.get(reverse(PLAN), FIGURES))["usage"][0] == [
        ("USD", Decimal("10.00"), Decimal("15.00"), 1)
    ]
    d.usage(d.azure_sub(reseller_a), category="Storage", meter="LRS", cost="2.00")
    d.charge(two[reseller_a.pk], cost="1.00", price="2.00")
    after = client.get(reverse(PLAN), FIGURES)
    assert _figures(after)["usage"][0] == [("USD", Decimal("12.00"), Decimal("18.00"), 2)]
    assert _figures(after)["licences"][0] == [("USD", Decimal("101.00"), Decimal("122.00"), 2)]
    assert "Storage" in dict(after.context["filter"].form.fields["meter_category"].choices)


def test_each_filter_and_period_keeps_figures_of_its_own(
    kept_locally, owner_a, client_for, reseller_a, two
):
    other = factories.CustomerFactory(reseller=reseller_a, company_name="Zeta Kept")
    d.usage(d.azure_sub(reseller_a, customer=other), category="Storage", meter="LRS", cost="4.00")
    client = client_for(owner_a)
    for _ in range(2):  # computed, then kept: the same figures
        everything = _figures(client.get(reverse(PLAN), FIGURES))
        zeta = _figures(client.get(reverse(PLAN), {**FIGURES, "customer_name": "zeta"}))
        storage = _figures(client.get(reverse(PLAN), {**FIGURES, "meter_category": "Storage"}))
        may = _figures(client.get(reverse(PLAN), {**FIGURES, "period": "2026-05-01"}))
        assert everything["usage"][0] == [("USD", Decimal("14.00"), Decimal("14.00"), 2)]
        assert (
            zeta["usage"][0]
            == storage["usage"][0]
            == [("USD", Decimal("4.00"), Decimal("4.00"), 1)]
        )
        assert zeta["licences"][0] == []
        assert may["usage"][0] == []


def test_operations_report_of_one_reseller_keeps_its_sums(kept_locally, ops_client, two):
    reseller_id = next(iter(two))
    query = {**FIGURES, "reseller": reseller_id}
    first = ops_client.get(reverse(URL), query)
    ops_client.get(reverse(URL), query)  # keeps the rows' ids in order
    with CaptureQueriesContext(connection) as captured:
        again = ops_client.get(reverse(URL), query)
    assert _sums_read(captured) == []
    assert _figures(again) == _figures(first)


def test_a_resellers_kept_figures_read_only_watched_tables(kept_locally, owner_a, client_for, two):
    """What is kept may only come from tables whose changes the triggers note: the queries a
    first visit makes and a second (kept) does not."""
    client = client_for(owner_a)
    with CaptureQueriesContext(connection) as first:
        client.get(reverse(PLAN), {**FIGURES, "customer_name": "o"})
    with CaptureQueriesContext(connection) as second:
        client.get(reverse(PLAN), {**FIGURES, "customer_name": "o"})
    kept = {q["sql"] for q in first.captured_queries} - {q["sql"] for q in second.captured_queries}
    kept = {sql for sql in kept if "django_session" not in sql}  # its time differs
    read = {t for sql in kept for t in re.findall(r'(?:FROM|JOIN) "(\w+)"', sql)}
    # the month's keys, the rules, the usage sums, the licence totals, the usage rows' ids in
    # the table's order
    assert len(kept) == 5
    assert read and read <= cache.TRACKED, read - cache.TRACKED


SEATS = "billing:report_seats"


def test_a_resellers_seat_totals_are_kept_and_a_change_shows_at_once(
    kept_locally, owner_a, client_for, reseller_a, reseller_b, two
):
    """The seat report's totals (sums and number of rows) are kept; its rows are read each
    time; a charge of the reseller's, or a customer renamed out of the search, shows on the
    next visit."""
    client = client_for(owner_a)
    first = client.get(reverse(SEATS), FIGURES)
    with CaptureQueriesContext(connection) as captured:
        again = client.get(reverse(SEATS), FIGURES)
    assert [q for q in captured.captured_queries if "SUM(" in q["sql"]] != []  # the page's rows
    assert [q for q in captured.captured_queries if "GROUP BY currency" in q["sql"]] == []
    assert _figures(again) == _figures(first)
    assert _figures(again)["seats"][0] == [("USD", Decimal("100.00"), Decimal("120.00"), 1)]

    d.charge(two[reseller_b.pk], cost="1.00", price="2.00")  # another reseller's
    assert _figures(client.get(reverse(SEATS), FIGURES)) == _figures(first)

    sub = two[reseller_a.pk]
    d.charge(sub, kind="seat_increase", cost="5.00", price="6.00")
    d.charge(d.seat_sub(reseller_a, customer=sub.customer), cost="1.00", price="1.50")
    assert _figures(client.get(reverse(SEATS), FIGURES))["seats"][0] == [
        ("USD", Decimal("106.00"), Decimal("127.50"), 2)
    ]
    search = {**FIGURES, "customer_name": sub.customer.company_name[:6]}
    assert _figures(client.get(reverse(SEATS), search))["seats"][0][0][3] == 2
    with scopes_disabled():
        sub.customer.company_name = "Renamed Away"
        sub.customer.save()
    assert _figures(client.get(reverse(SEATS), search))["seats"][0] == []


def test_a_resellers_seat_rows_order_is_kept_and_a_new_seat_assignment_reorders_at_once(
    kept_locally, owner_a, client_for, reseller_a
):
    """A page of the seat report reads only its rows once every row's order is kept (per
    sort, from the second visit at a state of the data: the first visit after a change sorts
    its page alone); a seat assigned moves the state, so the order by assigned seats is read
    again."""
    subs = [d.seat_sub(reseller_a, quantity=10) for _ in range(3)]
    for n, sub in enumerate(subs):
        d.charge(sub)
        for _ in range(n):
            factories.SeatAssignmentFactory(subscription=sub)
    client = client_for(owner_a)
    query = {**FIGURES, "s-sort": "-assigned"}

    def order():
        section = next(s for s in client.get(reverse(SEATS), query).context["sections"])
        return [r.record["subscription_id"] for r in section.table.page.object_list]

    def ordering(captured):
        return [
            q for q in captured.captured_queries if "ORDER BY" in q["sql"] and " g." in q["sql"]
        ]

    for _ in range(2):  # the page sorted alone, then every row's order read and kept
        with CaptureQueriesContext(connection) as captured:
            assert order() == [subs[2].pk, subs[1].pk, subs[0].pk]
        assert len(ordering(captured)) == 1
    with CaptureQueriesContext(connection) as captured:
        assert order() == [subs[2].pk, subs[1].pk, subs[0].pk]
    assert ordering(captured) == []  # the kept order: only the page's rows are read
    for _ in range(3):
        factories.SeatAssignmentFactory(subscription=subs[0])
    assert order() == [subs[0].pk, subs[2].pk, subs[1].pk]


def test_a_first_visit_after_a_change_reads_the_seat_totals_with_its_page(
    kept_locally, owner_a, client_for, reseller_a, monkeypatch
):
    """After a change the seat report's totals and the page asked are read in one statement;
    a page past the last shows the last page, as without it."""
    from billing.reports import views as report_views

    monkeypatch.setattr(report_views, "PER_PAGE", 2)
    subs = [d.seat_sub(reseller_a) for _ in range(3)]
    for sub in subs:
        d.charge(sub, cost="10.00", price="12.00")
    client = client_for(owner_a)

    def visit(page):
        with CaptureQueriesContext(connection) as captured:
            response = client.get(reverse(SEATS), {**FIGURES, "s-page": page})
        section = next(s for s in response.context["sections"])
        rows = [r.record["subscription_id"] for r in section.table.page.object_list]
        sums = [q for q in captured.captured_queries if "GROUP BY currency" in q["sql"]]
        return _figures(response)["seats"][0], rows, sums

    totals, first, sums = visit(1)
    assert totals == [("USD", Decimal("30.00"), Decimal("36.00"), 3)]
    assert len(sums) == 1 and "LIMIT" in sums[0]["sql"]  # the page read with the totals
    d.charge(subs[0], cost="1.00", price="2.00")  # a change: nothing kept any more
    totals, last, sums = visit(9)  # past the last page
    assert totals == [("USD", Decimal("31.00"), Decimal("38.00"), 3)]
    assert len(first) == 2 and len(last) == 1 and last[0] not in first
    assert len(sums) == 1


# One reseller's page kept whole (its filters and body): the figures' keys plus every query
# parameter, who reads and where.

HTMX = {"HTTP_HX_REQUEST": "true"}  # a filter's swap: the report's body alone
# the tables a report page's rows and sums come from (the page around them reads the session,
# the member, its reseller, the calendars, the product types and the state)
DATA = (
    "billing_usagesummary",
    "subscriptions_chargeevent",
    "subscriptions_subscription",
    "customers_customer",
    "subscriptions_pricerule",
)


def _data_read(captured) -> list[str]:
    return [q["sql"] for q in captured.captured_queries if any(t in q["sql"] for t in DATA)]


def _totals(html: str, name: str) -> list[str]:
    """The customer prices in a section's totals, as the page writes them."""
    section = html.split(f'data-testid="section-{name}"', 1)[1].split("</section>", 1)[0]
    return re.findall(r'data-testid="total-price">([^<]*)<', section)


@pytest.mark.parametrize("name", [PLAN, SEATS])
def test_a_page_visited_again_reads_none_of_the_data_and_a_change_shows_at_once(
    name, kept_locally, owner_a, client_for, reseller_a, reseller_b, two
):
    client = client_for(owner_a)
    first = client.get(reverse(name), PERIOD, **HTMX).content.decode()
    with CaptureQueriesContext(connection) as captured:
        again = client.get(reverse(name), PERIOD)
    assert again.status_code == 200
    assert _data_read(captured) == []
    assert client.get(reverse(name), PERIOD, **HTMX).content.decode() == first

    d.usage(d.azure_sub(reseller_b), cost="7.00")  # another reseller's change: still kept
    d.charge(two[reseller_b.pk], cost="1.00", price="2.00")
    with CaptureQueriesContext(connection) as captured:
        client.get(reverse(name), PERIOD)
    assert _data_read(captured) == []

    d.usage(d.azure_sub(reseller_a), cost="5.00")  # the reseller's own: shown on the next visit
    d.charge(two[reseller_a.pk], cost="1.00", price="2.00")
    assert client.get(reverse(name), PERIOD, **HTMX).content.decode() != first


def test_a_kept_page_follows_prices_pages_and_sorts(
    kept_locally, owner_a, client_for, reseller_a, two
):
    client = client_for(owner_a)
    page = client.get(reverse(PLAN), PERIOD).content.decode()
    assert _totals(page, "usage") == ["10.00"]
    _azure_markup(reseller_a, 50)
    assert _totals(client.get(reverse(PLAN), PERIOD).content.decode(), "usage") == ["15.00"]

    for n in range(3):
        d.usage(d.azure_sub(reseller_a), meter=f"M{n}", cost=f"{n + 1}.00")
    by_cost = {**PERIOD, "u-sort": "-cost"}
    for _ in range(2):  # computed, then kept: each sort its own page
        assert (
            client.get(reverse(PLAN), by_cost).content.decode()
            != client.get(reverse(PLAN), {**PERIOD, "u-sort": "cost"}).content.decode()
        )


def test_a_kept_page_shows_money_only_to_those_who_may_see_it(
    kept_locally, owner_a, member_of, client_for, reseller_a, two
):
    """Cost and margin are kept on the owner's page, never shown from it to a viewer; the
    viewer's page is kept of its own."""
    owner = client_for(owner_a).get(reverse(PLAN), PERIOD).content.decode()
    assert 'data-testid="total-cost"' in owner
    viewer = client_for(member_of(reseller_a, Role.VIEWER))
    for _ in range(2):
        page = viewer.get(reverse(PLAN), PERIOD).content.decode()
        assert 'data-testid="total-cost"' not in page and 'data-testid="no-money"' in page


def test_operations_kept_page_of_one_reseller_lists_every_reseller_as_it_is(
    kept_locally, ops_client, owner_a, reseller_a, reseller_b, two
):
    """Operations' reseller choice is not the reseller's data: it is read on each visit, so a
    reseller renamed shows at once on another's kept page; the member's kept page is not
    operations' (no reseller choice, its own links)."""
    member = Client()
    member.force_login(owner_a.user)
    session = member.session
    session["active_reseller_id"] = reseller_a.pk
    session.save()
    query = {**PERIOD, "reseller": reseller_a.pk}
    ops_client.get(reverse(URL), query)
    member_page = member.get(reverse(PLAN), query).content.decode()
    with scopes_disabled():
        type(reseller_b).objects.filter(pk=reseller_b.pk).update(name="Beta Renamed")
    with CaptureQueriesContext(connection) as captured:
        page = ops_client.get(reverse(URL), query).content.decode()
    assert not [q for q in _data_read(captured) if "billing_usagesummary" in q]  # kept
    assert "Beta Renamed" in page and "Beta Renamed" not in member_page
    assert "Open a support ticket" in member_page and "Open a support ticket" not in page


@pytest.mark.parametrize(
    "query",
    [
        {"from": "mail"},  # a parameter the report does not know (its links repeat it)
        {"reseller": "7"},  # a member's report ignores it
        {"u-page": "100000"},  # a page past the first (django-tables2 shows the last)
        {"u-page": "07"},
        {"u-sort": "nonsense"},  # a sort by no column (django-tables2 drops it)
        {"customer": "abc"},  # invalid: the page says so
        {"meter_category": "No such category"},
        {"customer_name": "o"},  # a search: free text
        {"period": [d.PERIOD, d.PERIOD]},  # given twice
    ],
)
def test_a_page_whose_query_names_nothing_is_not_kept_whole(
    query, kept_locally, owner_a, client_for, two, pages_kept
):
    """Each such value would keep a page of its own in the cache: the page is rendered each
    time (from the figures kept)."""
    client = client_for(owner_a)
    for _ in range(2):
        assert client.get(reverse(PLAN), {**PERIOD, **query}).status_code == 200
    assert pages_kept == []


def test_a_page_of_the_filters_form_is_kept_whole(
    kept_locally, owner_a, client_for, two, pages_kept
):
    """The filters' form sends every field, empty ones too; a later page and a sort by a
    column of the table are kept as well."""
    client = client_for(owner_a)
    empty = dict.fromkeys(("customer_name", "product_type", "subscription", "meter_category"), "")
    for query in ({**PERIOD, **empty}, {**PERIOD, "u-page": "2", "u-sort": "-price"}):
        client.get(reverse(PLAN), query)
        with CaptureQueriesContext(connection) as captured:
            client.get(reverse(PLAN), query)
        assert _data_read(captured) == []
    assert len(pages_kept) == 2


@pytest.fixture
def pages_kept(monkeypatch):
    """The pages kept whole (their bodies), as they are put in the cache."""
    kept, set_many = [], cache.set_many

    def recording(values):
        kept.extend(v["body"] for v in values.values() if isinstance(v, dict) and "body" in v)
        set_many(values)

    monkeypatch.setattr(cache, "set_many", recording)
    return kept


@pytest.mark.parametrize("name", [PLAN, SEATS])
def test_a_kept_page_reads_only_watched_tables(kept_locally, owner_a, client_for, two, name):
    """A page kept whole may only come from tables whose changes the triggers note: the
    queries a first visit makes and a second (kept) does not."""
    client = client_for(owner_a)
    query = {**PERIOD, "customer_name": "o", "u-sort": "-price", "s-sort": "customer_name"}
    with CaptureQueriesContext(connection) as first:
        client.get(reverse(name), query)
    with CaptureQueriesContext(connection) as second:
        client.get(reverse(name), query)
    kept = {q["sql"] for q in first.captured_queries} - {q["sql"] for q in second.captured_queries}
    kept = {sql for sql in kept if "django_session" not in sql}  # its time differs
    read = {t for sql in kept for t in re.findall(r'(?:FROM|JOIN) "(\w+)"', sql)}
    assert read and read <= cache.TRACKED, read - cache.TRACKED


def test_the_daily_lines_are_read_each_visit_their_price_books_kept(
    kept_locally, owner_a, client_for, reseller_a
):
    """The daily lines are not watched: read on every visit (a new line shows at once); the
    price rules that price them are, and are read again once they change."""
    sub = d.azure_sub(reseller_a)
    line = d.usage(sub, cost="3.00")
    client = client_for(owner_a)
    query = {**PERIOD, "subscription": sub.pk, "meter": line.meter_id}

    def visit():
        with CaptureQueriesContext(connection) as captured:
            page = client.get(reverse("billing:report_daily"), query).content.decode()
        rules = [q for q in captured.captured_queries if "subscriptions_pricerule" in q["sql"]]
        return _totals(page, "daily"), bool(rules)

    assert visit() == (["3.00"], True)
    assert visit() == (["3.00"], False)
    with scopes_disabled():  # a line alone (its month's sums left as they are): not watched
        UsageLine.objects.create(
            **{
                f.attname: getattr(line, f.attname)
                for f in UsageLine._meta.concrete_fields
                if f.attname not in ("id", "usage_date", "natural_key")
            },
            usage_date=date(2026, 5, 2),
        )
    assert visit() == (["6.00"], False)
    _azure_markup(reseller_a, 50)
    assert visit() == (["9.00"], True)


# What may not be kept under: the review's cases.


def test_nothing_is_kept_in_a_transaction_that_has_written(settings, reseller_a):
    """Its own uncommitted changes count in the state it sees: a rollback would hand that
    state to other data. (A test's transaction has written its fixtures.)"""
    settings.REPORT_KEEP_AFTER_OWN_WRITES = False
    assert cache.states() is None and cache.reseller_state(reseller_a.pk) is None
    settings.REPORT_KEEP_AFTER_OWN_WRITES = True
    assert cache.states() is not None and cache.reseller_state(reseller_a.pk) is not None


def test_nothing_is_kept_once_a_watched_table_lost_its_triggers(settings, reseller_a):
    settings.REPORT_KEEP_AFTER_OWN_WRITES = True
    with connection.cursor() as cursor:  # as a migration rebuilding the table would
        cursor.execute("DROP TRIGGER report_change_update ON customers_customer")
    assert cache.states() is None and cache.reseller_state(reseller_a.pk) is None


def test_a_state_names_its_cluster_database_and_timeline(settings, reseller_a):
    """A database made anew, restored into another cluster or recovered to a point in time
    starts its states over while Redis keeps what was kept: the key tells them apart."""
    settings.REPORT_KEEP_AFTER_OWN_WRITES = True
    where, _ = cache.states()
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT (SELECT system_identifier FROM pg_control_system()),"
            " (SELECT oid FROM pg_database WHERE datname = current_database()),"
            " (SELECT timeline_id FROM pg_control_checkpoint())"
        )
        assert where == cursor.fetchone()
    assert cache.reseller_state(reseller_a.pk)[:3] == where


def test_the_code_hash_covers_what_shapes_a_kept_figure():
    from billing import periods
    from billing.reports import filters, rollup

    for module in (filters, rollup, periods):
        assert Path(module.__file__) in cache._SOURCES
    # a page kept whole: its templates, the labels, links and SQL helpers it reaches
    for path in ("templates/billing/reports/_body.html", "portal/models.py", "portal/frame.py"):
        assert cache._ROOT / path in cache._SOURCES
    assert not [p for p in cache._SOURCES if "migrations" in p.parts]


def test_a_report_answers_when_the_cache_cannot_be_reached(ops_client, settings, two):
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": "redis://127.0.0.1:1/0",  # nothing listens there
        }
    }
    page = ops_client.get(reverse(URL), PERIOD)
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    assert page.status_code == 200
    assert _rows(page)[("Alpha Cloud", "USD")] == (Decimal("10.00"), Decimal("10.00"))


def test_a_canadian_resellers_row_is_its_own_period_and_links_to_it(
    ops_client, client_for, reseller_b, member_of
):
    """Beta Systems is Canadian (periods from the 20th): operations' June row is its period
    starting in June (June 20 – July 19: May's usage, its own charges), as its own report of
    that period shows it, and the row opens that report."""
    sub = d.azure_sub(reseller_b)
    d.usage(sub, day=date(2026, 5, 25), cost="9.00")  # May: billed in June's periods
    d.usage(sub, day=date(2026, 4, 25), cost="4.00")  # April: a period earlier
    seats = d.seat_sub(reseller_b)
    d.charge(seats, on=date(2026, 6, 25), cost="100.00", price="120.00")  # June 20 – July 19
    d.charge(seats, on=date(2026, 6, 10), cost="7.00", price="8.00")  # the period before
    page = ops_client.get(reverse(URL), {"period": "2026-06-01"})
    assert _rows(page) == {("Beta Systems", "CAD"): (Decimal("9.00"), Decimal("9.00"))}
    assert _rows(page, "reseller_licences") == {
        ("Beta Systems", "CAD"): (Decimal("100.00"), Decimal("120.00"))
    }
    own_page = client_for(member_of(reseller_b, Role.OWNER)).get(
        reverse("billing:report_azure_plan"), {"period": "2026-06-20"}
    )
    own = {
        s.name: [(t.currency, t.cost, t.price) for t in s.totals]
        for s in own_page.context["sections"]
    }
    assert own == {
        "usage": [("CAD", Decimal("9.00"), Decimal("9.00"))],
        "licences": [("CAD", Decimal("100.00"), Decimal("120.00"))],
    }
    assert f"period=2026-06-20&amp;reseller={reseller_b.pk}" in page.content.decode()
