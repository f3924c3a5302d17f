"""Billing runs: period assignment, idempotent recompute-and-diff, finalize, numbering,
immutability, credit notes, PDFs."""

import datetime as dt
import io
import threading
from decimal import Decimal as D

import pytest
import time_machine
from celery.result import allow_join_result
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django_scopes import scopes_disabled
from pypdf import PdfReader

from billing import services
from billing.models import (
    BillingLine,
    BillingRun,
    CreditNote,
    DocumentCounter,
    Immutable,
    Invoice,
    InvoiceLine,
)
from billing.selectors import document_lines
from portal.models import AuditEvent
from tests.factories import PriceBookFactory, PriceRuleFactory, ResellerFactory, UserFactory

JULY_2 = dt.datetime(2026, 7, 2, 10, 0, tzinfo=dt.UTC)


def run_for(ops, reseller, on_date):
    """Start and compute (eager Celery) the run of `reseller`'s period containing `on_date`."""
    [run] = services.billing_run_start(user=ops, on_date=on_date, reseller=reseller)
    return services.billing_run_compute(run_id=run.pk)


def ledger(reseller):
    with scopes_disabled():
        return sorted(
            (
                line.period_start,
                line.subscription_id,
                line.kind,
                line.cost_amount,
                line.price_amount,
                line.currency,
            )
            for line in BillingLine.objects.filter(reseller=reseller)
        )


@pytest.mark.django_db
def test_canada_period_ends_on_the_19th_us_takes_the_calendar_month(
    ops, us_reseller, ca_reseller, charge_factory
):
    ca_19 = charge_factory(ca_reseller, on=dt.date(2026, 6, 19), cost="19.00", price="20.00")
    ca_20 = charge_factory(ca_reseller, on=dt.date(2026, 6, 20), cost="20.00", price="21.00")
    us_19 = charge_factory(us_reseller, on=dt.date(2026, 6, 19), cost="5.00", price="6.00")
    us_20 = charge_factory(us_reseller, on=dt.date(2026, 6, 20), cost="7.00", price="8.00")

    may_ca = run_for(ops, ca_reseller, dt.date(2026, 6, 19))
    june_ca = run_for(ops, ca_reseller, dt.date(2026, 6, 20))
    june_us = run_for(ops, us_reseller, dt.date(2026, 6, 19))

    assert (may_ca.period_start, may_ca.period_end) == (dt.date(2026, 5, 20), dt.date(2026, 6, 19))
    assert (june_ca.period_start, june_ca.period_end) == (
        dt.date(2026, 6, 20),
        dt.date(2026, 7, 19),
    )
    assert (june_us.period_start, june_us.period_end) == (dt.date(2026, 6, 1), dt.date(2026, 6, 30))
    with scopes_disabled():
        assert [x.subscription_id for x in BillingLine.objects.filter(run=may_ca)] == [
            ca_19.subscription_id
        ]
        assert [x.subscription_id for x in BillingLine.objects.filter(run=june_ca)] == [
            ca_20.subscription_id
        ]
        assert sorted(x.subscription_id for x in BillingLine.objects.filter(run=june_us)) == sorted(
            [us_19.subscription_id, us_20.subscription_id]
        )
        assert Invoice.objects.get(run=june_us).total == D("12.00")
        assert Invoice.objects.get(run=june_ca).currency == "CAD"


