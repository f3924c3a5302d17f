import csv
import io
from collections import defaultdict
from datetime import date
from decimal import Decimal

import openpyxl
import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from billing.usage import summary
from portal.roles import Role
from subscriptions.catalog.models import ProductType
from tests import factories
from tests.billing import report_data as d

PERIOD = {"period": d.PERIOD}
URLS = ["billing:report_azure_plan", "billing:report_azure_legacy", "billing:report_seats"]


@pytest.fixture
def ops_client(client, settings, db):
    settings.STAFF_MFA_REQUIRED = False
    client.force_login(factories.UserFactory(email="duty@distributor.test", is_staff=True))
    return client


@pytest.fixture
def priced(reseller_a):
    """Reseller A (US): a USD and a CAD customer; default book +10 % on Azure plan, the CAD
    customer's own book −5 % on everything."""
    azure = ProductType.objects.get(code="azure-plan")
    default = factories.PriceBookFactory(reseller=reseller_a, customer=None, name="Default")
    factories.PriceRuleFactory(
        book=default, product_type=azure, kind="markup", percent=10, effective_from=date(2026, 1, 1)
    )
    usd = factories.CustomerFactory(reseller=reseller_a, company_name="Contoso US", currency="USD")
    cad = factories.CustomerFactory(
        reseller=reseller_a, company_name="Fabrikam CA", currency="CAD", country="CA"
    )
    book = factories.PriceBookFactory(reseller=reseller_a, customer=cad, name="Fabrikam")
    factories.PriceRuleFactory(
        book=book, kind="discount", percent=5, effective_from=date(2026, 1, 1)
    )
    sub_usd, sub_cad = d.azure_sub(reseller_a, customer=usd), d.azure_sub(reseller_a, customer=cad)
    d.usage(sub_usd, day=date(2026, 5, 1), cost="1.004")
    d.usage(sub_usd, day=date(2026, 5, 2), cost="1.004")
    for day in (3, 4, 5):
        d.usage(sub_usd, day=date(2026, 5, day), category="Storage", meter="LRS", cost="0.333333")
    d.usage(sub_cad, day=date(2026, 5, 31), cost="10.005")
    # not in the report: a marketplace charge, June usage (billed next period)
    d.usage(sub_usd, category="Marketplace", meter="SaaS app", cost="50", marketplace=True)
    d.usage(sub_usd, day=date(2026, 6, 1), cost="7")
    return {"usd": usd, "cad": cad, "sub_usd": sub_usd, "sub_cad": sub_cad}


@pytest.fixture
def seats(reseller_a, priced):
    """Two NCE subscriptions of the USD customer with June charges; one charge in July."""
    s1 = d.seat_sub(reseller_a, customer=priced["usd"], quantity=10)
    for _ in range(3):
        factories.SeatAssignmentFactory(subscription=s1)
    d.charge(s1, cost="100.00", price="120.00")
    d.charge(
        s1, kind="seat_increase", on=date(2026, 6, 10), cost="10.00", price="12.00", quantity=2
    )
    d.charge(
        s1, kind="seat_decrease", on=date(2026, 6, 11), cost="-5.00", price="-6.00", quantity=-1
    )
    s2 = d.seat_sub(reseller_a, customer=priced["usd"], quantity=4)
    d.charge(s2, cost="50.00", price="60.00")
    d.charge(s2, kind="cancel", on=date(2026, 6, 6), cost="-50.00", price="-60.00")
    d.charge(s2, on=date(2026, 7, 5), cost="999.00", price="999.00")
    return {"s1": s1, "s2": s2}


def _section(response, name):
    section = next(s for s in response.context["sections"] if s.name == name)
    section.rows = list(section.rows)  # licence rows are a values queryset
    return section


def _totals(section):
    return {t.currency: (t.cost, t.price, t.margin) for t in section.totals}


def _csv(response):
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    return list(csv.DictReader(io.StringIO(response.content.decode(), newline="")))


def _xlsx(response):
    book = openpyxl.load_workbook(io.BytesIO(response.content))
    rows = list(book.active.iter_rows(values_only=True))
    return [dict(zip(rows[0], r, strict=True)) for r in rows[1:]]


def test_usage_is_aggregated_per_meter_and_priced_with_the_customer_books(
    owner_a, client_for, priced
):
    response = client_for(owner_a).get(reverse("billing:report_azure_plan"), PERIOD)
    assert response.status_code == 200
    usage = _section(response, "usage")
    got = {
        (r["customer_name"], r["meter_name"]): (r["lines"], r["cost"], r["price"], r["margin"])
        for r in usage.rows
    }
    assert got == {
        ("Contoso US", "D2s v5"): (2, Decimal("2.01"), Decimal("2.21"), Decimal("0.20")),
        ("Contoso US", "LRS"): (3, Decimal("1.00"), Decimal("1.10"), Decimal("0.10")),
        ("Fabrikam CA", "D2s v5"): (1, Decimal("10.01"), Decimal("9.50"), Decimal("-0.51")),
    }
    assert _totals(usage) == {
        "CAD": (Decimal("10.01"), Decimal("9.50"), Decimal("-0.51")),
        "USD": (Decimal("3.01"), Decimal("3.31"), Decimal("0.30")),
    }
    page = response.content.decode()
    assert (
        "Azure Marketplace one-time charges are billed on a separate invoice and are not "
        "in this report." in page
    )
    assert "2026-06-01 – 2026-06-30" in page and "SaaS app" not in page


