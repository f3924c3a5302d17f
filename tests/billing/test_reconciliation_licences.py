"""Microsoft's billed invoice reconciliation (licence-based / New Commerce line items) pulled
through Microsoft Graph and compared with the portal's licence ledger lines."""

import datetime as dt
import re
from decimal import Decimal as D

import pytest
from django_scopes import scopes_disabled
from pytest_httpserver import HTTPServer

from billing import services, tasks
from billing.reconciliation import services as reconciliation
from billing.reconciliation.models import Difference, MicrosoftCharge, MicrosoftInvoice
from partner_center import graph_billing
from tests.partner_center.graph_fake import TOKEN, FakeGraph, gzip_json_lines

JUNE = dt.date(2026, 6, 1)
INVOICE = "G016907411"  # the invoiceId of Microsoft's export request example

# One billed invoice reconciliation line item, attribute names as Microsoft spells them: the
# billed invoice reconciliation API v2 (https://learn.microsoft.com/partner-center/developer/
# billed-invoice-reconciliation) exports the attributes of the invoice line item of
# microsoft/partner-center-sdk-for-dotNET Source/PartnerSdk.Models/Invoices/
# OneTimeInvoiceLineItem.cs (PartnerId … Subtotal, TaxTotal, TotalForCustomer, Currency …
# TermAndBillingCycle, BillableQuantity, BillingFrequency) as JSON lines in gzip blobs.
LINE = (
    '{"PartnerId": "0e195b37-4574-4539-bc42-0e539b9684c0", "CustomerId": "%(tenant)s",'
    ' "CustomerName": "Contoso", "CustomerDomainName": "contoso.onmicrosoft.com",'
    ' "CustomerCountry": "US", "InvoiceNumber": "G016907411", "MpnId": "6034453",'
    ' "ResellerMpnId": 6048879, "OrderId": "Kkl5gfzRAdRe8rYGlTaJcpD5wGU5v4lW",'
    ' "OrderDate": "2026-05-28T19:33:18.9567264Z", "ProductId": "CFQ7TTC0LH18",'
    ' "SkuId": "0001", "AvailabilityId": "CFQ7TTC0KDKC", "ProductName": "Microsoft 365 E3",'
    ' "SkuName": "Microsoft 365 E3", "ProductQualifiers": [], "ChargeType": "cycleCharge",'
    ' "UnitPrice": %(unit)s, "EffectiveUnitPrice": %(unit)s, "UnitType": "",'
    ' "Quantity": %(quantity)s, "Subtotal": %(subtotal)s, "TaxTotal": 0,'
    ' "TotalForCustomer": %(subtotal)s, "Currency": "USD", "PublisherName": "Microsoft",'
    ' "PublisherId": "", "SubscriptionDescription": "Microsoft 365 E3",'
    ' "SubscriptionId": "%(subscription)s", "SubscriptionStartDate": "2026-05-01T00:00:00Z",'
    ' "SubscriptionEndDate": "2027-04-30T00:00:00Z", "ChargeStartDate": "%(start)sT00:00:00Z",'
    ' "ChargeEndDate": "2026-06-30T00:00:00Z", "TermAndBillingCycle": "1 Year Monthly",'
    ' "AlternateId": "", "ReferenceId": "", "PriceAdjustmentDescription": "",'
    ' "PricingCurrency": "USD", "PCToBCExchangeRate": 1,'
    ' "PCToBCExchangeRateDate": "2026-05-31T00:00:00Z", "BillableQuantity": %(quantity)s,'
    ' "MeterDescription": "", "BillingFrequency": "Monthly", "ReservationOrderId": "",'
    ' "CreditReasonCode": "", "PromotionId": ""}'
)


def _line(sub, *, quantity, unit, subtotal, start="2026-06-01"):
    with scopes_disabled():
        tenant = str(sub.customer.tenant_id)
    return LINE % {
        "tenant": tenant,
        "subscription": sub.partner_center_id.upper(),  # ids are matched without case
        "quantity": quantity,
        "unit": unit,
        "subtotal": subtotal,
        "start": start,
    }


@pytest.fixture
def graph(httpserver: HTTPServer, settings):
    fake = FakeGraph(base_url=httpserver.url_for("").rstrip("/"))
    httpserver.expect_request(re.compile(".*")).respond_with_handler(fake)
    settings.PARTNER_CENTER_GATEWAY = "http"
    settings.GRAPH_BILLING_URL, settings.GRAPH_BILLING_TOKEN = f"{fake.base_url}/v1.0", TOKEN
    fake.retry_after = "0"
    return fake


def _found():
    with scopes_disabled():
        return sorted(
            (d.leg, d.reason, d.subscription_id, d.amount)
            for d in Difference.objects.filter(leg=Difference.Leg.MICROSOFT)
        )


