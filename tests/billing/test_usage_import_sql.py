"""The set-based PostgreSQL path (billing/usage_pg.py) gives the line-by-line path's results:
same natural keys, same rows, same errors, same counts."""

import sys
from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.core.files.base import ContentFile
from django.db import connection
from django.utils import timezone
from django_scopes import scopes_disabled

from billing import services, usage_csv, usage_pg
from billing.models import UsageImport, UsageLine
from tests.billing.usage_helpers import rows_for, to_csv
from tests.factories import SubscriptionFactory

START = date(2026, 9, 1)


def test_whitespace_is_what_str_strip_strips():
    assert set(usage_pg.WHITESPACE) == {
        c for c in map(chr, range(sys.maxunicode + 1)) if c.isspace()}


@pytest.fixture
def pg(db):
    if connection.vendor != "postgresql":
        pytest.skip("the set-based path is PostgreSQL's")


@pytest.fixture
def subs_a(reseller_a):
    return [SubscriptionFactory(reseller=reseller_a) for _ in range(3)]


@pytest.fixture
def run_import(reseller_a, monkeypatch):
    """run_import(data, set_based) -> (UsageImport, path taken: "sql" or "python")."""

    def run(data: bytes, *, set_based: bool):
        taken = []
        real = usage_pg.run

        def spy(*args):
            outcome = real(*args)
            taken.append("python" if outcome is None else "sql")
            return outcome

        monkeypatch.setattr(usage_pg, "run", spy)
        monkeypatch.setattr(services, "SET_BASED", set_based)
        with scopes_disabled():
            imp = UsageImport(reseller=reseller_a, file_name="usage.csv")
            imp.file.save("usage.csv", ContentFile(data), save=True)
        imp = services.usage_import_run(usage_import_id=imp.pk)
        return imp, (taken[0] if taken else "python")

    return run


def _lines(imp):
    with scopes_disabled():
        return {line.natural_key: line for line in UsageLine.objects.filter(usage_import=imp)}


FIELDS = ("reseller_id", "customer_id", "subscription_id", "usage_date", "meter_category",
          "meter_sub_category", "meter_name", "meter_id", "meter_region", "resource_group",
          "resource_uri", "tags", "quantity", "unit_of_measure", "unit_price",
          "billing_pre_tax_total", "currency", "charge_type", "product_id", "sku_id",
          "availability_id", "is_marketplace")


def _tricky_rows(subs):
    """Valid rows that stress the key and the casts: padded and non-ASCII text, numbers in
    other notations, a marketplace charge, an upper-case subscription ID."""
    rows = rows_for(subs, START, 2)
    rows[0] |= {"MeterRegion": "  Europe West\u00a0", "Tags": '{"owner": "Zoë, Ops"}',
                "ResourceURI": "\u3000/subscriptions/x/ünïcode "}
    rows[1] |= {"MeterId": f" {rows[1]['MeterId']}\t", "ChargeType": " new "}
    rows[2] |= {"Quantity": "1E+2", "UnitPrice": " 0.5 ", "BillingPreTaxTotal": "-0.0000000000"}
    rows[3] |= {"Quantity": ".5", "UnitPrice": "+2", "BillingPreTaxTotal": "-12.25"}
    rows[4] |= {"ChargeType": "One-Time Purchase", "MeterName": "Contoso Firewall, yearly"}
    rows[5] |= {"SubscriptionId": rows[5]["SubscriptionId"].upper(),
                "CustomerId": " " + rows[5]["CustomerId"].upper()}
    rows[6] |= {"UsageDate": f"{rows[6]['UsageDate']}T00:00:00Z"}
    return rows


@pytest.mark.django_db
def test_sql_path_stores_the_same_rows_and_natural_keys_as_python(pg, subs_a, run_import):
    rows = _tricky_rows(subs_a)
    data = to_csv(rows)

    sql_import, path = run_import(data, set_based=True)
    assert path == "sql"
    assert sql_import.status == "done", sql_import.errors
    assert (sql_import.total_lines, sql_import.imported_lines, sql_import.marketplace_lines) == (
        len(rows), len(rows), 1)
    sql_lines = _lines(sql_import)
    assert set(sql_lines) == {usage_csv.natural_key(r) for r in rows}
    with scopes_disabled():
        UsageLine.objects.all().delete()

    python_import, path = run_import(data, set_based=False)
    assert path == "python" and python_import.imported_lines == len(rows)
    python_lines = _lines(python_import)
    assert set(python_lines) == set(sql_lines)
    for key, line in python_lines.items():
        assert [getattr(sql_lines[key], f) for f in FIELDS] == [getattr(line, f) for f in FIELDS]
    assert sql_lines[usage_csv.natural_key(rows[2])].quantity == Decimal(100)