@pytest.mark.django_db
def test_rerun_changes_nothing_and_a_changed_input_is_diffed(ops, us_reseller, charge_factory):
    a = charge_factory(us_reseller, cost="100.00", price="120.00")
    b = charge_factory(us_reseller, cost="50.00", price="60.00")
    run = run_for(ops, us_reseller, dt.date(2026, 6, 1))
    with scopes_disabled():
        before = {x.pk: x.updated_at for x in BillingLine.objects.all()}
        invoices = list(Invoice.objects.values_list("pk", "total"))
    for _ in range(2):
        run_for(ops, us_reseller, dt.date(2026, 6, 15))
    with scopes_disabled():
        assert {x.pk: x.updated_at for x in BillingLine.objects.all()} == before
        assert list(Invoice.objects.values_list("pk", "total")) == invoices
        assert BillingRun.objects.count() == 1
        assert not InvoiceLine.objects.exists()  # a draft shows its ledger, stores no lines

    # a seat increase arrives, a charge changes, another disappears
    charge_factory(
        us_reseller,
        subscription=a.subscription,
        kind="seat_increase",
        on=dt.date(2026, 6, 10),
        cost="26.25",
        price="31.50",
        quantity=3,
    )
    with scopes_disabled():
        type(a).objects.filter(pk=a.pk).update(price_amount=D("125.00"))
        type(b).objects.filter(pk=b.pk).delete()
    run_for(ops, us_reseller, dt.date(2026, 6, 1))
    with scopes_disabled():
        rows = {(x.subscription_id, x.kind): x for x in BillingLine.objects.filter(run=run)}
        assert set(rows) == {(a.subscription_id, "cycle"), (a.subscription_id, "seat_increase")}
        cycle = rows[(a.subscription_id, "cycle")]
        assert cycle.pk in before and cycle.price_amount == D("125.00")
        invoice = Invoice.objects.get(run=run)
        assert invoice.total == D("126.25")
        assert [x.amount for x in document_lines(invoice)] == [D("100.00"), D("26.25")]


@pytest.mark.django_db
def test_azure_plan_usage_of_the_previous_month_priced_with_the_book(
    ops, us_reseller, charge_factory, usage_factory
):
    seat = charge_factory(us_reseller, cost="10.00", price="12.00")
    sub = charge_factory(us_reseller, customer=seat.customer).subscription
    book = PriceBookFactory(reseller=us_reseller, customer=None, name="Default")
    with scopes_disabled():
        from subscriptions.catalog.models import ProductType

        azure = ProductType.objects.get(code="azure-plan")
    PriceRuleFactory(
        book=book, product_type=azure, percent=D("20"), effective_from=dt.date(2026, 1, 1)
    )
    with scopes_disabled():
        sub.offer.product_type = azure
        sub.offer.save()
    usage_factory(sub, on=dt.date(2026, 5, 1), cost="10.1234567890")
    usage_factory(sub, on=dt.date(2026, 5, 31), cost="0.0015432110")
    usage_factory(sub, on=dt.date(2026, 5, 31), cost="99.00", marketplace=True)
    usage_factory(sub, on=dt.date(2026, 6, 1), cost="50.00")  # June usage: billed in July

    run = run_for(ops, us_reseller, dt.date(2026, 6, 1))
    with scopes_disabled():
        line = BillingLine.objects.get(run=run, kind="usage")
        # 10.1250000000 → 10.13; × 1.20 = 12.15 → 12.15
        assert (line.cost_amount, line.price_amount) == (D("10.13"), D("12.15"))
        assert line.description.endswith("usage 2026-05")
        assert Invoice.objects.get(run=run).total == D("120.13")  # 10.00 + 100.00 + 10.13


@pytest.mark.django_db
def test_finalize_numbers_freezes_copies_addresses_and_audits(
    ops, us_reseller, ca_reseller, charge_factory
):
    charge_factory(us_reseller, cost="100.00")
    charge_factory(ca_reseller, on=dt.date(2026, 6, 25), cost="40.00")
    with time_machine.travel(JULY_2, tick=False):
        us_run = run_for(ops, us_reseller, dt.date(2026, 6, 1))
        ca_run = run_for(ops, ca_reseller, dt.date(2026, 6, 25))
        [us_inv] = services.billing_run_finalize(user=ops, run=us_run)
        [ca_inv] = services.billing_run_finalize(user=ops, run=ca_run)
    assert (us_inv.number, ca_inv.number) == ("INV-2026-000001", "INV-2026-000002")
    assert us_inv.recipient_name == "Alpha Cloud" and us_inv.issuer_name
    assert us_inv.issued_on == dt.date(2026, 7, 2)
    with scopes_disabled():
        us_reseller.name = "Renamed Cloud"
        us_reseller.save()
        assert Invoice.objects.get(pk=us_inv.pk).recipient_name == "Alpha Cloud"
        assert AuditEvent.objects.filter(action="billing.run.finalized").count() == 2
        # a finalized run is not recomputed by a new start
        assert (
            services.billing_run_start(user=ops, on_date=dt.date(2026, 6, 1), reseller=us_reseller)
            == []
        )
    with pytest.raises(ValidationError, match="already finalized"):
        services.billing_run_finalize(user=ops, run=us_run)


