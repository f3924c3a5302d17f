"""Tax per jurisdiction (issue 20, item 18): hand-checked totals for Canadian provinces and a
US reseller with and without a resale certificate."""

from datetime import date
from decimal import Decimal as D

import pytest

from billing import tax
from portal import numbers

FROM = date(2026, 1, 1)
RATES = [
    tax.Rate("CA", "", "GST", D("5"), FROM),
    tax.Rate("CA", "ON", "HST", D("13"), FROM, includes_country_tax=True),
    tax.Rate("CA", "BC", "PST", D("7"), FROM),
    tax.Rate("CA", "QC", "QST", D("9.975"), FROM),
    tax.Rate("US", "TX", "Sales tax", D("6.25"), FROM),
    # an old Quebec rate, no longer in force
    tax.Rate("CA", "QC", "QST", D("9.5"), date(2010, 1, 1), effective_to=date(2025, 12, 31)),
]
SUBTOTAL = D("1234.56")
ON = date(2026, 6, 30)


def taxed(country, region, exemptions=()):
    exempt = tax.exemption_for(exemptions, region=region, on=ON)
    if exempt:
        return [], SUBTOTAL
    lines = tax.tax_lines(
        SUBTOTAL,
        "CAD" if country == "CA" else "USD",
        tax.rates_in_force(RATES, country=country, region=region, on=ON),
    )
    return (
        [(x.name, x.jurisdiction, x.rate, x.amount) for x in lines],
        SUBTOTAL + sum((x.amount for x in lines), D(0)),
    )


@pytest.mark.parametrize(
    "region, lines, total",
    [
        # 1234.56 × 13 % = 160.4928 → 160.49
        ("ON", [("HST", "CA-ON", D("13"), D("160.49"))], D("1395.05")),
        # × 5 % = 61.728 → 61.73; × 7 % = 86.4192 → 86.42
        (
            "BC",
            [("GST", "CA", D("5"), D("61.73")), ("PST", "CA-BC", D("7"), D("86.42"))],
            D("1382.71"),
        ),
        # × 9.975 % = 123.14736 → 123.15
        (
            "QC",
            [("GST", "CA", D("5"), D("61.73")), ("QST", "CA-QC", D("9.975"), D("123.15"))],
            D("1419.44"),
        ),
        ("AB", [("GST", "CA", D("5"), D("61.73"))], D("1296.29")),
    ],
)
def test_canadian_provinces(region, lines, total):
    assert taxed("CA", region) == (lines, total)


def test_us_reseller_with_and_without_a_resale_certificate():
    # 1234.56 × 6.25 % = 77.16 → total 1311.72
    assert taxed("US", "TX") == ([("Sales tax", "US-TX", D("6.25"), D("77.16"))], D("1311.72"))
    valid = tax.Exemption("TX-RS-0042", date(2026, 12, 31), region="TX")
    assert taxed("US", "TX", [valid]) == ([], D("1234.56"))
    expired = tax.Exemption("TX-RS-0041", date(2026, 6, 29), region="TX")
    other_state = tax.Exemption("WA-77", date(2027, 1, 1), region="WA")
    assert taxed("US", "TX", [expired, other_state])[1] == D("1311.72")


def test_a_credit_is_exactly_the_negative_tax():
    lines = tax.tax_lines(
        -SUBTOTAL, "CAD", tax.rates_in_force(RATES, country="CA", region="QC", on=ON)
    )
    assert [x.amount for x in lines] == [D("-61.73"), D("-123.15")]


@pytest.fixture
def tax_table(db):
    from billing.models import TaxRate

    for r in RATES:
        TaxRate.objects.create(
            country=r.country,
            region=r.region,
            name=r.name,
            rate=r.rate,
            effective_from=r.effective_from,
            effective_to=r.effective_to,
            includes_country_tax=r.includes_country_tax,
        )


def _invoice(ops, reseller, charge_factory):
    import datetime as dt

    from django_scopes import scopes_disabled

    from billing import services
    from billing.models import Invoice

    charge_factory(reseller, on=dt.date(2026, 6, 22), cost="1000.00", price="1100.00")
    charge_factory(reseller, on=dt.date(2026, 6, 23), cost="234.56", price="250.00")
    [run] = services.billing_run_start(user=ops, on_date=dt.date(2026, 6, 25), reseller=reseller)
    services.billing_run_compute(run_id=run.pk)
    with scopes_disabled():
        return Invoice.objects.get(run=run)


