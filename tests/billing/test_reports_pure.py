from datetime import date
from decimal import Decimal

import pytest

from billing.periods import Period, billing_period, usage_month
from billing.reports import compute


@pytest.mark.parametrize(
    "country,on,month",
    [
        ("US", date(2026, 6, 15), (date(2026, 5, 1), date(2026, 5, 31))),
        ("CA", date(2026, 7, 1), (date(2026, 5, 1), date(2026, 5, 31))),  # Jun 20 – Jul 19
        ("CA", date(2026, 1, 5), (date(2025, 11, 1), date(2025, 11, 30))),  # Dec 20 – Jan 19
        ("US", date(2026, 3, 1), (date(2026, 2, 1), date(2026, 2, 28))),
    ],
)
def test_usage_month_is_the_calendar_month_before_the_period_starts(country, on, month):
    assert usage_month(billing_period(country, on)) == Period(*month)


@pytest.mark.parametrize(
    "value,expected",
    [
        ("=1+1", "'=1+1"),
        ("+1", "'+1"),
        ("-1", "'-1"),
        ("@A1", "'@A1"),
        ("\tx", "'\tx"),
        ("\rx", "'\rx"),
        ("a=b", "a=b"),
        ("", ""),
        (Decimal("-5.00"), Decimal("-5.00")),
        (-3, -3),
    ],
)
def test_neutralise(value, expected):
    assert compute.neutralise(value) == expected


@pytest.mark.parametrize("value", [" =1+1", "  +1", "\t-1", " \t@SUM(A1)", "\n=cmd"])
def test_neutralise_catches_formulas_after_leading_spaces_or_tabs(value):
    assert compute.neutralise(value) == "'" + value


def test_totals_never_mix_currencies_and_sum_rounded_rows():
    rows = [
        {"currency": "USD", "cost": Decimal("1.01"), "price": Decimal("1.11")},
        {"currency": "CAD", "cost": Decimal("2.00"), "price": Decimal("1.90")},
        {"currency": "USD", "cost": Decimal("-0.01"), "price": Decimal("0.00")},
    ]
    got = [(t.currency, t.cost, t.price, t.margin, t.rows) for t in compute.totals(rows)]
    assert got == [
        ("CAD", Decimal("2.00"), Decimal("1.90"), Decimal("-0.10"), 1),
        ("USD", Decimal("1.00"), Decimal("1.11"), Decimal("0.11"), 2),
    ]


def test_export_format_is_checked():
    with pytest.raises(ValueError, match="csv or xlsx"):
        compute.export_bytes(compute.dataset([], [], title="x"), "pdf")


GROUPS = [
    {
        "currency": "CAD",
        "meter_category": "Storage",
        "cost": Decimal("1.10"),
        "price": Decimal("1.20"),
        "rows": 2,
    },
    {
        "currency": "USD",
        "meter_category": "Virtual Machines",
        "cost": Decimal("10.00"),
        "price": Decimal("11.00"),
        "rows": 3,
    },
    {
        "currency": "USD",
        "meter_category": "",
        "cost": Decimal("0.005"),
        "price": Decimal("0.01"),
        "rows": 1,
    },
]


def test_group_totals_add_up_per_currency():
    assert [(t.currency, t.cost, t.price, t.rows) for t in compute.group_totals(GROUPS)] == [
        ("CAD", Decimal("1.10"), Decimal("1.20"), 2),
        ("USD", Decimal("10.01"), Decimal("11.01"), 4),
    ]


@pytest.mark.parametrize("show_money", [True, False])
def test_category_chart_has_one_series_per_currency_and_amount(show_money):
    chart = compute.category_chart(GROUPS, show_money=show_money)
    assert chart["labels"] == ["Storage", "Virtual Machines", "—"]
    got = {s["label"]: s["values"] for s in chart["series"]}
    expected = {"Customer price (CAD)": [1.2, 0.0, 0.0], "Customer price (USD)": [0.0, 11.0, 0.01]}
    if show_money:
        expected |= {"Cost (CAD)": [1.1, 0.0, 0.0], "Cost (USD)": [0.0, 10.0, 0.01]}
    assert got == expected
