"""The column-by-column path (billing/columnar.py, then COPY on PostgreSQL) gives the
line-by-line path's results: same natural keys, same rows, same errors, same counts."""

import sys
from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.core.files.base import ContentFile
from django.utils import timezone
from django_scopes import scopes_disabled

from billing.usage import columnar, services, summary, validation
from billing.usage.models import (
    KeyHash,
    UsageImport,
    UsageLine,
    UsageSummary,
    key_text_expression,
)
from tests.billing.usage_helpers import rows_for, to_csv
from tests.factories import SubscriptionFactory

START = date(2026, 9, 1)


def test_whitespace_is_what_str_strip_strips():
    assert set(columnar.WHITESPACE) == {
        c for c in map(chr, range(sys.maxunicode + 1)) if c.isspace()
    }


@pytest.fixture
def subs_a(reseller_a):
    return [SubscriptionFactory(reseller=reseller_a) for _ in range(3)]


@pytest.fixture
def run_import(reseller_a, monkeypatch):
    """run_import(data, columnar) -> (UsageImport, path taken: "columns" or "python")."""

    def run(data: bytes, *, columnar: bool):
        taken = []
        line_by_line = validation.Validator.check_all

        def spy(*args, **kwargs):
            taken.append("python")
            return line_by_line(*args, **kwargs)

        monkeypatch.setattr(validation.Validator, "check_all", spy)
        monkeypatch.setattr(services, "COLUMNAR", columnar)
        with scopes_disabled():
            imp = UsageImport(reseller=reseller_a, file_name="usage.csv")
            imp.file.save("usage.csv", ContentFile(data), save=True)
        imp = services.usage_import_run(usage_import_id=imp.pk)
        return imp, (taken[0] if taken else "columns")

    return run


def _lines(imp):
    """The import's lines by their unique key (the natural key is unique per subscription and
    day)."""
    with scopes_disabled():
        return {
            (line.subscription_id, line.usage_date, line.natural_key): line
            for line in UsageLine.objects.filter(usage_import=imp)
        }


FIELDS = (
    "reseller_id",
    "customer_id",
    "subscription_id",
    "usage_date",
    "meter_category",
    "meter_sub_category",
    "meter_name",
    "meter_id",
    "meter_region",
    "resource_group",
    "resource_uri",
    "tags",
    "quantity",
    "unit_of_measure",
    "unit_price",
    "billing_pre_tax_total",
    "currency",
    "charge_type",
    "product_id",
    "sku_id",
    "availability_id",
    "is_marketplace",
)


def _tricky_rows(subs):
    """Valid rows that stress the key and the casts: padded and non-ASCII text, numbers in
    other notations, a marketplace charge, an upper-case subscription ID."""
    rows = rows_for(subs, START, 2)
    rows[0] |= {
        "MeterRegion": "  Europe West\u00a0",
        "Tags": '{"owner": "Zoë, Ops"}',
        "ResourceURI": "\u3000/subscriptions/x/ünïcode ",
    }
    rows[1] |= {"MeterId": f" {rows[1]['MeterId']}\t", "ChargeType": " new "}
    rows[2] |= {"Quantity": "1E+2", "UnitPrice": " 0.5 ", "BillingPreTaxTotal": "-0.0000000000"}
    rows[3] |= {"Quantity": ".5", "UnitPrice": "+2", "BillingPreTaxTotal": "-12.25"}
    rows[4] |= {"ChargeType": "One-Time Purchase", "MeterName": "Contoso Firewall, yearly"}
    rows[5] |= {
        "SubscriptionId": rows[5]["SubscriptionId"].upper(),
        "CustomerId": " " + rows[5]["CustomerId"].upper(),
    }
    rows[6] |= {"UsageDate": f"{rows[6]['UsageDate']}T00:00:00Z"}
    return rows


@pytest.mark.django_db
def test_columns_path_stores_the_same_rows_and_natural_keys_as_python(subs_a, run_import):
    rows = _tricky_rows(subs_a)
    data = to_csv(rows)

    imported, path = run_import(data, columnar=True)
    assert path == "columns"
    assert imported.status == "done", imported.errors
    assert (imported.total_lines, imported.imported_lines, imported.marketplace_lines) == (
        len(rows),
        len(rows),
        1,
    )
    stored = _lines(imported)
    # the database hashed the key text of each line as validation.key_text makes it, and its
    # stored key is the model's expression of the stored columns
    with scopes_disabled():
        lines = UsageLine.objects.filter(usage_import=imported).annotate(
            text=key_text_expression(), again=KeyHash(key_text_expression())
        )
        assert {line.text for line in lines} == {validation.key_text(r) for r in rows}
        assert all(line.again == line.natural_key for line in lines)
    with scopes_disabled():
        UsageLine.objects.all().delete()

    python_import, path = run_import(data, columnar=False)
    assert path == "python" and python_import.imported_lines == len(rows)
    python_lines = _lines(python_import)
    assert set(python_lines) == set(stored)
    for key, line in python_lines.items():
        assert [getattr(stored[key], f) for f in FIELDS] == [getattr(line, f) for f in FIELDS]
    [line] = [
        line
        for (_, day, key), line in stored.items()
        if line.meter_id == rows[2]["MeterId"]
        and line.resource_uri == rows[2]["ResourceURI"]
        and str(day) == rows[2]["UsageDate"][:10]
        and line.subscription.partner_center_id.lower() == rows[2]["SubscriptionId"].lower()
    ]
    assert line.quantity == Decimal(100)


