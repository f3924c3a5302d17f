"""Invoices readable at any size: the invoice PDF shows totals per product type and per customer
(a few pages for 1,000 lines), carries the lines as CSV and XLSX attachments; the invoice page
links those downloads and prepares a PDF of every line on request (a task on the pdf queue),
whose link appears when it is ready."""

import csv
import datetime as dt
import io
from decimal import Decimal as D

import openpyxl
import pytest
from django.urls import reverse
from django_scopes import scopes_disabled
from pypdf import PdfReader

from billing import services
from billing.invoice_files import lines_csv, lines_xlsx
from billing.models import BillingLine, Invoice
from billing.selectors import document_lines
from portal import numbers
from portal.models import AuditEvent
from portal.roles import Role
from subscriptions.catalog.models import ProductType
from subscriptions.models import ChargeEvent, Subscription
from tests.factories import CustomerFactory, LedgerSubscriptionFactory, OfferFactory

pytestmark = pytest.mark.django_db

KINDS = [kind for kind, _ in ChargeEvent.Kind.choices][:10]  # 10 ledger lines a subscription


def big_invoice(ops, reseller, *, subscriptions=100, customers=45, finalize=True, pdf=False):
    """`reseller`'s June invoice with subscriptions × 10 lines (one per charge kind) over
    `customers` customers and two product types, amounts with odd cents."""
    offers = [
        OfferFactory(name="Microsoft 365 E3", product_type=ProductType.objects.get(code="nce")),
        OfferFactory(
            name="Dynamics 365 Sales",
            product_type=ProductType.objects.get(code="software-subscription"),
        ),
    ]
    people = [
        CustomerFactory(reseller=reseller, company_name=f"Customer {n:03d}")
        for n in range(customers)
    ]
    with scopes_disabled():
        subs = Subscription.objects.bulk_create(
            [
                LedgerSubscriptionFactory.build(
                    customer=people[n % customers], reseller=reseller, offer=offers[n % 2]
                )
                for n in range(subscriptions)
            ]
        )
        ChargeEvent.objects.bulk_create(
            [
                ChargeEvent(
                    reseller=reseller,
                    customer_id=sub.customer_id,
                    subscription=sub,
                    kind=kind,
                    key=f"big-{sub.pk}-{kind}",
                    charge_date=dt.date(2026, 6, 1 + k),
                    cycle_start=dt.date(2026, 6, 1),
                    cycle_end=dt.date(2026, 6, 30),
                    quantity=k + 1,
                    billing_days=30,
                    cycle_days=30,
                    unit_cost=D("10"),
                    unit_price=D("12"),
                    cost_amount=D(f"{n + 1}.{(n * 7 + k * 13) % 100:02d}"),
                    price_amount=D(f"{n + 2}.{(n * 3 + k) % 100:02d}"),
                    currency="USD",
                )
                for n, sub in enumerate(subs)
                for k, kind in enumerate(KINDS)
            ]
        )
    [run] = services.billing_run_start(user=ops, on_date=dt.date(2026, 6, 1), reseller=reseller)
    services.billing_run_compute(run_id=run.pk)
    if finalize:
        [invoice] = services.billing_run_finalize(user=ops, run=run)
    if pdf:  # as the task queued on commit does
        with scopes_disabled():
            invoice_id = Invoice.objects.get(run=run).pk
        services.document_render_pdf(kind="invoice", document_id=invoice_id)
    with scopes_disabled():
        return Invoice.objects.select_related("reseller").get(run=run)


def usd(value: D) -> str:
    """An amount as documents print it (portal/numbers.py): 25,247.50."""
    return numbers.amount(value, "USD")


def pdf_text(data: bytes) -> tuple[int, str]:
    reader = PdfReader(io.BytesIO(data))
    return len(reader.pages), "\n".join(page.extract_text() for page in reader.pages)