def test_drill_down_shows_the_daily_lines_of_one_meter(owner_a, client_for, priced):
    client = client_for(owner_a)
    page = client.get(reverse("billing:report_azure_plan"), PERIOD).content.decode()
    usage = client.get(reverse("billing:report_azure_plan"), PERIOD)
    row = next(r for r in _section(usage, "usage").rows if r["meter_name"] == "LRS")
    assert "drill-down" in page
    response = client.get(
        reverse("billing:report_daily"),
        {**PERIOD, "subscription": row["subscription_id"], "meter": row["meter_id"]},
    )
    daily = _section(response, "daily")
    assert [r["usage_date"] for r in daily.rows] == [
        date(2026, 5, 3),
        date(2026, 5, 4),
        date(2026, 5, 5),
    ]
    assert _totals(daily)["USD"][0] == Decimal("0.99")  # three rounded lines of 0.333333
    without = client.get(reverse("billing:report_daily"), PERIOD)
    assert "Open a meter from the Azure plan report" in without.content.decode()


def test_licence_lines_and_seat_report(owner_a, client_for, seats):
    client = client_for(owner_a)
    licences = _section(client.get(reverse("billing:report_azure_plan"), PERIOD), "licences")
    assert len(licences.rows) == 5
    assert {r["term"] for r in licences.rows} == {"P1Y"}
    assert _totals(licences) == {"USD": (Decimal("105.00"), Decimal("126.00"), Decimal("21.00"))}
    seat = _section(client.get(reverse("billing:report_seats"), PERIOD), "seats")
    by_sub = {r["subscription_id"]: r for r in seat.rows}
    s1 = by_sub[seats["s1"].pk]
    assert (s1["quantity"], s1["assigned"], s1["unused"]) == (10, 3, 7)
    assert (s1["cycle_price"], s1["proration_price"], s1["credit_price"]) == (
        Decimal("120.00"),
        Decimal("6.00"),
        Decimal("0"),
    )
    s2 = by_sub[seats["s2"].pk]
    assert (s2["credit_price"], s2["price"], s2["margin"]) == (
        Decimal("-60.00"),
        Decimal("0"),
        Decimal("0"),
    )
    assert _totals(seat) == {"USD": (Decimal("105.00"), Decimal("126.00"), Decimal("21.00"))}


def test_filters_narrow_the_rows(owner_a, client_for, priced, seats):
    client = client_for(owner_a)
    url = reverse("billing:report_azure_plan")
    by_customer = client.get(url, {**PERIOD, "customer": priced["cad"].pk})
    assert {r["customer_name"] for r in _section(by_customer, "usage").rows} == {"Fabrikam CA"}
    assert _section(by_customer, "licences").rows == []
    by_category = client.get(url, {**PERIOD, "meter_category": "Storage"})
    assert [r["meter_name"] for r in _section(by_category, "usage").rows] == ["LRS"]
    by_sub = client.get(url, {**PERIOD, "subscription": priced["sub_cad"].pk})
    assert len(_section(by_sub, "usage").rows) == 1
    nce = ProductType.objects.get(code="nce")
    by_type = client.get(url, {**PERIOD, "product_type": nce.pk})
    assert _section(by_type, "usage").rows == [] and len(_section(by_type, "licences").rows) == 5
    july = client.get(url, {"period": "2026-07-01"})
    assert [r["cost"] for r in _section(july, "licences").rows] == [Decimal("999.00")]
    assert [r["cost"] for r in _section(july, "usage").rows] == [Decimal("7.00")]


def test_bad_filter_values_are_named_and_show_no_rows(owner_a, client_for, priced):
    response = client_for(owner_a).get(
        reverse("billing:report_azure_plan"), {"period": "1999-01-01", "customer": "abc"}
    )
    assert response.status_code == 200
    assert response.context["sections"] == []
    errors = response.context["filter"].errors
    assert "period" in errors and "customer" in errors


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_export_rows_equal_the_filtered_rows_and_totals_equal_the_report(
    owner_a, client_for, priced, seats, fmt
):
    client = client_for(owner_a)
    url = reverse("billing:report_azure_plan")
    for table, params in (
        ("usage", {}),
        ("licences", {"customer": priced["usd"].pk}),
        ("usage", {"meter_category": "Virtual Machines"}),
    ):
        query = {**PERIOD, **params, "u-sort": "-cost"}
        section = _section(client.get(url, query), table)
        response = client.get(url, {**query, "export": fmt, "table": table})
        assert response["Content-Disposition"].startswith("attachment; filename=")
        rows = _csv(response) if fmt == "csv" else _xlsx(response)
        assert len(rows) == len(section.rows) > 0
        key = "Customer price"
        exported = sorted((r["Customer"], Decimal(str(r[key]))) for r in rows)
        assert exported == sorted((r["customer_name"], r["price"]) for r in section.rows)
        sums = defaultdict(lambda: [Decimal(0), Decimal(0), Decimal(0)])
        for r in rows:
            for i, col in enumerate(("Cost", key, "Margin")):
                sums[r["Currency"]][i] += Decimal(str(r[col]))
        assert {c: tuple(v) for c, v in sums.items()} == _totals(section)
    seat_url = reverse("billing:report_seats")
    section = _section(client.get(seat_url, PERIOD), "seats")
    rows = client.get(seat_url, {**PERIOD, "export": fmt, "table": "seats"})
    rows = _csv(rows) if fmt == "csv" else _xlsx(rows)
    assert [int(r["Assigned"]) for r in rows] == [r["assigned"] for r in section.rows]


def test_export_keeps_the_sort_of_the_page(owner_a, client_for, priced):
    client = client_for(owner_a)
    url = reverse("billing:report_azure_plan")
    rows = _csv(client.get(url, {**PERIOD, "u-sort": "-cost", "export": "csv", "table": "usage"}))
    assert [r["Cost"] for r in rows] == ["10.01", "2.01", "1.00"]


