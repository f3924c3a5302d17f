"""Reseller billing pages and ops run pages: what users see, roles, isolation, query counts."""

import datetime as dt
from decimal import Decimal as D

import pytest
import time_machine
from django.urls import reverse
from django_scopes import scopes_disabled

from billing import services
from billing.models import BillingRun, CreditNote, Invoice
from portal.roles import Role
from tests.factories import InvoiceFactory
from tests.isolation import crawl

JUNE_10 = dt.datetime(2026, 6, 10, 12, 0, tzinfo=dt.UTC)


@pytest.fixture
def billed(ops, us_reseller, charge_factory, django_capture_on_commit_callbacks):
    """Alpha Cloud's June run, finalized with its PDF; a second customer's charge included."""
    charge_factory(us_reseller, cost="100.00", price="120.00", offer_name="Microsoft 365 E3")
    charge_factory(us_reseller, cost="25.50", price="30.00", offer_name="Teams Essentials")
    [run] = services.billing_run_start(user=ops, on_date=dt.date(2026, 6, 1), reseller=us_reseller)
    services.billing_run_compute(run_id=run.pk)
    with django_capture_on_commit_callbacks(execute=True):
        [invoice] = services.billing_run_finalize(user=ops, run=run)
    return invoice


@pytest.mark.django_db
def test_home_shows_the_country_period_and_invoices_with_totals(
    billed, us_reseller, member_of, client_for, django_assert_max_num_queries
):
    client = client_for(member_of(us_reseller, Role.BILLING))
    for _ in range(5):  # more invoices must not mean more queries
        InvoiceFactory(run__reseller=us_reseller)
    with time_machine.travel(JUNE_10, tick=False), django_assert_max_num_queries(12):
        response = client.get(reverse("billing:home"))
    body = response.content.decode()
    assert response.status_code == 200
    assert "2026-06-01 – 2026-06-30" in body
    assert billed.number in body and "125.50" in body and "Finalized" in body
    assert reverse("billing:invoice_pdf", kwargs={"invoice_id": billed.pk}) in body


@pytest.mark.django_db
def test_canadian_reseller_sees_its_20th_to_19th_period(ca_reseller, member_of, client_for):
    client = client_for(member_of(ca_reseller, Role.VIEWER))
    with time_machine.travel(dt.datetime(2026, 6, 19, 23, 0, tzinfo=dt.UTC), tick=False):
        body = client.get(reverse("billing:home")).content.decode()
    assert "2026-05-20 – 2026-06-19" in body


@pytest.mark.django_db
def test_invoice_page_and_pdf_download(billed, us_reseller, member_of, client_for):
    client = client_for(member_of(us_reseller, Role.OWNER))
    body = client.get(reverse("billing:invoice", kwargs={"invoice_id": billed.pk})).content.decode()
    assert f"Invoice {billed.number}" in body and "Microsoft 365 E3" in body
    assert "125.50" in body
    response = client.get(reverse("billing:invoice_pdf", kwargs={"invoice_id": billed.pk}))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == f'attachment; filename="{billed.number}.pdf"'
    assert b"".join(response.streaming_content).startswith(b"%PDF")


@pytest.mark.django_db
def test_draft_preview_equals_what_is_finalized(
    ops, us_reseller, charge_factory, member_of, client_for, django_capture_on_commit_callbacks
):
    charge_factory(us_reseller, cost="77.77", offer_name="Visio Plan 2")
    with django_capture_on_commit_callbacks(execute=True):
        [run] = services.billing_run_start(
            user=ops, on_date=dt.date(2026, 6, 1), reseller=us_reseller
        )
    client = client_for(member_of(us_reseller, Role.ADMIN))
    with scopes_disabled():
        draft = Invoice.objects.get(run=run)
    url = reverse("billing:invoice", kwargs={"invoice_id": draft.pk})
    preview = client.get(url).content.decode()
    assert "Draft preview" in preview and "77.77" in preview and "Visio Plan 2" in preview
    services.billing_run_finalize(user=ops, run=run)
    final = client.get(url).content.decode()
    with scopes_disabled():
        draft.refresh_from_db()
    assert f"Invoice {draft.number}" in final
    assert draft.total == D("77.77")


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("role", "sees_money"),
    [
        (Role.OWNER, True),
        (Role.ADMIN, True),
        (Role.BILLING, True),
        (Role.SALES, False),
        (Role.VIEWER, False),
    ],
)
def test_money_only_for_roles_with_billing_view_money(
    billed, us_reseller, member_of, client_for, role, sees_money
):
    client = client_for(member_of(us_reseller, role))
    home = client.get(reverse("billing:home")).content.decode()
    assert ("125.50" in home) is sees_money
    assert home.count(billed.number) == (1 if sees_money else 0)
    for url in (
        reverse("billing:invoice", kwargs={"invoice_id": billed.pk}),
        reverse("billing:invoice_pdf", kwargs={"invoice_id": billed.pk}),
        reverse("billing:statements"),
    ):
        assert client.get(url).status_code == (200 if sees_money else 403), url