def test_a_1000_line_invoice_pdf_has_a_few_pages_totals_to_the_cent_and_its_lines_attached(
    ops, us_reseller
):
    from billing.pdf import render_invoice

    invoice = big_invoice(ops, us_reseller)
    with scopes_disabled():
        ledger = list(BillingLine.objects.filter(run=invoice.run))
        lines = document_lines(invoice)
        data = render_invoice(invoice)
    assert len(ledger) == len(lines) == 1000
    pages, text = pdf_text(data)
    assert pages <= 4, pages  # the 1,000 lines in detail took 45 pages
    # totals per product type and per customer, to the cent, as the ledger sums them
    by_type: dict[str, list[D]] = {}
    by_customer: dict[str, dict[str, D]] = {}
    for line in ledger:
        by_type.setdefault(line.product_type, []).append(line.cost_amount)
        per = by_customer.setdefault(line.customer.company_name, {})
        per[line.product_type] = per.get(line.product_type, D(0)) + line.cost_amount
    assert sum(sum(x) for x in by_type.values()) == invoice.subtotal == invoice.total
    for product_type, amounts in by_type.items():
        assert f"{product_type.split(' (')[0]}" in text
        assert f"{len(amounts)} {usd(sum(amounts))}\n" in text
    assert len(by_customer) == 45
    for name, per in by_customer.items():
        cells = [per[t] for t in sorted(by_type) if t in per]
        assert f"{name} {' '.join(map(usd, cells))} {usd(sum(cells))}\n" in text, name
    assert sum(len(per) for per in by_customer.values()) == 90  # two product types each
    assert f"Total USD {usd(invoice.total)}" in text
    assert "1000 lines: attached to this PDF as CSV and XLSX files" in text
    # the attachments: the lines, summing to the invoice's subtotal
    reader = PdfReader(io.BytesIO(data))
    files = {name: contents[0] for name, contents in reader.attachments.items()}
    assert set(files) == {f"{invoice.number}-lines.csv", f"{invoice.number}-lines.xlsx"}
    rows = list(
        csv.DictReader(io.StringIO(files[f"{invoice.number}-lines.csv"].decode("utf-8-sig")))
    )
    assert len(rows) == 1000
    assert sum(D(r["Amount"]) for r in rows) == invoice.subtotal
    sheet = openpyxl.load_workbook(io.BytesIO(files[f"{invoice.number}-lines.xlsx"]))["Lines"]
    amounts = [row[5] for row in sheet.iter_rows(min_row=2, values_only=True)]
    assert len(amounts) == 1000
    assert sum(D(str(a)) for a in amounts) == invoice.subtotal


def test_a_small_invoice_pdf_still_lists_its_lines(ops, us_reseller):
    from billing.pdf import render_invoice

    invoice = big_invoice(ops, us_reseller, subscriptions=3, customers=2)
    with scopes_disabled():
        pages, text = pdf_text(render_invoice(invoice))
    assert pages <= 3
    assert "Microsoft 365 E3 (P1M) — Billing cycle" in text  # 30 lines: each one shown
    assert "Totals per customer" not in text


