"""Customer statement PDFs (rendered when a run is finalized, one task each) and the charts
inside invoice and statement PDFs."""

import datetime as dt
import io
import os

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.urls import reverse
from django_scopes import scope, scopes_disabled
from PIL import Image
from pypdf import PdfReader

from billing import pdf, services, statements
from billing.models import BillingLine, Invoice, Statement
from portal.roles import Role
from subscriptions.catalog.models import ProductType
from tests.factories import CustomerFactory, LedgerSubscriptionFactory, OfferFactory


def pdf_text(data: bytes) -> str:
    return "".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)


def finalize(ops, reseller, on_commit, on_date=dt.date(2026, 6, 1)):
    """Run and finalize `reseller`'s period, executing the PDF tasks queued on commit."""
    [run] = services.billing_run_start(user=ops, on_date=on_date, reseller=reseller)
    services.billing_run_compute(run_id=run.pk)
    with on_commit(execute=True):
        services.billing_run_finalize(user=ops, run=run)
    return run


@pytest.fixture
def customer(us_reseller):
    return CustomerFactory(
        reseller=us_reseller,
        company_name="Contoso Dental Group",
        city="Springfield",
        postal_code="62701",
        currency="USD",
    )


@pytest.fixture
def two_product_types(us_reseller, customer, charge_factory):
    """Contoso: a Microsoft 365 licence (NCE) and a software subscription; plus another
    customer, whose charges must not appear on Contoso's statement."""
    charge_factory(
        us_reseller, customer=customer, cost="100.00", price="120.00", offer_name="Microsoft 365 E3"
    )
    software = OfferFactory(
        name="SQL Server Standard",
        product_type=ProductType.objects.get(code="software-subscription"),
    )
    charge_factory(
        us_reseller,
        cost="25.50",
        price="30.25",
        subscription=LedgerSubscriptionFactory(customer=customer, offer=software, currency="USD"),
    )
    charge_factory(us_reseller, cost="9.00", price="11.00", offer_name="Visio Plan 2")


@pytest.fixture
def finalized(ops, us_reseller, two_product_types, django_capture_on_commit_callbacks):
    return finalize(ops, us_reseller, django_capture_on_commit_callbacks)


def statement_of(customer) -> Statement:
    with scopes_disabled():
        return Statement.objects.select_related("reseller", "customer").get(customer=customer)


@pytest.mark.django_db
def test_finalizing_a_run_renders_one_statement_pdf_per_customer(finalized, us_reseller, customer):
    with scopes_disabled():
        assert Statement.objects.filter(run=finalized).count() == 2
        assert all(s.pdf for s in Statement.objects.all())
    statement = statement_of(customer)
    with statement.pdf.open("rb") as f:
        data = f.read()
    assert data.startswith(b"%PDF")
    text = pdf_text(data)
    assert us_reseller.name in text and "Contoso Dental Group" in text and "62701" in text
    assert "2026-06-01 – 2026-06-30" in text
    assert f"Statement {statement.reference}" in text
    assert "Microsoft 365 E3" in text and "SQL Server Standard" in text
    assert "120.00" in text and "30.25" in text and "Total USD 150.25" in text
    assert "Azure Marketplace one-time charges" in text
    assert "not a tax invoice" in text
    # the customer's prices only: no distributor cost, no other customer
    assert "100.00" not in text and "25.50" not in text and "Visio Plan 2" not in text


@pytest.mark.django_db
def test_statement_and_invoice_html_carry_a_chart_per_product_type(
    finalized, us_reseller, customer
):
    us_reseller.logo.save("logo.png", ContentFile(_png()), save=True)
    statement = statement_of(customer)
    with scope(reseller=us_reseller):
        lines = list(BillingLine.objects.filter(customer=customer))
        html = pdf.statement_html(statement=statement, lines=lines)
        invoice = Invoice.objects.get(run=finalized)
        invoice_html = pdf.document_html(invoice)
    for page in (html, invoice_html):
        chart = page[page.index("<svg") : page.index("</svg>")]
        assert "Software subscription" in chart and "New Commerce" in chart
        assert "<script" not in chart
    assert "150.25" not in html[html.index("<svg") :]  # a bar per product type, no total bar
    assert "120.00" in html[html.index("<svg") :] and "30.25" in html[html.index("<svg") :]
    invoice_chart = invoice_html[invoice_html.index("<svg") :]
    assert "109.00" in invoice_chart and "25.50" in invoice_chart  # NCE: 100.00 + 9.00
    assert 'src="data:image/png;base64,' in html
    # WeasyPrint renders both with the chart and the logo
    assert pdf.to_pdf(html).startswith(b"%PDF")
    assert "Total USD 150.25" in pdf_text(pdf.to_pdf(html))
    assert "Amount per product type" in pdf_text(pdf.to_pdf(invoice_html))


