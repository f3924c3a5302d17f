"""Issue 21 item 8: report cells as people read them (Babel, portal/numbers.py): amounts
grouped with the currency's decimals, unit prices with two to four, quantities without
trailing zeros; the Partner Center ID shortened with a copy button that needs no inline
script; the product type's short name (its full name on hover), so the tables fit 1366 px."""

from datetime import date
from decimal import Decimal as D

from django.test import RequestFactory
from django_tables2 import RequestConfig

from billing.reports.tables import LicenceTable, UsageTable

GUID = "4c1a0d2e-5b7f-4e21-9a3c-0d8e6f1b2a34"
ROW = {
    "charge_date": date(2026, 11, 1),
    "customer_name": "Contoso <Ltd>",
    "offer_name": "Microsoft 365 E3",
    "partner_center_id": GUID,
    "product_type": "New Commerce licence-based (Microsoft 365, Dynamics 365, Windows 365)",
    "kind": "cycle",
    "quantity": D("1250.000000"),
    "term": "P1Y",
    "billing_frequency": "monthly",
    "cycle_start": date(2026, 11, 1),
    "cycle_end": date(2026, 11, 30),
    "billing_days": 30,
    "cycle_days": 30,
    "unit_cost": D("33.120000"),
    "unit_price": D("36.432500"),
    "currency": "USD",
    "cost": D("41400.004"),
    "price": D("45540.625"),
    "margin": D("4140.62"),
}


def _body(table_class, rows, **kwargs):
    table = table_class(rows, show_money=True, **kwargs)
    table.request = RequestFactory().get("/")
    table.paginate(per_page=25)
    return str(table.body_html())


def test_amounts_unit_prices_and_quantities_are_formatted():
    body = _body(LicenceTable, [ROW])
    assert '<td class="num">41,400.00</td>' in body
    assert '<td class="num">45,540.63</td>' in body  # ROUND_HALF_UP to the cent
    assert '<td class="num">36.4325</td>' in body and '<td class="num">33.12</td>' in body
    assert '<td class="num">1,250</td>' in body
    assert "Contoso &lt;Ltd&gt;" in body


def test_partner_center_id_is_shortened_with_a_copy_button():
    body = _body(LicenceTable, [ROW])
    assert f'<code title="{GUID}">4c1a0d2e…</code>' in body
    assert f'data-copy="{GUID}"' in body and "onclick" not in body
    assert "<script" not in body


def test_product_type_is_abbreviated_with_its_full_name_on_hover():
    body = _body(LicenceTable, [ROW])
    assert (
        f'<abbr class="type" title="{ROW["product_type"]}">New Commerce licence-based</abbr>'
        in (body)
    )


def test_usage_quantities_keep_their_decimals_without_trailing_zeros():
    row = {
        "customer_name": "Contoso",
        "partner_center_id": GUID,
        "meter_category": "Storage",
        "meter_name": "LRS Data Stored",
        "unit_of_measure": "1 GB/Month",
        "quantity": D("1234.567800"),
        "lines": 30,
        "currency": "CAD",
        "cost": D("1000"),
        "price": D("1200.5"),
        "margin": D("200.5"),
        "subscription_id": 1,
        "meter_id": "m",
    }
    body = _body(UsageTable, [row])
    assert '<td class="num">1,234.5678</td>' in body
    assert '<td class="num">1,200.50</td>' in body and '<td class="num">1,000.00</td>' in body


def test_a_meter_links_to_its_daily_lines_with_the_page_filters():
    row = {
        "subscription_id": 7,
        "customer_id": 3,
        "meter_id": "a b&c/é",
        "meter_name": "LRS <Data>",
        "partner_center_id": GUID,
        "quantity": D("1"),
        "currency": "USD",
    }
    query = {"period": "2026-06-01", "meter_category": "Storage & more", "customer": "3"}
    body = _body(UsageTable, [row], daily_url="/daily/", query=query)
    assert (
        '<a href="/daily/?period=2026-06-01&amp;meter_category=Storage+%26+more&amp;'
        'subscription=7&amp;meter=a+b%26c%2F%C3%A9&amp;customer=3" data-testid="drill-down">'
        "LRS &lt;Data&gt;</a>"
    ) in body
    alone = _body(UsageTable, [row], daily_url="/daily/", query={})
    assert 'href="/daily/?subscription=7&amp;meter=a+b%26c%2F%C3%A9"' in alone


def test_sort_links_keep_the_page_query():
    table = LicenceTable([ROW], show_money=True, prefix="l-")
    RequestConfig(RequestFactory().get("/", {"period": "2026-06-01", "l-sort": "cost"})).configure(
        table
    )
    links = {str(c.header): href for c, _, href in table.header_cells()}
    assert links["Cost"] == "?period=2026-06-01&l-sort=-cost"
    assert links["Customer"] == "?period=2026-06-01&l-sort=customer_name"