@pytest.mark.django_db
def test_finalized_invoice_is_immutable(ops, us_reseller, charge_factory):
    charge_factory(us_reseller)
    run = run_for(ops, us_reseller, dt.date(2026, 6, 1))
    [invoice] = services.billing_run_finalize(user=ops, run=run)
    with scopes_disabled():
        invoice = Invoice.objects.get(pk=invoice.pk)
        invoice.total = D("1.00")
        with pytest.raises(Immutable):
            invoice.save()
        with pytest.raises(Immutable):
            invoice.delete()
        line = invoice.lines.first()
        line.amount = D("0.01")
        with pytest.raises(Immutable):
            line.save()
        assert Invoice.objects.get(pk=invoice.pk).total == D("100.00")
    # and a new charge dated in the finalized period does not touch it
    charge_factory(us_reseller, cost="9.00")
    services.billing_run_compute(run_id=run.pk)
    with scopes_disabled():
        assert Invoice.objects.get(pk=invoice.pk).total == D("100.00")


@pytest.mark.django_db
def test_credit_note_negates_lines_once_with_its_own_series(ops, us_reseller, charge_factory):
    charge_factory(us_reseller, cost="100.00")
    charge_factory(us_reseller, cost="-15.50", kind="cancel")
    run = run_for(ops, us_reseller, dt.date(2026, 6, 1))
    with time_machine.travel(JULY_2, tick=False):
        [invoice] = services.billing_run_finalize(user=ops, run=run)
        with scopes_disabled():
            first = invoice.lines.order_by("position").first()
        note = services.invoice_credit(
            user=ops, invoice=invoice, reason="Wrong seats", line_ids=[first.pk]
        )
        assert note.number == "CN-2026-000001"
        assert note.total == -first.amount
        with scopes_disabled():
            assert [(x.amount, x.quantity) for x in note.lines.all()] == [
                (-first.amount, -first.quantity)
            ]
        with pytest.raises(ValidationError, match="already credited"):
            services.invoice_credit(user=ops, invoice=invoice, reason="again", line_ids=[first.pk])
        with scopes_disabled():
            others = [x.pk for x in invoice.lines.all() if x.pk != first.pk]
        rest = services.invoice_credit(
            user=ops, invoice=invoice, reason="Cancel rest", line_ids=others
        )
    assert rest.number == "CN-2026-000002"
    assert note.total + rest.total == -invoice.total
    with scopes_disabled():
        assert CreditNote.objects.filter(invoice=invoice).count() == 2
    with pytest.raises(PermissionDenied):
        services.invoice_credit(user=UserFactory(), invoice=invoice, reason="x")


@pytest.mark.django_db
def test_draft_invoice_cannot_be_credited_and_finalize_needs_a_computed_run(
    ops, us_reseller, charge_factory
):
    charge_factory(us_reseller)
    run = run_for(ops, us_reseller, dt.date(2026, 6, 1))
    with scopes_disabled():
        invoice = Invoice.objects.get(run=run)
    with pytest.raises(ValidationError, match="Only a finalized invoice"):
        services.invoice_credit(user=ops, invoice=invoice, reason="x")
    with scopes_disabled():
        BillingRun.objects.filter(pk=run.pk).update(finished_at=None)
        run.refresh_from_db()
    with pytest.raises(ValidationError, match="not finished computing"):
        services.billing_run_finalize(user=ops, run=run)


@pytest.mark.django_db
def test_pdf_is_a_real_pdf_with_number_and_total(
    ops, us_reseller, charge_factory, django_capture_on_commit_callbacks
):
    charge_factory(us_reseller, cost="1234.56", offer_name="Microsoft 365 E3")
    run = run_for(ops, us_reseller, dt.date(2026, 6, 1))
    with django_capture_on_commit_callbacks(execute=True):
        [invoice] = services.billing_run_finalize(user=ops, run=run)
    with scopes_disabled():
        invoice = Invoice.objects.get(pk=invoice.pk)
        data = invoice.pdf.read()
    assert data.startswith(b"%PDF")
    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)
    assert invoice.number in text
    assert "1,234.56" in text and "Microsoft 365 E3" in text
    assert "Azure Marketplace one-time charges" in text