def test_export_neutralises_formulas(owner_a, client_for, reseller_a):
    customer = factories.CustomerFactory(reseller=reseller_a, company_name='=HYPERLINK("x")')
    sub = d.azure_sub(reseller_a, customer=customer)
    names = ["+1+1", "-2+3", "@SUM(A1)", "\tTab", "\rCR", "Plain"]
    for name in names:
        d.usage(sub, meter=name, cost="-1.50")
    client = client_for(owner_a)
    url = reverse("billing:report_azure_plan")
    csv_rows = _csv(client.get(url, {**PERIOD, "export": "csv", "table": "usage"}))
    xlsx_rows = _xlsx(client.get(url, {**PERIOD, "export": "xlsx", "table": "usage"}))
    for rows in (csv_rows, xlsx_rows):
        assert {r["Customer"] for r in rows} == {'\'=HYPERLINK("x")'}
        meters = sorted(r["Meter"] for r in rows)
        assert len(meters) == 6 and meters[-1] == "Plain"
        assert all(m.startswith("'") for m in meters[:-1])
    assert sorted(r["Meter"] for r in csv_rows) == sorted(["'" + n for n in names[:-1]] + ["Plain"])
    # amounts stay numbers: a credit is a negative number, not text with a quote
    assert {r["Cost"] for r in csv_rows} == {"-1.50"}
    assert all(
        isinstance(r["Cost"], (int, float, Decimal)) and r["Cost"] == -1.5 for r in xlsx_rows
    )


@pytest.mark.parametrize(
    "role,money",
    [
        (Role.OWNER, True),
        (Role.ADMIN, True),
        (Role.BILLING, True),
        (Role.SALES, False),
        (Role.VIEWER, False),
    ],
)
def test_roles_without_money_see_quantities_and_prices_only(
    reseller_a, member_of, client_for, priced, seats, role, money
):
    client = client_for(member_of(reseller_a, role))
    for name, table in (
        ("billing:report_azure_plan", "usage"),
        ("billing:report_azure_plan", "licences"),
        ("billing:report_seats", "seats"),
    ):
        response = client.get(reverse(name), PERIOD)
        section = _section(response, table)
        headers = [str(c.header) for c in section.table.columns]
        assert "Customer price" in headers and "Quantity" in headers
        assert ("Cost" in headers) is money and ("Margin" in headers) is money
        page = response.content.decode()
        assert ('data-testid="total-cost"' in page) is money
        assert ('data-testid="total-margin"' in page) is money
        exported = _csv(client.get(reverse(name), {**PERIOD, "export": "csv", "table": table}))
        assert set(exported[0]) == set(headers)
        assert not money or "Cost" in exported[0]
        assert money or not {"Cost", "Margin", "Unit cost"} & set(exported[0])


def _build_rows(reseller, n):
    customers = [factories.CustomerFactory(reseller=reseller) for _ in range(n)]
    imp = factories.UsageImportFactory(reseller=reseller)
    for c in customers:
        sub = d.azure_sub(reseller, customer=c)
        d.usage(sub, usage_import=imp)
        d.usage(d.azure_sub(reseller, customer=c, legacy=True), usage_import=imp)
        seat = d.seat_sub(reseller, customer=c)
        factories.SeatAssignmentFactory(subscription=seat)
        d.charge(seat)
        factories.PriceBookFactory(reseller=reseller, customer=c)


def _query_counts(client, cases):
    counts = []
    for url, params in cases:
        with CaptureQueriesContext(connection) as ctx:
            response = client.get(url, params)
        assert response.status_code == 200
        counts.append(len(ctx.captured_queries))
    return counts


def test_query_counts_do_not_grow_with_rows(
    owner_a, client_for, reseller_a, django_assert_max_num_queries
):
    client = client_for(owner_a)
    _build_rows(reseller_a, 5)
    sub = d.azure_sub(reseller_a)
    line = d.usage(sub)
    cases = [(reverse(n), PERIOD) for n in URLS + ["billing:reports"]] + [
        (
            reverse("billing:report_daily"),
            {**PERIOD, "subscription": sub.pk, "meter": line.meter_id},
        ),
        (reverse("billing:report_azure_plan"), {**PERIOD, "export": "xlsx", "table": "usage"}),
        (reverse("billing:report_seats"), {**PERIOD, "export": "csv", "table": "seats"}),
    ]
    few = _query_counts(client, cases)
    _build_rows(reseller_a, 45)
    for _ in range(45):
        d.usage(sub)
    assert _query_counts(client, cases) == few
    for (url, params), count in zip(cases, few, strict=True):
        with django_assert_max_num_queries(count):
            client.get(url, params)
    assert max(few) <= 25


def test_htmx_filtering_returns_the_report_body_only(owner_a, client_for, priced):
    client = client_for(owner_a)
    url = reverse("billing:report_azure_plan")
    full = client.get(url, PERIOD).content.decode()
    assert 'hx-get="/billing/reports/azure-plan/"' in full and 'hx-push-url="true"' in full
    assert 'hx-target="#report-body"' in full
    part = client.get(url, {**PERIOD, "customer": priced["cad"].pk}, HTTP_HX_REQUEST="true")
    body = part.content.decode()
    assert "<html" not in body and "Fabrikam CA" in body and "Contoso US" not in body