@pytest.mark.django_db
@pytest.mark.parametrize("first", [True, False], ids=["columns-then-python", "python-then-columns"])
def test_imports_by_either_path_deduplicate_against_each_other(subs_a, run_import, first):
    data = to_csv(_tricky_rows(subs_a))
    one, path_one = run_import(data, columnar=first)
    two, path_two = run_import(data, columnar=not first)
    assert {path_one, path_two} == {"columns", "python"}
    assert one.imported_lines == one.total_lines > 0
    assert (two.status, two.imported_lines, two.skipped_duplicates) == ("done", 0, one.total_lines)


def _bad_rows(subs, other):
    rows = rows_for(subs, START, 3)  # 45 lines: file lines 2–46
    future = (timezone.now().date() + timedelta(days=3)).isoformat()
    changes = {
        0: {"MeterName": '=HYPERLINK("x")', "ResourceGroup": "+rg", "Quantity": "x"},
        1: {"MeterId": "   ", "ChargeType": ""},
        2: {"UsageDate": "2026-02-30"},
        3: {"UsageDate": future},
        4: {
            "Quantity": "-1.5",
            "UnitPrice": "1.00000000001",
            "BillingPreTaxTotal": "1234567890123456789",
        },
        5: {"Quantity": "-0.000", "UnitPrice": "1e-11", "BillingPreTaxTotal": "NaN"},
        6: {"BillingCurrency": "XYZ"},
        7: {"BillingCurrency": "CAD"},
        8: {"CustomerId": "not-a-guid"},
        9: {"CustomerId": "0b1e7c0e-6d3a-4b8e-9f5e-1c2d3e4f5a6b"},
        10: {"SubscriptionId": other.partner_center_id},
        11: {
            "CustomerId": str(other.customer.tenant_id),
            "SubscriptionId": other.partner_center_id,
        },
        12: {"MeterRegion": "r" * 101, "SkuId": "@" + "s" * 70},
        13: {"Tags": "\tx", "AvailabilityId": "-"},
    }
    for index, change in changes.items():
        rows[index] = rows[index] | change
    rows.append(dict(rows[20]))
    rows.append(dict(rows[20]) | {"MeterId": f" {rows[20]['MeterId']} "})  # same key
    return rows


@pytest.mark.django_db
def test_a_bad_file_gets_the_same_errors_on_both_paths(subs_a, reseller_b, run_import):
    other = SubscriptionFactory(reseller=reseller_b, customer__currency="USD")
    data = to_csv(_bad_rows(subs_a, other))

    imported, path = run_import(data, columnar=True)
    assert path == "columns"
    python_import, _ = run_import(data, columnar=False)

    assert imported.status == python_import.status == "rejected"
    assert imported.total_lines == python_import.total_lines == 47
    assert imported.errors == python_import.errors
    assert [e["line"] for e in imported.errors][-2:] == [47, 48]
    assert "Duplicate of line 22" in imported.errors[-1]["message"]
    with scopes_disabled():
        assert UsageLine.objects.count() == 0


@pytest.mark.django_db
def test_more_than_the_listed_errors_are_counted_alike(subs_a, run_import):
    rows = [r | {"Quantity": "many"} for r in rows_for(subs_a, START, 30)]  # 450 bad lines
    rows[3]["UnitPrice"] = "-1"
    data = to_csv(rows)
    imported, path = run_import(data, columnar=True)
    python_import, _ = run_import(data, columnar=False)
    assert path == "columns"
    assert imported.errors == python_import.errors
    assert len(imported.errors) == validation.MAX_ERRORS + 1
    assert imported.errors[-1]["message"] == "… and 251 more problems not listed."


@pytest.mark.django_db
@pytest.mark.parametrize("text", ['5" disk', 'ab""c', 'x"y"z'])
def test_a_quote_inside_an_unquoted_field_is_text_as_for_python(subs_a, run_import, text):
    rows = rows_for(subs_a[:1], START, 1)
    data = to_csv(rows).replace(rows[2]["MeterName"].encode(), text.encode(), 1)
    assert text.encode() in data
    imp, path = run_import(data, columnar=True)
    assert path == "columns"
    assert imp.status == "done", imp.errors
    with scopes_disabled():
        assert UsageLine.objects.filter(meter_name=text).count() == 1