def _png() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (120, 40), "#0b5cad").save(out, format="PNG")
    return out.getvalue()


@pytest.fixture
def media(settings, tmp_path):
    """An empty default storage: files of earlier tests cannot hide a second file."""
    settings.MEDIA_ROOT = tmp_path


@pytest.mark.django_db
def test_rendering_twice_stores_one_file_and_queueing_twice_one_statement(
    media, finalized, us_reseller, customer, django_capture_on_commit_callbacks
):
    statement = statement_of(customer)
    folder = os.path.dirname(statement.pdf.name)
    with scopes_disabled():
        names = sorted(os.path.basename(s.pdf.name) for s in Statement.objects.all())
    assert sorted(default_storage.listdir(folder)[1]) == names
    statements.statement_pdf_task.delay(statement.pk)
    statements.statement_pdf_task.delay(statement.pk)
    assert statement_of(customer).pdf.name == statement.pdf.name
    assert sorted(default_storage.listdir(folder)[1]) == names
    with scope(reseller=us_reseller), django_capture_on_commit_callbacks(execute=True):
        ids = statements.run_statements_queue(finalized)
    with scopes_disabled():
        assert sorted(Statement.objects.values_list("pk", flat=True)) == sorted(ids)
        assert len(ids) == 2
    assert sorted(default_storage.listdir(folder)[1]) == names


@pytest.mark.django_db
def test_a_draft_period_has_no_statement_pdf(
    ops, us_reseller, customer, two_product_types, member_of, client_for
):
    [run] = services.billing_run_start(user=ops, on_date=dt.date(2026, 6, 1), reseller=us_reseller)
    services.billing_run_compute(run_id=run.pk)
    with scopes_disabled():
        assert not Statement.objects.exists()
    client = client_for(member_of(us_reseller, Role.BILLING))
    page = client.get(reverse("billing:statements") + "?period=2026-06-01").content.decode()
    assert "PDF once the period is finalized" in page and "Download PDF" not in page
    url = reverse("billing:statement_pdf", kwargs={"customer_id": customer.pk})
    assert client.get(url + "?period=2026-06-01").status_code == 404


@pytest.mark.django_db
def test_statement_pages_link_the_pdf_and_download_it(
    finalized, us_reseller, customer, member_of, client_for, django_assert_max_num_queries
):
    client = client_for(member_of(us_reseller, Role.BILLING))
    statement = statement_of(customer)
    pdf_url = (
        reverse("billing:statement_pdf", kwargs={"customer_id": customer.pk}) + "?period=2026-06-01"
    )
    with django_assert_max_num_queries(12):
        page = client.get(reverse("billing:statements") + "?period=2026-06-01")
    assert page.content.decode().count("Download PDF") == 2
    assert pdf_url.replace("&", "&amp;") in page.content.decode()
    detail = client.get(
        reverse("billing:statement", kwargs={"customer_id": customer.pk}) + "?period=2026-06-01"
    ).content.decode()
    assert "Download PDF" in detail and pdf_url in detail
    response = client.get(pdf_url)
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == (f'attachment; filename="{statement.reference}.pdf"')
    assert "Contoso Dental Group" in pdf_text(b"".join(response.streaming_content))