def test_a_filtered_address_restored_from_the_history_is_the_whole_page(
    owner_a, client_for, priced
):
    """Back to a filtered address htmx no longer holds in its history: htmx asks it again
    (HX-History-Restore-Request) and puts the answer in the whole body, so it is the page."""
    client = client_for(owner_a)
    url = reverse("billing:report_azure_plan")
    restored = client.get(
        url,
        {**PERIOD, "customer": priced["cad"].pk},
        HTTP_HX_REQUEST="true",
        HTTP_HX_HISTORY_RESTORE_REQUEST="true",
    ).content.decode()
    assert "<html" in restored and "Fabrikam CA" in restored and "Contoso US" not in restored


def test_filter_choices_and_rows_are_the_members_own(
    owner_a, owner_b, client_for, priced, seats, reseller_b
):
    d.usage(d.azure_sub(reseller_b), cost="3.00")
    client = client_for(owner_b)
    for name in URLS:
        response = client.get(reverse(name), PERIOD)
        page = response.content.decode()
        assert "Contoso US" not in page and "Fabrikam CA" not in page
        assert str(priced["sub_usd"].partner_center_id) not in page
    # asking for A's customer or subscription is an invalid choice, not a look at A's rows
    for params in ({"customer": priced["usd"].pk}, {"subscription": priced["sub_usd"].pk}):
        url = reverse("billing:report_azure_plan")
        response = client.get(url, {**PERIOD, **params})
        assert response.context["sections"] == []
        export = client.get(url, {**PERIOD, **params, "export": "csv", "table": "usage"})
        assert export.status_code == 404
    export = client.get(
        reverse("billing:report_azure_plan"),
        {"period": "2026-06-20", "export": "csv", "table": "usage"},
    )
    assert "Contoso" not in export.content.decode()
    daily = client.get(
        reverse("billing:report_daily"),
        {
            "period": "2026-06-20",
            "subscription": priced["sub_usd"].pk,
            "meter": d.usage(priced["sub_usd"]).meter_id,
        },
    )
    assert daily.context["sections"] == []


def test_periods_follow_the_resellers_country(owner_b, client_for):
    response = client_for(owner_b).get(reverse("billing:report_seats"))
    choices = [c[0] for c in response.context["filter"].form.fields["period"].choices]
    assert all(c.endswith("-20") for c in choices)


def test_legacy_report_is_usually_empty_and_says_so(owner_a, client_for, priced):
    page = client_for(owner_a).get(reverse("billing:report_azure_legacy"), PERIOD)
    assert _section(page, "usage").rows == []
    assert "usually empty" in page.content.decode()


def test_operations_price_every_resellers_rows_with_that_resellers_books(
    ops_client, client_for, owner_a, priced, reseller_b
):
    """Across resellers each reseller's usage is priced by its own books (A: +10 %, its CAD
    customer −5 %; B: a customer's own +20 % and no default book): operations' row of each
    reseller is what that reseller's own report totals."""
    azure = ProductType.objects.get(code="azure-plan")
    own = factories.CustomerFactory(reseller=reseller_b, company_name="Northwind B")
    book = factories.PriceBookFactory(reseller=reseller_b, customer=own, name="Northwind")
    factories.PriceRuleFactory(
        book=book, product_type=azure, kind="markup", percent=20, effective_from=date(2026, 1, 1)
    )
    d.usage(d.azure_sub(reseller_b, customer=own), cost="10.00")
    d.usage(d.azure_sub(reseller_b), cost="3.00")
    rows = _section(
        ops_client.get(reverse("billing_ops:report_azure_plan"), PERIOD), "resellers"
    ).rows
    prices = {(r["reseller_name"], r["currency"]): r["price"] for r in rows}
    assert prices[("Beta Systems", "USD")] == Decimal("12.00")  # Northwind's own book: +20 %
    assert prices[("Beta Systems", "CAD")] == Decimal("3.00")  # no book: at cost
    mine = _section(client_for(owner_a).get(reverse("billing:report_azure_plan"), PERIOD), "usage")
    assert {("Alpha Cloud", t.currency): t.price for t in mine.totals} == {
        k: v for k, v in prices.items() if k[0] == "Alpha Cloud"
    }
    assert prices[("Alpha Cloud", "CAD")] == Decimal("9.50")  # 10.005 − 5 %


def test_operations_see_every_reseller_and_filter_by_one(
    ops_client, priced, seats, reseller_a, reseller_b
):
    sub_b = d.azure_sub(reseller_b)
    d.usage(sub_b, cost="3.00")
    url = reverse("billing_ops:report_azure_plan")
    everyone = ops_client.get(url, PERIOD)
    assert {r["reseller_name"] for r in _section(everyone, "resellers").rows} == {
        "Alpha Cloud",
        "Beta Systems",
    }
    only_b = ops_client.get(url, {"period": "2026-06-20", "reseller": reseller_b.pk})
    rows = _section(only_b, "usage").rows
    assert [r["reseller_name"] for r in rows] == ["Beta Systems"]
    assert "Reseller" in [str(c.header) for c in _section(only_b, "usage").table.columns]
    exported = _csv(
        ops_client.get(
            url, {**PERIOD, "reseller": reseller_a.pk, "export": "csv", "table": "licences"}
        )
    )
    assert len(exported) == 5 and {r["Reseller"] for r in exported} == {"Alpha Cloud"}
    for name in (
        "billing_ops:reports",
        "billing_ops:report_seats",
        "billing_ops:report_azure_legacy",
        "billing_ops:report_daily",
    ):
        assert ops_client.get(reverse(name), PERIOD).status_code == 200


def test_operations_reports_are_staff_only(owner_a, client_for):
    client = client_for(owner_a)
    assert client.get(reverse("billing_ops:report_azure_plan")).status_code == 403