@pytest.mark.django_db
def test_wrong_number_of_values_is_reported_by_line(subs_a, run_import):
    data = to_csv(rows_for(subs_a[:1], START, 1)) + b"a,b,c\n"
    imp, path = run_import(data, columnar=True)
    assert (path, imp.status) == ("python", "rejected")
    assert imp.errors == [
        {"line": 7, "field": "line", "message": "Line has 3 values for 21 columns."}
    ]


@pytest.mark.django_db
def test_a_line_twice_in_a_fresh_file_is_reported_not_loaded(subs_a, run_import):
    rows = rows_for(subs_a, START, 2)
    rows.append(dict(rows[4]))
    imp, path = run_import(to_csv(rows), columnar=True)
    assert (path, imp.status) == ("columns", "rejected")
    assert imp.errors == [
        {
            "line": len(rows) + 1,
            "field": "line",
            "message": (
                "Duplicate of line 6 (same customer, subscription, date, meter, resource, "
                "charge type and tags)."
            ),
        }
    ]
    with scopes_disabled():
        assert not UsageLine.objects.exists() and not UsageSummary.objects.exists()


@pytest.mark.django_db
def test_overlapping_days_add_only_the_new_lines_and_keep_the_sums_right(subs_a, run_import):
    first, _ = run_import(to_csv(rows_for(subs_a, START, 2)), columnar=True)
    later = rows_for(subs_a, START, 3)  # the same two days and one more
    second, path = run_import(to_csv(later), columnar=True)
    per_day = first.imported_lines // 2
    assert path == "columns" and first.imported_lines == len(later) - per_day
    assert (second.imported_lines, second.skipped_duplicates) == (per_day, 2 * per_day)
    with scopes_disabled():
        assert UsageLine.objects.count() == len(later)
        assert _summaries() == _summaries_rebuilt()


@pytest.mark.django_db
def test_the_sums_added_by_a_copy_are_the_sums_rebuilt_from_the_lines(subs_a, run_import):
    rows = _tricky_rows(subs_a)
    rows += [r | {"UsageDate": "2026-10-01"} for r in rows_for(subs_a[:1], START, 1)]
    imp, path = run_import(to_csv(rows), columnar=True)
    assert (path, imp.status, imp.imported_lines) == ("columns", "done", len(rows))
    with scopes_disabled():
        assert len(_summaries()) > 10
        assert _summaries() == _summaries_rebuilt()


def _summaries():
    return sorted(
        UsageSummary.objects.values_list(
            "reseller_id",
            "customer_id",
            "subscription_id",
            "product_type_id",
            "month",
            "meter_id",
            "currency",
            "meter_category",
            "meter_sub_category",
            "meter_name",
            "unit_of_measure",
            "quantity",
            "pre_tax_total",
            "lines",
        )
    )


def _summaries_rebuilt():
    summary.refresh(
        {
            (r, m.replace(day=1))
            for r, m in UsageLine.objects.values_list("reseller_id", "usage_date")
        }
    )
    return _summaries()


@pytest.mark.django_db
@pytest.mark.parametrize(
    "layout", ["blank line", "lone carriage return", "quoted line break", "quoted carriage return"]
)
def test_what_only_python_reads_right_goes_line_by_line(subs_a, run_import, layout):
    rows = rows_for(subs_a[:1], START, 1)
    if layout == "quoted line break":
        rows[1]["MeterName"] = "two\nlines"
    elif layout == "quoted carriage return":  # Python counts a line more after it
        rows[1]["MeterName"] = "two\rlines"
        rows[3]["Quantity"] = "many"
    data = to_csv(rows)
    if layout == "blank line":
        data = data.replace(b"\n", b"\n\n", 2).replace(b"\n\n", b"\n", 1)
    elif layout == "lone carriage return":
        data = data.replace(rows[1]["MeterName"].encode(), b"a\rb", 1)
    imp, path = run_import(data, columnar=True)
    python_import, _ = run_import(data, columnar=False)
    assert path == "python"
    assert (imp.status, imp.errors) == (python_import.status, python_import.errors)
    if layout == "quoted carriage return":
        assert imp.errors[0]["line"] == 6


@pytest.mark.django_db
def test_a_line_twice_in_a_file_imported_again_is_reported_not_loaded(subs_a, run_import):
    """A re-import is streamed into staging, which has no unique index: a line there twice is
    still refused with its line numbers, and nothing of the file is written."""
    rows = rows_for(subs_a, START, 2)
    run_import(to_csv(rows), columnar=True)
    with scopes_disabled():
        before = (UsageLine.objects.count(), _summaries())
    again = [*rows, *rows_for(subs_a, START + timedelta(days=2), 1)]
    again.append(dict(again[-1]))
    imp, path = run_import(to_csv(again), columnar=True)
    assert (path, imp.status) == ("columns", "rejected")
    assert [e["line"] for e in imp.errors] == [len(again) + 1]
    assert imp.errors[0]["message"].startswith(f"Duplicate of line {len(again)}")
    with scopes_disabled():
        assert (UsageLine.objects.count(), _summaries()) == before