@pytest.mark.django_db
def test_licence_lines_of_microsofts_invoice_against_the_ledger(
    graph, ops, us_reseller, charge_factory
):
    # the portal bills five licence subscriptions in June: 10 seats for 100.00 each ...
    subs = [charge_factory(us_reseller, cost="100.00", quantity=10).subscription for _ in range(4)]
    # ... and a fifth whose June charge the portal never recorded
    unbilled = charge_factory(us_reseller, cost="30.00", quantity=3, on=dt.date(2026, 5, 1))
    [run] = services.billing_run_start(user=ops, on_date=JUNE, reseller=us_reseller)
    services.billing_run_compute(run_id=run.pk)

    # before Microsoft's invoice is pulled, there is nothing billed to compare
    reconciliation.reconciliation_run(user=ops, period_start=JUNE)
    assert _found() == []

    graph.blobs = {
        "part-00000.c000.json.gz": gzip_json_lines(
            [
                _line(subs[0], quantity=10, unit="10", subtotal="100.00"),  # alike
                _line(subs[1], quantity=12, unit="10", subtotal="120.00"),  # 2 seats more
                _line(subs[2], quantity=10, unit="10.5", subtotal="105.00"),  # another price
                # subs[3]: Microsoft charged nothing
                _line(unbilled.subscription, quantity=3, unit="10", subtotal="30.00"),
                _line(subs[0], quantity=1, unit="1", subtotal="1").replace(
                    subs[0].partner_center_id.upper(), "6e1c0d2f-0000-4000-8000-00000000cafe"
                ),  # a subscription the portal does not know
            ]
        )
    }
    invoice = reconciliation.billed_reconciliation_pull(invoice_id=INVOICE)
    assert (invoice.status, invoice.lines, invoice.unknown_lines) == ("pulled", 4, 1)
    with scopes_disabled():
        charge = MicrosoftCharge.objects.get(subscription=subs[2])
        assert (charge.quantity, charge.unit_price, charge.subtotal, charge.currency) == (
            D("10"),
            D("10.5"),
            D("105.00"),
            "USD",
        )
        assert (charge.charge_start, charge.sku_name, charge.term_and_billing_cycle) == (
            JUNE,
            "Microsoft 365 E3",
            "1 Year Monthly",
        )

    result = reconciliation.reconciliation_run(user=ops, period_start=JUNE)
    expected = [
        ("microsoft", "missing_at_microsoft", subs[3].pk, D("100.00")),
        ("microsoft", "missing_in_portal", unbilled.subscription_id, D("-30.00")),
        ("microsoft", "quantity", subs[1].pk, D("-20.00")),
        ("microsoft", "unit_price", subs[2].pk, D("-5.00")),
    ]
    assert _found() == expected
    assert result.microsoft_lines == 4

    # pulling the invoice again changes nothing, nor does reconciling again
    again = reconciliation.billed_reconciliation_pull(invoice_id=INVOICE)
    assert (again.pk, again.lines) == (invoice.pk, 4)
    with scopes_disabled():
        assert MicrosoftCharge.objects.count() == 4
    reconciliation.reconciliation_run(user=ops, period_start=JUNE)
    assert _found() == expected


@pytest.mark.django_db
def test_the_beat_job_pulls_each_invoice_that_is_out_once(graph, monkeypatch):
    graph.blobs = {"part-00000.c000.json.gz": gzip_json_lines([])}
    out = [graph_billing.Invoice(INVOICE, dt.date(2026, 7, 5), JUNE, dt.date(2026, 6, 30))]
    monkeypatch.setattr(graph_billing.GraphBilling, "invoices_out", lambda self, since: out)
    assert tasks.pull_billed_reconciliation() == 1
    with scopes_disabled():
        invoice = MicrosoftInvoice.objects.get()
    assert (invoice.invoice_id, invoice.status, invoice.billing_period_start) == (
        INVOICE,
        "pulled",
        JUNE,
    )
    assert tasks.pull_billed_reconciliation() == 0  # pulled already


@pytest.mark.django_db
def test_a_failed_export_is_recorded_and_pulled_again_next_time(graph, monkeypatch):
    graph.fail = True
    invoice = reconciliation.billed_reconciliation_pull(invoice_id=INVOICE)
    assert (invoice.status, invoice.error) == (
        "failed",
        "The export failed: 5000 No data available",
    )
    out = [graph_billing.Invoice(INVOICE, dt.date(2026, 7, 5), JUNE, dt.date(2026, 6, 30))]
    monkeypatch.setattr(graph_billing.GraphBilling, "invoices_out", lambda self, since: out)
    graph.fail = False
    graph.blobs = {"part-00000.c000.json.gz": gzip_json_lines([])}
    assert tasks.pull_billed_reconciliation() == 1
    with scopes_disabled():
        assert MicrosoftInvoice.objects.get().status == "pulled"