def test_an_import_keeps_the_monthly_summary_equal_to_its_daily_lines(
    reseller_a, member_of, client_for, django_capture_on_commit_callbacks
):
    """Reports read UsageSummary: after an import (and the same file again, and a
    marketplace line) it equals the daily lines summed per subscription and meter."""
    from django.db.models import Sum
    from django_scopes import scopes_disabled

    from billing.usage.models import UsageLine, UsageSummary
    from tests.billing.usage_helpers import rows_for, to_csv, upload

    subs = [factories.SubscriptionFactory(reseller=reseller_a) for _ in range(2)]
    rows = rows_for(subs, date(2026, 5, 30), 4)  # May 30 – June 2: two months
    rows[0] = {
        **rows[0],
        "ChargeType": "Purchase",
        "MeterCategory": "Marketplace",
        "BillingPreTaxTotal": "149.0000000000",
    }
    client = client_for(member_of(reseller_a, Role.BILLING))
    for _ in range(2):
        with django_capture_on_commit_callbacks(execute=True):
            client.post(reverse("billing:usage_imports"), {"file": upload(to_csv(rows))})
    with scopes_disabled():
        lines = (
            UsageLine.objects.filter(is_marketplace=False)
            .values("subscription_id", "meter_id")
            .annotate(cost=Sum("billing_pre_tax_total"))
            .order_by()
        )
        summed = {}
        for r in lines:
            key = (r["subscription_id"], r["meter_id"])
            summed[key] = r["cost"]
        summary = {}
        for s in UsageSummary.objects.all():
            key = (s.subscription_id, s.meter_id)
            summary[key] = summary.get(key, 0) + s.pre_tax_total
        assert UsageSummary.objects.filter(month=date(2026, 6, 1)).exists()
        assert (
            sum(s.lines for s in UsageSummary.objects.all())
            == UsageLine.objects.filter(is_marketplace=False).count()
            == 39
        )
    assert summary == summed
    report = client.get(reverse("billing:report_azure_plan"), PERIOD)
    may_cost = sum(r["cost_raw"] for r in _section(report, "usage").rows)
    with scopes_disabled():
        assert (
            may_cost
            == UsageLine.objects.filter(is_marketplace=False, usage_date__month=5).aggregate(
                c=Sum("billing_pre_tax_total")
            )["c"]
        )


@pytest.mark.parametrize("role", [Role.OWNER, Role.VIEWER])
def test_billing_home_links_to_the_reports(reseller_a, member_of, client_for, role):
    page = client_for(member_of(reseller_a, role)).get(reverse("billing:home")).content.decode()
    for name in (
        "billing:report_azure_plan",
        "billing:report_seats",
        "billing:report_azure_legacy",
        "billing:reports",
    ):
        assert f'href="{reverse(name)}"' in page


def test_pages_of_a_long_report_cover_every_row_once(owner_a, client_for, reseller_a):
    sub = d.azure_sub(reseller_a)
    for i in range(60):
        d.usage(sub, meter=f"Meter {i:02d}", cost="1.00")
    client = client_for(owner_a)
    url = reverse("billing:report_azure_plan")
    first = _section(client.get(url, {**PERIOD, "u-sort": "meter_name"}), "usage")
    second = client.get(url, {**PERIOD, "u-sort": "meter_name", "u-page": 2})
    page1 = [r.record["meter_name"] for r in first.table.page.object_list]
    page2 = [r.record["meter_name"] for r in _section(second, "usage").table.page.object_list]
    assert len(page1) == 50 and len(page2) == 10
    assert page1 + page2 == [f"Meter {i:02d}" for i in range(60)]
    assert "Page 2 of 2" in second.content.decode()


@pytest.mark.parametrize("sort", ["-margin", "cost", "customer_name", "-partner_center_id"])
def test_pages_sorted_by_a_column_of_equal_values_cover_every_row_once_in_the_export_order(
    owner_a, client_for, reseller_a, sort
):
    """Every row has the same cost, customer and subscription: the order of the sorted column
    alone leaves the rows' order open, so a page and the next could repeat or skip rows; the
    row's id decides between equals, in the pages and the export alike."""
    sub = d.azure_sub(reseller_a)
    imp = factories.UsageImportFactory(reseller=reseller_a)
    for i in range(120):
        d.usage(sub, meter=f"Meter {i:03d}", cost="1.00", usage_import=imp, refresh=False)
    summary.refresh({(reseller_a.pk, d.MAY)})
    client = client_for(owner_a)
    url = reverse("billing:report_azure_plan")
    params = {**PERIOD, "u-sort": sort}
    # PostgreSQL sorts a first page (the 50 first of 120) otherwise than the last one
    pages = [
        [r.record["meter_name"] for r in _section(response, "usage").table.page.object_list]
        for response in (client.get(url, {**params, "u-page": n}) for n in (1, 2, 3))
    ]
    assert [len(page) for page in pages] == [50, 50, 20]
    assert sorted(sum(pages, [])) == [f"Meter {i:03d}" for i in range(120)]
    exported = _export_rows(client, url, params, "usage", "csv")
    assert [r["Meter"] for r in exported] == sum(pages, [])