@pytest.mark.django_db
def test_only_staff_start_runs(us_reseller):
    with pytest.raises(PermissionDenied):
        services.billing_run_start(user=UserFactory(), on_date=dt.date(2026, 6, 1))
    with scopes_disabled():
        assert not BillingRun.objects.exists()


@pytest.mark.skipif(connection.vendor != "postgresql", reason="row locks need PostgreSQL")
@pytest.mark.django_db(transaction=True)
def test_concurrent_finalization_numbers_without_gaps(ops, charge_factory):
    resellers = [ResellerFactory(country="US") for _ in range(6)]
    runs = []
    for r in resellers:
        charge_factory(r, cost="10.00")
        runs.append(run_for(ops, r, dt.date(2026, 6, 1)))
    barrier = threading.Barrier(len(runs))
    errors = []

    def finalize(run):
        from django.db import connection as conn

        try:
            barrier.wait()
            services.billing_run_finalize(user=ops, run=run)
        except Exception as exc:  # noqa: BLE001 - reported below
            errors.append(exc)
        finally:
            conn.close()

    # allow_join_result restores Celery's process-global "inside a task" flag afterwards: the
    # eager PDF tasks of parallel threads would otherwise leave it set for later tests
    with time_machine.travel(JULY_2, tick=False), allow_join_result():
        threads = [threading.Thread(target=finalize, args=(run,)) for run in runs]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    assert errors == []
    with scopes_disabled():
        numbers = sorted(Invoice.objects.values_list("number", flat=True))
        assert numbers == [f"INV-2026-{n:06d}" for n in range(1, 7)]
        assert DocumentCounter.objects.get(prefix="INV", year=2026).last_number == 6


@pytest.mark.django_db
def test_beat_starts_each_country_when_its_period_closes(us_reseller, ca_reseller, charge_factory):
    charge_factory(ca_reseller, on=dt.date(2026, 6, 19))
    assert services.billing_runs_start_due(today=dt.date(2026, 6, 19)) == []
    [ca_run] = services.billing_runs_start_due(today=dt.date(2026, 6, 20))
    assert (ca_run.reseller, ca_run.period_start) == (ca_reseller, dt.date(2026, 5, 20))
    [us_run] = services.billing_runs_start_due(today=dt.date(2026, 7, 1))
    assert (us_run.reseller, us_run.period_start) == (us_reseller, dt.date(2026, 6, 1))


def june_invoiced_then_a_late_seat(ops, reseller, charge_factory):
    """June (a 100.00 cycle) invoiced; then a seat increase dated in June (11.11 at cost, 13.00
    to the customer) is recorded, and July's 100.00 cycle. Returns June's invoice."""
    first = charge_factory(reseller, on=dt.date(2026, 6, 1), cost="100.00")
    june = run_for(ops, reseller, dt.date(2026, 6, 1))
    [june_invoice] = services.billing_run_finalize(user=ops, run=june)
    charge_factory(
        reseller,
        subscription=first.subscription,
        kind="seat_increase",
        on=dt.date(2026, 6, 20),
        cost="11.11",
        price="13.00",
        quantity=1,
    )
    charge_factory(reseller, subscription=first.subscription, on=dt.date(2026, 7, 1), cost="100.00")
    return june_invoice


@pytest.mark.django_db
def test_a_charge_arriving_after_finalization_is_billed_once_as_an_adjustment(
    ops, us_reseller, charge_factory
):
    june_invoice = june_invoiced_then_a_late_seat(ops, us_reseller, charge_factory)
    july = run_for(ops, us_reseller, dt.date(2026, 7, 1))
    with scopes_disabled():
        kinds = sorted((x.kind, x.cost_amount) for x in BillingLine.objects.filter(run=july))
        assert kinds == [("adjustment", D("11.11")), ("cycle", D("100.00"))]
        assert Invoice.objects.get(pk=june_invoice.pk).total == D("100.00")
    [july_invoice] = services.billing_run_finalize(user=ops, run=july)
    assert july_invoice.total == D("111.11")
    # August does not bill it again
    august = run_for(ops, us_reseller, dt.date(2026, 8, 1))
    with scopes_disabled():
        assert not BillingLine.objects.filter(run=august).exists()