@pytest.mark.django_db
@pytest.mark.parametrize(
    "region, lines, total",
    [
        ("ON", [("HST", "CA-ON", "13.000", "160.49")], "1395.05"),
        ("BC", [("GST", "CA", "5.000", "61.73"), ("PST", "CA-BC", "7.000", "86.42")], "1382.71"),
        ("QC", [("GST", "CA", "5.000", "61.73"), ("QST", "CA-QC", "9.975", "123.15")], "1419.44"),
        ("AB", [("GST", "CA", "5.000", "61.73")], "1296.29"),
    ],
)
def test_canadian_invoices_show_tax_per_jurisdiction(
    ops, tax_table, charge_factory, region, lines, total, client_for, member_of
):
    from django.urls import reverse

    from tests.factories import ResellerFactory

    reseller = ResellerFactory(country="CA", currency="CAD", region=region)
    invoice = _invoice(ops, reseller, charge_factory)
    assert invoice.subtotal == SUBTOTAL  # 1000.00 + 234.56
    assert [(x["name"], x["jurisdiction"], x["rate"], x["amount"]) for x in invoice.tax_lines] == [
        (n, j, str(D(r)), a) for n, j, r, a in lines
    ]
    assert invoice.total == D(total)
    page = (
        client_for(member_of(reseller))
        .get(reverse("billing:invoice", kwargs={"invoice_id": invoice.pk}))
        .content.decode()
    )
    for name, jurisdiction, rate, amount in lines:
        shown = D(rate).normalize()
        assert f"{name} ({jurisdiction}) {shown:f}%" in page and amount in page
    assert f'data-testid="invoice-total">{numbers.amount(D(total), "CAD")}<' in page


@pytest.mark.django_db
def test_us_reseller_invoice_with_and_without_a_resale_certificate(
    ops, tax_table, charge_factory, unscoped
):
    import datetime as dt

    from billing import services
    from billing.models import TaxExemption
    from tests.factories import ResellerFactory

    texan = ResellerFactory(country="US", currency="USD", region="TX")
    charge_factory(texan, on=dt.date(2026, 6, 2), cost="1000.00")
    charge_factory(texan, on=dt.date(2026, 6, 3), cost="234.56")
    [run] = services.billing_run_start(user=ops, on_date=dt.date(2026, 6, 25), reseller=texan)
    services.billing_run_compute(run_id=run.pk)
    with unscoped():
        invoice = run.invoices.get()
    assert (invoice.tax_amount, invoice.total) == (D("77.16"), D("1311.72"))
    # a certificate that expired before the period's last day does not count; a valid one does
    TaxExemption.objects.create(
        reseller=texan,
        certificate_number="TX-RS-0041",
        region="TX",
        expires_on=dt.date(2026, 6, 29),
    )
    services.billing_run_compute(run_id=run.pk)
    with unscoped():
        assert run.invoices.get().total == D("1311.72")
    TaxExemption.objects.create(
        reseller=texan,
        certificate_number="TX-RS-0042",
        region="TX",
        expires_on=dt.date(2027, 6, 30),
    )
    services.billing_run_compute(run_id=run.pk)
    with unscoped():
        invoice = run.invoices.get()
        assert (invoice.tax_lines, invoice.tax_amount, invoice.total) == ([], D("0"), D("1234.56"))
        assert invoice.tax_note == (
            "Tax exempt: resale certificate TX-RS-0042 (valid through 2027-06-30)"
        )
        services.billing_run_finalize(user=ops, run=run)
        invoice = run.invoices.get()
        note = services.invoice_credit(user=ops, invoice=invoice, reason="Wrong seats")
        assert (note.tax_amount, note.total) == (D("0"), D("-1234.56"))


@pytest.mark.django_db
def test_a_credit_note_credits_each_jurisdiction_of_its_invoice(
    ops, tax_table, charge_factory, unscoped
):
    from billing import services
    from tests.factories import ResellerFactory

    quebec = ResellerFactory(country="CA", currency="CAD", region="QC")
    invoice = _invoice(ops, quebec, charge_factory)
    with unscoped():
        services.billing_run_finalize(user=ops, run=invoice.run)
        invoice.refresh_from_db()
        note = services.invoice_credit(user=ops, invoice=invoice, reason="Credit all")
    assert [(x["name"], x["amount"]) for x in note.tax_lines] == [
        ("GST", "-61.73"),
        ("QST", "-123.15"),
    ]
    assert note.total == -invoice.total == D("-1419.44")