def test_a_page_sorted_by_money_sorts_the_summaries_alone_and_reads_its_own_rows(
    owner_a, client_for, reseller_a, monkeypatch
):
    """The sort by margin over every row of the period reads the summaries (and the customers
    the page may show) without the subscriptions or resellers its rows name (one offer, term
    and currency: the price needs no subscription); the page's columns are read for its own
    rows only."""
    book = factories.PriceBookFactory(reseller=reseller_a, customer=None, name="Default")
    factories.PriceRuleFactory(
        book=book, kind="markup", percent=10, effective_from=date(2026, 1, 1)
    )
    sub = d.azure_sub(reseller_a)
    for cost in ("3.00", "1.00", "2.00"):
        d.usage(sub, meter=f"Meter {cost}", cost=cost)
    # nothing kept between visits (billing/reports/cache.py): the sort in a subquery
    monkeypatch.setattr("billing.reports.cache.keeps", lambda: False)
    client = client_for(owner_a)
    with CaptureQueriesContext(connection) as captured:
        response = client.get(reverse("billing:report_azure_plan"), {**PERIOD, "u-sort": "-margin"})
    (page,) = [
        q["sql"]
        for q in captured.captured_queries
        if 'FROM "billing_usagesummary"' in q["sql"] and " LIMIT " in q["sql"]
    ]
    outer, _, keys = page.partition("IN (SELECT")
    assert " LIMIT " not in outer and " LIMIT " in keys
    assert "subscriptions_subscription" not in keys and "portal_reseller" not in keys
    rows = [r.record for r in _section(response, "usage").table.page.object_list]
    assert [r["meter_name"] for r in rows] == ["Meter 3.00", "Meter 2.00", "Meter 1.00"]


def _export_rows(client, url, params, table, fmt):
    response = client.get(url, {**params, "export": fmt, "table": table})
    assert response.status_code == 200
    return _csv(response) if fmt == "csv" else _xlsx(response)


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_customer_name_search_filters_the_rows_and_their_exports_exactly(
    owner_a, client_for, reseller_a, priced, seats, fmt
):
    # a third customer whose name also contains "contoso": one search finds both
    other = factories.CustomerFactory(reseller=reseller_a, company_name="Old Contoso Branch")
    d.usage(d.azure_sub(reseller_a, customer=other), cost="4.00")
    client = client_for(owner_a)
    url = reverse("billing:report_azure_plan")
    page = client.get(url, PERIOD).content.decode()
    assert 'name="customer_name"' in page and "All customers</option>" not in page
    everything = client.get(url, PERIOD)
    for search, names in (
        ("CONTOSO", {"Contoso US", "Old Contoso Branch"}),
        ("fabrikam", {"Fabrikam CA"}),
        ("  us  ", {"Contoso US"}),
        ("", {"Contoso US", "Fabrikam CA", "Old Contoso Branch"}),
    ):
        params = {**PERIOD, "customer_name": search}
        response = client.get(url, params)
        for table in ("usage", "licences"):
            section = _section(response, table)
            expected = [r for r in _section(everything, table).rows if r["customer_name"] in names]
            assert sorted(map(repr, section.rows)) == sorted(map(repr, expected))
            assert sum(t.rows for t in section.totals) == len(expected)
            exported = _export_rows(client, url, params, table, fmt)
            assert sorted(r["Customer"] for r in exported) == sorted(
                r["customer_name"] for r in expected
            )
            assert sum(Decimal(str(r["Customer price"])) for r in exported) == sum(
                t.price for t in section.totals
            )
    nobody = {**PERIOD, "customer_name": "no such customer"}
    empty = client.get(url, nobody)
    assert _section(empty, "usage").rows == []
    assert "No rows match these filters." in empty.content.decode()
    assert _export_rows(client, url, nobody, "usage", fmt) == []


def test_customer_name_search_offers_the_found_customers_subscriptions(owner_a, client_for, priced):
    client = client_for(owner_a)
    url = reverse("billing:report_azure_plan")
    choices = dict(
        client.get(url, {**PERIOD, "customer_name": "fabrikam"})
        .context["filter"]
        .form.fields["subscription"]
        .widget.choices
    )
    assert set(choices) == {"", priced["sub_cad"].pk}
    by_sub = client.get(
        url, {**PERIOD, "customer_name": "fabrikam", "subscription": priced["sub_cad"].pk}
    )
    assert [r["customer_name"] for r in _section(by_sub, "usage").rows] == ["Fabrikam CA"]


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_another_resellers_customer_name_finds_nothing(
    owner_a, owner_b, client_for, reseller_b, priced, seats, fmt
):
    own = factories.CustomerFactory(
        reseller=reseller_b, company_name="Contoso Beta", currency="CAD", country="CA"
    )
    d.usage(d.azure_sub(reseller_b, customer=own), cost="3.00")
    client = client_for(owner_b)
    url = reverse("billing:report_azure_plan")
    period = {"period": "2026-06-20"}  # B is Canadian: its period of May's usage
    for search in ("Fabrikam", "Contoso US", "contoso"):
        params = {**period, "customer_name": search}
        response = client.get(url, params)
        # the report body (the page's form shows the text searched for, nothing else of A)
        body = client.get(url, params, HTTP_HX_REQUEST="true").content.decode()
        assert "Contoso US" not in body and "Fabrikam CA" not in body
        page = response.content.decode()
        assert "Fabrikam CA" not in page
        assert str(priced["sub_usd"].partner_center_id) not in page
        exported = [
            r["Customer"]
            for table in ("usage", "licences")
            for r in _export_rows(client, url, params, table, fmt)
        ]
        assert set(exported) <= {"Contoso Beta"}
        assert ("Contoso Beta" in exported) is (search == "contoso")
        assert {r["customer_name"] for r in _section(response, "usage").rows} == (
            {"Contoso Beta"} if search == "contoso" else set()
        )