@pytest.mark.django_db
def test_periods_are_finalized_in_order(ops, us_reseller, charge_factory):
    charge_factory(us_reseller, on=dt.date(2026, 6, 1))
    charge_factory(us_reseller, on=dt.date(2026, 7, 1))
    run_for(ops, us_reseller, dt.date(2026, 6, 1))
    july = run_for(ops, us_reseller, dt.date(2026, 7, 1))
    with pytest.raises(ValidationError, match="Finalize the earlier period 2026-06-01"):
        services.billing_run_finalize(user=ops, run=july)


@pytest.mark.django_db
def test_price_book_change_mid_period_applies_from_the_next_period(
    ops, us_reseller, charge_factory, usage_factory
):
    with scopes_disabled():
        from subscriptions.catalog.models import ProductType

        azure = ProductType.objects.get(code="azure-plan")
    sub = charge_factory(us_reseller, cost="0.00", price="0.00").subscription
    with scopes_disabled():
        sub.offer.product_type = azure
        sub.offer.save()
    book = PriceBookFactory(reseller=us_reseller, customer=None, name="Default")
    PriceRuleFactory(
        book=book, product_type=azure, percent=D("10"), effective_from=dt.date(2026, 1, 1)
    )
    PriceRuleFactory(
        book=book, product_type=azure, percent=D("20"), effective_from=dt.date(2026, 6, 15)
    )
    usage_factory(sub, on=dt.date(2026, 5, 20), cost="200.00")
    usage_factory(sub, on=dt.date(2026, 6, 20), cost="200.00")
    june = run_for(ops, us_reseller, dt.date(2026, 6, 1))
    july = run_for(ops, us_reseller, dt.date(2026, 7, 1))
    with scopes_disabled():
        assert BillingLine.objects.get(run=june, kind="usage").price_amount == D("220.00")
        assert BillingLine.objects.get(run=july, kind="usage").price_amount == D("240.00")


def _written(reseller):
    """The run's ledger and invoices without database ids or timestamps."""
    with scopes_disabled():
        lines = sorted(
            BillingLine.objects.filter(reseller=reseller).values_list(
                "period_start",
                "period_end",
                "customer_id",
                "subscription_id",
                "kind",
                "product_type",
                "description",
                "quantity",
                "cost_amount",
                "price_amount",
                "currency",
            )
        )
        invoices = sorted(
            Invoice.objects.filter(reseller=reseller).values_list(
                "period_start", "currency", "subtotal", "tax_rate", "tax_amount", "total"
            )
        )
        invoice_lines = [
            (
                x.position,
                x.product_type,
                x.customer_name,
                x.description,
                x.quantity,
                x.amount,
                x.billing_line.subscription_id,
                x.billing_line.kind,
            )
            for invoice in Invoice.objects.filter(reseller=reseller).order_by(
                "period_start", "currency"
            )
            for x in document_lines(invoice)
        ]
    return lines, invoices, invoice_lines