@pytest.mark.django_db
def test_statements_page_queries_do_not_grow_with_customers(
    ops,
    us_reseller,
    charge_factory,
    member_of,
    client_for,
    django_capture_on_commit_callbacks,
    django_assert_num_queries,
):
    charge_factory(us_reseller, cost="1.00")
    finalize(ops, us_reseller, django_capture_on_commit_callbacks)
    client = client_for(member_of(us_reseller, Role.OWNER))
    url = reverse("billing:statements") + "?period=2026-06-01"
    client.get(url)
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as one:
        client.get(url)
    for _ in range(4):
        charge_factory(us_reseller, on=dt.date(2026, 7, 1), cost="1.00")
    finalize(ops, us_reseller, django_capture_on_commit_callbacks, on_date=dt.date(2026, 7, 1))
    with django_assert_num_queries(len(one)):
        body = client.get(reverse("billing:statements") + "?period=2026-07-01").content
    assert body.decode().count("Download PDF") == 4


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("role", "status"),
    [
        (Role.OWNER, 200),
        (Role.ADMIN, 200),
        (Role.BILLING, 200),
        (Role.SALES, 403),
        (Role.VIEWER, 403),
    ],
)
def test_only_money_roles_download(
    finalized, us_reseller, customer, member_of, client_for, role, status
):
    client = client_for(member_of(us_reseller, role))
    url = reverse("billing:statement_pdf", kwargs={"customer_id": customer.pk})
    assert client.get(url + "?period=2026-06-01").status_code == status


@pytest.mark.django_db
def test_another_resellers_statement_is_not_found(
    finalized, customer, reseller_b, member_of, client_for
):
    client = client_for(member_of(reseller_b, Role.OWNER))
    url = reverse("billing:statement_pdf", kwargs={"customer_id": customer.pk})
    for query in ("", "?period=2026-06-01"):
        assert client.get(url + query).status_code == 404


@pytest.mark.django_db
def test_operations_render_a_missing_pdf_again_from_the_admin(
    media, finalized, customer, client, settings, django_capture_on_commit_callbacks
):
    """For a render task that failed for good: the admin action queues the missing PDFs only."""
    from tests.factories import UserFactory

    statement = statement_of(customer)
    with scopes_disabled():
        Statement.objects.filter(pk=statement.pk).update(pdf="")
        ids = [str(pk) for pk in Statement.objects.values_list("pk", flat=True)]
    settings.STAFF_MFA_REQUIRED = False
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    with django_capture_on_commit_callbacks(execute=True):
        page = client.post(
            reverse("admin:billing_statement_changelist"),
            {"action": "render_missing_pdfs", "_selected_action": ids},
            follow=True,
        ).content.decode()
    assert f"1 statement PDF(s) queued; {len(ids) - 1} already had one." in page
    again = statement_of(customer)
    assert again.pdf and "Contoso Dental Group" in pdf_text(again.pdf.read())


@pytest.fixture
def debug_urls(settings):
    """The URLs as `make run` builds them (DEBUG on)."""
    import importlib

    from django.urls import clear_url_caches

    import portal.urls

    settings.DEBUG = True
    importlib.reload(portal.urls)
    clear_url_caches()
    yield
    settings.DEBUG = False
    importlib.reload(portal.urls)
    clear_url_caches()


@pytest.mark.django_db
def test_documents_have_unguessable_names_and_no_media_url_even_with_debug(
    media, finalized, us_reseller, customer, reseller_b, member_of, client_for, debug_urls
):
    import re

    statement = statement_of(customer)
    with scopes_disabled():
        invoice = Invoice.objects.get(reseller=us_reseller)
    for doc in (statement, invoice):
        assert re.fullmatch(r"billing/(statements|pdf)/[0-9a-f]{32}\.pdf", doc.pdf.name)
        assert statement.reference not in doc.pdf.name
    outsider = client_for(member_of(reseller_b, Role.OWNER))
    for path in (
        f"/media/{statement.pdf.name}",
        f"/media/{invoice.pdf.name}",
        f"/media/billing/statements/2026/06/{statement.reference}.pdf",
    ):
        assert outsider.get(path).status_code == 404
    url = (
        reverse("billing:statement_pdf", kwargs={"customer_id": customer.pk}) + "?period=2026-06-01"
    )
    assert outsider.get(url).status_code == 404  # another reseller's customer: not found
    owner = client_for(member_of(us_reseller, Role.BILLING))
    assert owner.get(url).status_code == 200
    # the public logos are still served in development
    default_storage.save("branding/logo.png", ContentFile(b"\x89PNG logo"))
    assert owner.get("/media/branding/logo.png").status_code == 200