def test_customer_name_search_costs_no_query_per_customer(
    owner_a, client_for, reseller_a, settings
):
    # every visit reads its figures (none kept between requests): the counts compare alike
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.dummy.DummyCache"}}
    client = client_for(owner_a)
    url = reverse("billing:report_azure_plan")
    cases = [
        (url, {**PERIOD, "customer_name": "e"}),
        (url, {**PERIOD, "customer_name": "e", "export": "csv", "table": "usage"}),
        (reverse("billing:report_seats"), {**PERIOD, "customer_name": "e"}),
    ]
    _build_rows(reseller_a, 3)
    few = _query_counts(client, cases)
    _build_rows(reseller_a, 30)
    assert _query_counts(client, cases) == few
    # the search itself is part of the rows' queries: one more only for the subscription
    # choices it offers
    plain = _query_counts(client, [(url, PERIOD)])[0]
    assert few[0] == plain + 1


def test_operations_search_customer_names_within_the_chosen_reseller(
    ops_client, priced, reseller_a, reseller_b
):
    contoso_b = factories.CustomerFactory(reseller=reseller_b, company_name="Contoso Beta")
    d.usage(d.azure_sub(reseller_b, customer=contoso_b), cost="3.00")
    url = reverse("billing_ops:report_azure_plan")
    everyone = ops_client.get(url, {**PERIOD, "customer_name": "contoso"})
    assert {r["customer_name"] for r in _section(everyone, "usage").rows} == {
        "Contoso US",
        "Contoso Beta",
    }
    only_b = ops_client.get(
        url, {"period": "2026-06-20", "reseller": reseller_b.pk, "customer_name": "contoso"}
    )
    assert {r["customer_name"] for r in _section(only_b, "usage").rows} == {"Contoso Beta"}


def _chart_sums(chart, key):
    """{(currency, category): amount} of a section's chart."""
    return {
        (s["currency"], label): Decimal(str(v))
        for s in chart["series"]
        if s["key"] == key
        for label, v in zip(chart["labels"], s["values"], strict=True)
        if v
    }


@pytest.mark.parametrize(
    "params",
    [
        {},
        {"meter_category": "Storage"},
        {"customer_name": "fabrikam"},
        {"customer_name": "contoso"},
    ],
)
def test_usage_chart_is_drawn_from_the_filtered_rows(owner_a, client_for, priced, params):
    response = client_for(owner_a).get(reverse("billing:report_azure_plan"), {**PERIOD, **params})
    usage = _section(response, "usage")
    for key in ("cost", "price"):
        expected = defaultdict(Decimal)
        for r in usage.rows:
            expected[r["currency"], r["meter_category"]] += r[key]
        assert _chart_sums(usage.chart, key) == {k: v for k, v in expected.items() if v}
        by_currency = defaultdict(Decimal)
        for (currency, _), amount in _chart_sums(usage.chart, key).items():
            by_currency[currency] += amount
        assert dict(by_currency) == {t.currency: getattr(t, key) for t in usage.totals}
    page = response.content.decode()
    assert 'data-testid="chart-usage"' in page and 'id="usage-chart-data"' in page
    assert "js/report_chart.js" in page


def test_usage_chart_shows_no_cost_to_roles_without_money_and_is_absent_without_rows(
    reseller_a, member_of, client_for, priced
):
    client = client_for(member_of(reseller_a, Role.VIEWER))
    url = reverse("billing:report_azure_plan")
    chart = _section(client.get(url, PERIOD), "usage").chart
    assert {s["key"] for s in chart["series"]} == {"price"}
    assert "Cost" not in str(chart)
    empty = client.get(url, {**PERIOD, "customer_name": "nobody"})
    assert _section(empty, "usage").chart is None
    assert 'data-testid="chart-usage"' not in empty.content.decode()


def test_usage_of_one_currency_and_offer_is_priced_with_each_customers_book(
    owner_a, client_for, reseller_a
):
    """One price combination (the usual case): the customers' own books still apply."""
    azure = ProductType.objects.get(code="azure-plan")
    default = factories.PriceBookFactory(reseller=reseller_a, customer=None, name="Default")
    factories.PriceRuleFactory(
        book=default, product_type=azure, kind="markup", percent=10, effective_from=date(2026, 1, 1)
    )
    plain, own = (
        factories.CustomerFactory(reseller=reseller_a, company_name=n, currency="USD")
        for n in ("Plain Co", "Own Book Co")
    )
    book = factories.PriceBookFactory(reseller=reseller_a, customer=own, name="Own")
    factories.PriceRuleFactory(
        book=book,
        kind="fixed",
        offer=d.azure_sub(reseller_a).offer,
        term="P1M",
        fixed_price=Decimal("7"),
        currency="USD",
        effective_from=date(2026, 1, 1),
    )
    for customer in (plain, own):
        d.usage(d.azure_sub(reseller_a, customer=customer), cost="2.00")
    usage = _section(client_for(owner_a).get(reverse("billing:report_azure_plan"), PERIOD), "usage")
    assert {r["customer_name"]: r["price"] for r in usage.rows} == {
        "Plain Co": Decimal("2.20"),
        "Own Book Co": Decimal("7.00"),
    }
    assert _totals(usage) == {"USD": (Decimal("4.00"), Decimal("9.20"), Decimal("5.20"))}