@pytest.mark.skipif(
    connection.vendor != "postgresql", reason="other databases always write with bulk_create"
)
@pytest.mark.django_db
def test_copy_and_bulk_create_write_the_same_ledger_and_invoices(
    ops, us_reseller, charge_factory, usage_factory, monkeypatch
):
    from customers.models import Customer
    from subscriptions.catalog.models import ProductType

    # texts COPY must quote: comma, double quote, line break, a backslash
    odd = charge_factory(
        us_reseller, cost="100.00", price="120.00", offer_name='Office "E3", monthly\nplan \\ test'
    )
    with scopes_disabled():
        Customer.objects.filter(pk=odd.customer_id).update(company_name='Quote "Co", Ltd')
    charge_factory(
        us_reseller,
        subscription=odd.subscription,
        kind="seat_increase",
        on=dt.date(2026, 7, 10),
        cost="26.25",
        price="31.50",
        quantity=3,
    )
    charge_factory(
        us_reseller, on=dt.date(2026, 7, 3), kind="cancel", cost="-15.50", price="-18.60"
    )
    with scopes_disabled():
        azure = ProductType.objects.get(code="azure-plan")
    sub = charge_factory(us_reseller, cost="0.00", price="0.00").subscription
    with scopes_disabled():
        sub.offer.product_type = azure
        sub.offer.save()
    PriceRuleFactory(
        book=PriceBookFactory(reseller=us_reseller, customer=None),
        product_type=azure,
        percent=D("12"),
        effective_from=dt.date(2026, 1, 1),
    )
    PriceRuleFactory(
        book=PriceBookFactory(reseller=us_reseller, customer=sub.customer),
        kind="discount",
        percent=D("3"),
        effective_from=dt.date(2026, 1, 1),
    )
    usage_factory(sub, on=dt.date(2026, 6, 2), cost="10.1234567890", quantity="2.5")
    usage_factory(sub, on=dt.date(2026, 6, 30), cost="0.0015432115")
    june = run_for(ops, us_reseller, dt.date(2026, 6, 1))
    services.billing_run_finalize(user=ops, run=june)
    # two late charges of June, of two kinds: one adjustment line in July
    charge_factory(
        us_reseller,
        subscription=odd.subscription,
        kind="seat_increase",
        on=dt.date(2026, 6, 20),
        cost="11.11",
        price="13.00",
        quantity=1,
    )
    charge_factory(
        us_reseller,
        subscription=odd.subscription,
        kind="seat_decrease",
        on=dt.date(2026, 6, 25),
        cost="-2.22",
        price="-2.60",
        quantity=-1,
    )
    charge_factory(
        us_reseller,
        subscription=odd.subscription,
        on=dt.date(2026, 7, 1),
        cost="100.00",
        price="120.00",
    )

    monkeypatch.setattr(services, "FAST_INSERT", False)
    july = run_for(ops, us_reseller, dt.date(2026, 7, 1))
    by_bulk_create = _written(us_reseller)
    with scopes_disabled():
        Invoice.objects.filter(run=july).delete()
        BillingLine.objects.filter(run=july).delete()
    monkeypatch.setattr(services, "FAST_INSERT", True)
    services.billing_run_compute(run_id=july.pk)
    assert _written(us_reseller) == by_bulk_create
    # hand-checked: the late seat changes 11.11 − 2.22 = 8.89 (13.00 − 2.60 = 10.40); usage
    # 10.1234567890 + 0.0015432115 = 10.1250000005 → 10.13, customer book −3 % → 9.82125… → 9.82
    lines, invoices, _ = by_bulk_create
    assert sorted(
        (x[3] == odd.subscription_id, x[4], x[8], x[9])
        for x in lines
        if x[0] == dt.date(2026, 7, 1)
    ) == [
        (False, "cancel", D("-15.50"), D("-18.60")),
        (False, "usage", D("10.13"), D("9.82")),
        (True, "adjustment", D("8.89"), D("10.40")),
        (True, "cycle", D("100.00"), D("120.00")),
        (True, "seat_increase", D("26.25"), D("31.50")),
    ]
    assert [x[5] for x in invoices] == [D("100.00"), D("129.77")]
    with scopes_disabled():
        stored = {x.pk: x.updated_at for x in BillingLine.objects.filter(run=july)}
        invoices = list(Invoice.objects.filter(run=july).values_list("pk", "total"))
    for _ in range(3):
        services.billing_run_compute(run_id=july.pk)
    with scopes_disabled():
        assert {x.pk: x.updated_at for x in BillingLine.objects.filter(run=july)} == stored
        assert list(Invoice.objects.filter(run=july).values_list("pk", "total")) == invoices