@pytest.mark.django_db
@pytest.mark.parametrize("first", [True, False], ids=["sql-then-python", "python-then-sql"])
def test_imports_by_either_path_deduplicate_against_each_other(pg, subs_a, run_import, first):
    data = to_csv(_tricky_rows(subs_a))
    one, path_one = run_import(data, set_based=first)
    two, path_two = run_import(data, set_based=not first)
    assert {path_one, path_two} == {"sql", "python"}
    assert one.imported_lines == one.total_lines > 0
    assert (two.status, two.imported_lines, two.skipped_duplicates) == (
        "done", 0, one.total_lines)


def _bad_rows(subs, other):
    rows = rows_for(subs, START, 3)  # 45 lines: file lines 2–46
    future = (timezone.now().date() + timedelta(days=3)).isoformat()
    changes = {
        0: {"MeterName": '=HYPERLINK("x")', "ResourceGroup": "+rg", "Quantity": "x"},
        1: {"MeterId": "   ", "ChargeType": ""},
        2: {"UsageDate": "2026-02-30"},
        3: {"UsageDate": future},
        4: {"Quantity": "-1.5", "UnitPrice": "1.00000000001",
            "BillingPreTaxTotal": "1234567890123456789"},
        5: {"Quantity": "-0.000", "UnitPrice": "1e-11", "BillingPreTaxTotal": "NaN"},
        6: {"BillingCurrency": "XYZ"},
        7: {"BillingCurrency": "CAD"},
        8: {"CustomerId": "not-a-guid"},
        9: {"CustomerId": "0b1e7c0e-6d3a-4b8e-9f5e-1c2d3e4f5a6b"},
        10: {"SubscriptionId": other.partner_center_id},
        11: {"CustomerId": str(other.customer.tenant_id),
             "SubscriptionId": other.partner_center_id},
        12: {"MeterRegion": "r" * 101, "SkuId": "@" + "s" * 70},
        13: {"Tags": "\tx", "AvailabilityId": "-"},
    }
    for index, change in changes.items():
        rows[index] = rows[index] | change
    rows.append(dict(rows[20]))
    rows.append(dict(rows[20]) | {"MeterId": f" {rows[20]['MeterId']} "})  # same key
    return rows


@pytest.mark.django_db
def test_a_bad_file_gets_the_same_errors_on_both_paths(pg, subs_a, reseller_b, run_import):
    other = SubscriptionFactory(reseller=reseller_b, customer__currency="USD")
    data = to_csv(_bad_rows(subs_a, other))

    sql_import, path = run_import(data, set_based=True)
    assert path == "sql"
    python_import, _ = run_import(data, set_based=False)

    assert sql_import.status == python_import.status == "rejected"
    assert sql_import.total_lines == python_import.total_lines == 47
    assert sql_import.errors == python_import.errors
    assert [e["line"] for e in sql_import.errors][-2:] == [47, 48]
    assert "Duplicate of line 22" in sql_import.errors[-1]["message"]
    with scopes_disabled():
        assert UsageLine.objects.count() == 0


@pytest.mark.django_db
def test_more_than_the_listed_errors_are_counted_alike(pg, subs_a, run_import):
    rows = [r | {"Quantity": "many"} for r in rows_for(subs_a, START, 30)]  # 450 bad lines
    rows[3]["UnitPrice"] = "-1"
    data = to_csv(rows)
    sql_import, path = run_import(data, set_based=True)
    python_import, _ = run_import(data, set_based=False)
    assert path == "sql"
    assert sql_import.errors == python_import.errors
    assert len(sql_import.errors) == usage_csv.MAX_ERRORS + 1
    assert sql_import.errors[-1]["message"] == "… and 251 more problems not listed."


@pytest.mark.django_db
@pytest.mark.parametrize("text", ['5" disk', 'ab""c', 'x"y"z'])
def test_a_quote_inside_an_unquoted_field_takes_the_line_by_line_path(pg, subs_a, run_import,
                                                                      text):
    rows = rows_for(subs_a[:1], START, 1)
    data = to_csv(rows).replace(rows[2]["MeterName"].encode(), text.encode(), 1)
    assert text.encode() in data
    imp, path = run_import(data, set_based=True)
    assert path == "python"
    assert imp.status == "done", imp.errors
    with scopes_disabled():
        assert UsageLine.objects.filter(meter_name=text).count() == 1


@pytest.mark.django_db
def test_wrong_number_of_values_is_reported_by_line(pg, subs_a, run_import):
    data = to_csv(rows_for(subs_a[:1], START, 1)) + b"a,b,c\n"
    imp, path = run_import(data, set_based=True)
    assert (path, imp.status) == ("python", "rejected")
    assert imp.errors == [{"line": 7, "field": "line",
                           "message": "Line has 3 values for 21 columns."}]