def test_invoice_page_links_csv_xlsx_and_prepares_the_detail_pdf_on_request(
    ops, us_reseller, member_of, client_for, django_capture_on_commit_callbacks
):
    invoice = big_invoice(ops, us_reseller, subscriptions=12, customers=5, pdf=True)
    client = client_for(member_of(us_reseller, Role.BILLING))
    page = reverse("billing:invoice", kwargs={"invoice_id": invoice.pk})
    detail = reverse("billing:invoice_detail_pdf", kwargs={"invoice_id": invoice.pk})
    body = client.get(page).content.decode()
    for name in ("invoice_pdf", "invoice_lines_csv", "invoice_lines_xlsx"):
        assert reverse(f"billing:{name}", kwargs={"invoice_id": invoice.pk}) in body
    assert "Prepare a PDF of every line" in body
    assert client.get(detail).status_code == 404  # not asked for yet

    response = client.get(reverse("billing:invoice_lines_csv", kwargs={"invoice_id": invoice.pk}))
    assert response["Content-Disposition"] == f'attachment; filename="{invoice.number}-lines.csv"'
    rows = list(csv.DictReader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert len(rows) == 120 and sum(D(r["Amount"]) for r in rows) == invoice.subtotal
    response = client.get(reverse("billing:invoice_lines_xlsx", kwargs={"invoice_id": invoice.pk}))
    sheet = openpyxl.load_workbook(io.BytesIO(response.content))["Lines"]
    assert sum(D(str(r[5])) for r in sheet.iter_rows(min_row=2, values_only=True)) == (
        invoice.subtotal
    )

    # asked for: the task renders it on commit (eager here), the link replaces the button
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(detail, headers={"HX-Request": "true"})
    assert "Preparing the PDF of every line" in response.content.decode()
    body = client.get(page).content.decode()
    assert 'data-testid="detail-pdf"' in body and "Prepare a PDF" not in body
    response = client.get(detail)
    pages, text = pdf_text(b"".join(response.streaming_content))
    assert pages >= 3 and text.count("Microsoft 365 E3 (P1M) — Billing cycle") == 6
    with scopes_disabled():
        assert AuditEvent.objects.filter(action="billing.invoice.detail_requested").count() == 1
        stored = Invoice.objects.get(pk=invoice.pk).detail_pdf.name
    # asking again renders nothing new
    with django_capture_on_commit_callbacks(execute=True):
        client.post(detail)
    with scopes_disabled():
        assert Invoice.objects.get(pk=invoice.pk).detail_pdf.name == stored


def test_a_draft_drops_its_detail_pdf_when_its_pdf_is_rendered_again(
    ops, us_reseller, member_of, client_for, django_capture_on_commit_callbacks
):
    invoice = big_invoice(ops, us_reseller, subscriptions=2, customers=1, finalize=False)
    client = client_for(member_of(us_reseller, Role.OWNER))
    detail = reverse("billing:invoice_detail_pdf", kwargs={"invoice_id": invoice.pk})
    with django_capture_on_commit_callbacks(execute=True):
        client.post(detail)
    assert client.get(detail).status_code == 200
    services.document_render_pdf(kind="invoice", document_id=invoice.pk)  # the run recomputed
    assert client.get(detail).status_code == 404
    with scopes_disabled():
        invoice = Invoice.objects.get(pk=invoice.pk)
    assert not invoice.detail_pdf and invoice.detail_requested_at is None


def test_other_resellers_and_roles_without_money_get_nothing(
    ops, us_reseller, ca_reseller, member_of, client_for
):
    invoice = big_invoice(ops, us_reseller, subscriptions=1, customers=1)
    urls = [
        reverse(f"billing:{name}", kwargs={"invoice_id": invoice.pk})
        for name in ("invoice_lines_csv", "invoice_lines_xlsx", "invoice_detail_pdf")
    ]
    outsider = client_for(member_of(ca_reseller, Role.OWNER))
    assert [outsider.get(url).status_code for url in urls] == [404] * 3
    assert outsider.post(urls[2]).status_code == 404
    viewer = client_for(member_of(us_reseller, Role.VIEWER))
    assert [viewer.get(url).status_code for url in urls] == [403] * 3
    assert viewer.post(urls[2]).status_code == 403
    with scopes_disabled():
        assert Invoice.objects.get(pk=invoice.pk).detail_requested_at is None


def test_csv_and_xlsx_keep_texts_as_texts():
    from types import SimpleNamespace

    doc = SimpleNamespace(number="INV-2026-000001", pk=1, currency="USD")
    lines = [
        SimpleNamespace(
            position=1,
            product_type="New Commerce",
            customer_name="=HYPERLINK(1)",
            description="Seats, 30",
            quantity=D("30.0000000000"),
            amount=D("-12.30"),
        )
    ]
    assert lines_csv(doc, lines).decode("utf-8-sig").splitlines()[1] == (
        '1,New Commerce,\'=HYPERLINK(1),"Seats, 30",30,-12.30,USD'
    )
    row = next(
        openpyxl.load_workbook(io.BytesIO(lines_xlsx(doc, lines)))["Lines"].iter_rows(
            min_row=2, values_only=True
        )
    )
    assert row == (1, "New Commerce", "=HYPERLINK(1)", "Seats, 30", 30, -12.3, "USD")