@pytest.mark.django_db
def test_draft_invoice_follows_renames_currency_moves_and_tax_changes(
    ops, us_reseller, charge_factory, settings
):
    from customers.models import Customer
    from subscriptions.models import ChargeEvent

    a = charge_factory(us_reseller, cost="100.00", price="120.00")
    b = charge_factory(us_reseller, cost="40.00", price="50.00")
    run = run_for(ops, us_reseller, dt.date(2026, 6, 1))

    def invoice_lines():
        with scopes_disabled():
            return [
                (invoice.currency, x.position, x.customer_name, x.amount, x.billing_line_id)
                for invoice in Invoice.objects.filter(run=run).order_by("currency")
                for x in document_lines(invoice)
            ]

    # a renamed customer (same place in the order): its line is rewritten with the new name
    before = invoice_lines()
    with scopes_disabled():
        old = Customer.objects.get(pk=a.customer_id).company_name
        Customer.objects.filter(pk=a.customer_id).update(company_name=f"{old} (renamed)")
    run_for(ops, us_reseller, dt.date(2026, 6, 1))
    assert invoice_lines() == [
        (c, p, f"{n} (renamed)" if n == old else n, amount, line)
        for c, p, n, amount, line in before
    ]

    # a charge changes currency: its line moves to a CAD invoice; USD keeps the other one
    with scopes_disabled():
        ChargeEvent.objects.filter(pk=b.pk).update(currency="CAD")
    run_for(ops, us_reseller, dt.date(2026, 6, 1))
    with scopes_disabled():
        totals = dict(Invoice.objects.filter(run=run).values_list("currency", "total"))
    assert totals == {"USD": D("100.00"), "CAD": D("40.00")}
    assert [(x[0], x[1], x[3]) for x in invoice_lines()] == [
        ("CAD", 1, D("40.00")),
        ("USD", 1, D("100.00")),
    ]

    # a new tax rate changes the invoice's amounts; its lines stay the same
    lines = invoice_lines()
    settings.BILLING_TAX_RATES = {"US": "10"}
    run_for(ops, us_reseller, dt.date(2026, 6, 1))
    with scopes_disabled():
        usd = Invoice.objects.get(run=run, currency="USD")
    assert (usd.tax_amount, usd.total) == (D("10.00"), D("110.00"))
    assert invoice_lines() == lines

    # finalizing stores exactly the lines the drafts showed
    services.billing_run_finalize(user=ops, run=run)
    with scopes_disabled():
        assert (
            list(
                InvoiceLine.objects.filter(invoice__run=run)
                .order_by("invoice__currency", "position")
                .values_list(
                    "invoice__currency", "position", "customer_name", "amount", "billing_line_id"
                )
            )
            == lines
        )


@pytest.mark.django_db
def test_usage_of_one_subscription_under_two_customers_is_refused(
    ops, us_reseller, charge_factory, usage_factory
):
    from billing import selectors
    from billing.ledger import LedgerError
    from billing.usage import summary
    from billing.usage.models import UsageLine

    sub = charge_factory(us_reseller).subscription
    usage_factory(sub, on=dt.date(2026, 5, 3), cost="1.00")
    line = usage_factory(sub, on=dt.date(2026, 5, 4), cost="2.00")
    other = charge_factory(us_reseller).customer
    with scopes_disabled():
        UsageLine.objects.filter(pk=line.pk).update(customer=other, meter_id="m-2")
        summary.refresh({(sub.reseller_id, dt.date(2026, 5, 1))})  # as an import does
        period = BillingRun(period_start=dt.date(2026, 6, 1), period_end=dt.date(2026, 6, 30))
        with pytest.raises(LedgerError, match=f"subscription {sub.pk} names several customers"):
            selectors.ledger_inputs(us_reseller, period.period)


@pytest.mark.django_db
def test_the_dashboard_shows_a_finalized_period_as_invoiced(ops, us_reseller, charge_factory):
    """A charge dated in June recorded after June was invoiced is July's adjustment: the
    dashboard's June is what June's run billed, its July has the adjustment once."""
    from billing.periods import billing_period
    from billing.reports.dashboard import figures

    june_invoice = june_invoiced_then_a_late_seat(ops, us_reseller, charge_factory)
    with scopes_disabled():
        june_figures = figures(us_reseller, billing_period("US", dt.date(2026, 6, 1)))
        july_figures = figures(us_reseller, billing_period("US", dt.date(2026, 7, 1)))
    # the invoice bills the reseller at cost; the customers' price comes from the same ledger
    [june_money] = june_figures.money
    assert (june_money.cost, june_money.price) == (june_invoice.subtotal, D("120.00"))
    [july_money] = july_figures.money
    assert july_money.cost == D("111.11")  # July's cycle and June's late seat, once
    assert july_money.previous_price == D("120.00")
    # August, after a July not finalized: July (its previous period) as July shows itself,
    # the late seat counted in July again (June's run is still the last finalized)
    with scopes_disabled(), CaptureQueriesContext(connection) as august_queries:
        august_figures = figures(us_reseller, billing_period("US", dt.date(2026, 8, 1)))
    assert [m.previous_price for m in august_figures.money] == [july_money.price]
    # one query tells which of the two periods are finalized and which run was last before
    # each (not one more per period)
    runs = [q for q in august_queries.captured_queries if "billing_billingrun" in q["sql"]]
    assert len(runs) == 1