@pytest.mark.django_db
def test_customer_statements_show_prices_per_customer(billed, us_reseller, member_of, client_for):
    client = client_for(member_of(us_reseller, Role.BILLING))
    body = client.get(reverse("billing:statements") + "?period=2026-06-15").content.decode()
    assert "120.00 USD" in body and "30.00 USD" in body
    with scopes_disabled():
        customer = billed.run.lines.order_by("price_amount").last().customer
    url = reverse("billing:statement", kwargs={"customer_id": customer.pk})
    body = client.get(url + "?period=2026-06-01").content.decode()
    assert customer.company_name in body and "Microsoft 365 E3" in body
    assert "120.00 USD" in body and "30.00" not in body


@pytest.mark.django_db
def test_billing_pages_do_not_leak_across_resellers(
    billed, us_reseller, reseller_b, member_of, client_for
):
    client = client_for(member_of(reseller_b, Role.OWNER))
    for name, kwargs in (
        ("billing:invoice", {"invoice_id": billed.pk}),
        ("billing:invoice_pdf", {"invoice_id": billed.pk}),
    ):
        assert client.get(reverse(name, kwargs=kwargs)).status_code == 404
    with scopes_disabled():
        customer = billed.run.lines.first().customer
    assert (
        client.get(reverse("billing:statement", kwargs={"customer_id": customer.pk})).status_code
        == 404
    )
    body = client.get(reverse("billing:home")).content.decode()
    assert billed.number not in body
    report = crawl(
        client_b=client,
        reseller_a=us_reseller,
        member_a=member_of(us_reseller, Role.OWNER),
        a_markers=[billed.number, customer.company_name],
    )
    assert report.leaks == []


@pytest.mark.django_db
def test_ops_start_finalize_and_credit_from_the_pages(
    settings,
    ops,
    us_reseller,
    ca_reseller,
    charge_factory,
    client,
    django_capture_on_commit_callbacks,
):
    settings.STAFF_MFA_REQUIRED = False
    charge_factory(us_reseller, cost="10.00")
    charge_factory(ca_reseller, on=dt.date(2026, 6, 25), cost="20.00")
    client.force_login(ops)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("billing_runs_ops:runs"), {"on_date": "2026-06-25"})
    assert response.status_code == 302
    body = client.get(response.url).content.decode()
    assert "2 billing run(s) queued" in body
    assert "2026-06-01 – 2026-06-30" in body and "2026-06-20 – 2026-07-19" in body
    assert "Computed (draft)" in body
    with scopes_disabled():
        run = BillingRun.objects.get(reseller=us_reseller)
    body = client.post(
        reverse("billing_runs_ops:finalize", kwargs={"run_id": run.pk}), follow=True
    ).content.decode()
    assert "Finalized: INV-" in body
    with scopes_disabled():
        invoice = Invoice.objects.get(run=run)
        line = invoice.lines.get()
    body = client.post(
        reverse("billing_runs_ops:credit", kwargs={"invoice_id": invoice.pk}),
        {"reason": "Goodwill", "lines": [str(line.pk)]},
        follow=True,
    ).content.decode()
    assert "Credit note CN-" in body and "-10.00" in body
    with scopes_disabled():
        assert CreditNote.objects.get().total == D("-10.00")


@pytest.mark.django_db
def test_ops_pages_refuse_resellers(us_reseller, member_of, client_for):
    client = client_for(member_of(us_reseller, Role.OWNER))
    assert client.get(reverse("billing_runs_ops:runs")).status_code == 403
    assert (
        client.post(reverse("billing_runs_ops:runs"), {"on_date": "2026-06-01"}).status_code == 403
    )
    with scopes_disabled():
        assert not BillingRun.objects.exists()