def test_of_two_equal_rules_the_report_prices_with_the_older_as_billing_does(
    owner_a, client_for, reseller_a
):
    """Two default-book rules of one level from one day: the billing run takes the older (the
    lower id); so does the report, whatever order the database returns them in."""
    from billing.selectors import _price_books
    from subscriptions.catalog.pricing import resolve_price

    azure = ProductType.objects.get(code="azure-plan")
    default = factories.PriceBookFactory(reseller=reseller_a, customer=None, name="Default")
    older, newer = (
        factories.PriceRuleFactory(
            book=default,
            product_type=azure,
            kind="markup",
            percent=percent,
            effective_from=date(2026, 1, 1),
        )
        for percent in (10, 30)
    )
    assert older.pk < newer.pk
    # the table's physical order puts the newer rule first (updated rows move to the end)
    older.save()
    d.usage(d.azure_sub(reseller_a), cost="2.00")
    usage = _section(client_for(owner_a).get(reverse("billing:report_azure_plan"), PERIOD), "usage")
    [row] = usage.rows
    assert row["price"] == Decimal("2.20")  # the older rule's 10 %
    from django_scopes import scopes_disabled

    with scopes_disabled():
        default_rules, _ = _price_books([reseller_a.pk])[reseller_a.pk]
    billed = resolve_price(
        cost=Decimal("2.00"),
        customer_rules=[],
        default_rules=list(default_rules),
        currency="USD",
        offer_id=None,
        product_type_id=azure.pk,
        term="",
        on=date(2026, 6, 1),
    )
    assert billed.price == row["price"]


@pytest.fixture
def seat_mix(reseller_a):
    """Seat subscriptions whose names sort differently by code point and by a locale (upper
    before lower case), with ties on names, quantities and amounts, and one not yet
    provisioned (no Partner Center ID) beside one that is, of the same customer and offer."""
    rows = [
        ("beta co", "Teams", "pc-3", 5, 0, "30.00"),
        ("Alpha", "Teams", "pc-2", 5, 2, "30.00"),
        ("alpha", "365 E3", "pc-1", 8, 8, "-12.50"),
        ("Alpha", "Teams", None, 3, 1, "30.00"),
        ("Zulu", "365 E3", "pc-0", 1, 0, "7.25"),
        ("beta co", "365 E3", "pc-4", 5, 6, "0.00"),
    ]
    customers, offers, subs = {}, {}, []
    for name, offer, pcid, quantity, assigned, price in rows:
        customer = customers.get(name) or factories.CustomerFactory(
            reseller=reseller_a, company_name=name
        )
        customers[name] = customer
        offers[offer] = offers.get(offer) or factories.OfferFactory(
            name=offer, product_type=ProductType.objects.get(code="nce")
        )
        sub = factories.SeatSubscriptionFactory(
            reseller=reseller_a,
            customer=customer,
            offer=offers[offer],
            partner_center_id=pcid,
            quantity=quantity,
        )
        for _ in range(assigned):
            factories.SeatAssignmentFactory(subscription=sub)
        d.charge(sub, cost="10.00", price=price)
        subs.append(sub)
    return subs


def _python_order(rows, key, descending):
    """The order django-tables2 gives a list of dict rows: a stable sort of the report's
    rows (by customer, product, subscription) on the column, None before any value."""
    return sorted(rows, key=lambda r: (r[key] is not None, r[key]), reverse=descending)


def test_seat_report_pages_and_sorts_every_column_by_code_point_order(
    owner_a, client_for, seat_mix, monkeypatch
):
    from billing.reports import views as report_views

    monkeypatch.setattr(report_views, "PER_PAGE", 4)
    client = client_for(owner_a)
    url = reverse("billing:report_seats")
    section = _section(client.get(url, PERIOD), "seats")
    default = [r["subscription_id"] for r in section.rows]
    by_id = {s.pk: s for s in seat_mix}
    # by customer name (code points: upper case first), product, then Partner Center ID
    assert [(by_id[i].customer.company_name, by_id[i].partner_center_id) for i in default] == [
        ("Alpha", None),
        ("Alpha", "pc-2"),
        ("Zulu", "pc-0"),
        ("alpha", "pc-1"),
        ("beta co", "pc-4"),
        ("beta co", "pc-3"),
    ]
    assert [(t.currency, t.rows, t.cost, t.price) for t in section.totals] == [
        ("USD", 6, Decimal("60.00"), Decimal("84.75"))
    ]
    columns = [c.name for c in section.table.columns if c.orderable]
    assert len(columns) == 17
    for name in columns:
        key = section.table.columns[name].accessor
        for sort in (name, f"-{name}"):
            expected = [
                r["subscription_id"] for r in _python_order(section.rows, key, sort.startswith("-"))
            ]
            pages = []
            for number in (1, 2):
                response = client.get(url, {**PERIOD, "s-sort": sort, "s-page": number})
                table = _section(response, "seats").table
                pages += [row.record["subscription_id"] for row in table.page.object_list]
            assert pages == expected, sort
            exported = _export_rows(client, url, {**PERIOD, "s-sort": sort}, "seats", "csv")
            assert [r["Assigned"] for r in exported] == [
                str(next(r for r in section.rows if r["subscription_id"] == i)["assigned"])
                for i in expected
            ], sort


@pytest.mark.parametrize("name", ["azure_plan", "seats", "daily"])
def test_a_reports_periods_follow_the_admin_calendar_only_where_it_applies(
    name, client_for, member_of, owner_a
):
    """A GB reseller's report offers the periods of the admin's calendar (from the 15th); a US
    reseller's are fixed, and its report does not read the calendar."""
    from billing.models import BillingCalendar

    BillingCalendar.objects.create(country="GB", period_start_day=15, note="UK cut-off")
    gb = member_of(factories.ResellerFactory(country="GB", currency="GBP"), Role.OWNER)
    url = reverse(f"billing:report_{name}")
    assert "2026-05-15 – 2026-06-14" in client_for(gb).get(url).content.decode()
    with CaptureQueriesContext(connection) as captured:
        page = client_for(owner_a).get(url).content.decode()
    assert "2026-06-01 – 2026-06-30" in page
    assert not [q for q in captured.captured_queries if "billing_billingcalendar" in q["sql"]]
