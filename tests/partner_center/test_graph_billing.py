"""Microsoft Graph partner billing exports: the HTTP client against a fake written from
Microsoft's documented shapes (graph_fake.py), the sandbox's exports, and the daily pull."""

import gzip
import json
import re
from datetime import date
from decimal import Decimal

import pytest
from django_scopes import scopes_disabled
from pytest_httpserver import HTTPServer

from partner_center import graph_billing
from partner_center.errors import GatewayError
from tests.partner_center.graph_fake import SAS, TOKEN, FakeGraph, gzip_json_lines

# One unbilled usage line per Graph's attributeSet table (attribute names as Microsoft spells
# them, https://learn.microsoft.com/graph/api/resources/partners-billing-attributeset), values
# from Microsoft's examples (v1 REST DailyRatedUsageLineItem sample: BillingPreTaxTotal
# 0.490235765325545, ChargeStartDate 2018-11-01T00:00:00Z; Partner Center recon doc: ids).
LINE = (
    '{"PartnerId": "0e195b37-4574-4539-bc42-0e539b9684c0", "PartnerName": "Contoso CSP Ltd",'
    ' "CustomerId": "%(customer)s", "CustomerName": "Johnny Modern Cust DE2",'
    ' "CustomerDomainName": "testcustomerdomain.onmicrosoft.com", "CustomerCountry": "DE",'
    ' "MpnId": "6034453", "Tier2MpnId": "6048879", "InvoiceNumber": "",'
    ' "ProductId": "DZH318Z0BNZ5", "SkuId": "006G", "AvailabilityId": "DZH318Z08B80",'
    ' "SkuName": "Tables - LRS", "ProductName": "Tables", "PublisherName": "Microsoft",'
    ' "PublisherId": "", "SubscriptionDescription": "Azure plan",'
    ' "SubscriptionId": "%(subscription)s", "ChargeStartDate": "2026-09-01T00:00:00Z",'
    ' "ChargeEndDate": "2026-09-30T00:00:00Z", "UsageDate": "2026-09-%(day)02dT00:00:00Z",'
    ' "MeterType": "1 GB/Month", "MeterCategory": "Storage",'
    ' "MeterId": "0b3b0e4a-8f2b-4d6c-9d1e-2f6a6c1d9e11", "MeterSubCategory": "Tables",'
    ' "MeterName": "LRS Data Stored", "MeterRegion": "EU West", "Unit": "1 GB/Month",'
    ' "ResourceLocation": "westeurope", "ConsumedService": "Microsoft.Storage",'
    ' "ResourceGroup": "rg-prod", "ResourceURI": "/subscriptions/66bada28/rg-prod/st%(day)d",'
    ' "ChargeType": "new", "UnitPrice": 0.0209951014286867, "Quantity": 23.350007,'
    ' "UnitType": "1 GB/Month", "BillingPreTaxTotal": 0.490235765325545,'
    ' "BillingCurrency": "%(currency)s", "PricingPreTaxTotal": 0.490235765325545,'
    ' "PricingCurrency": "USD", "ServiceInfo1": "", "ServiceInfo2": "", "Tags": "",'
    ' "AdditionalInfo": "", "EffectiveUnitPrice": 0.0209951014286867,'
    ' "PCToBCExchangeRate": 1, "PCToBCExchangeRateDate": "2026-09-30T00:00:00Z",'
    ' "EntitlementId": "66bada28-271e-4b7a-aaf5-c0ead6312345",'
    ' "EntitlementDescription": "Partner Subscription",'
    ' "PartnerEarnedCreditPercentage": 15, "CreditPercentage": 0,'
    ' "CreditType": "Credit Not Applied", "BenefitOrderID": "", "BenefitID": "",'
    ' "BenefitType": ""}'
)


def _lines(
    n,
    *,
    customer="196e2273-9651-43a3-ba7e-7cbcd918fc40",
    subscription="307628f1-d9d2-f09c-ea1f-4183f0cae308",
    currency="EUR",
    first=1,
):
    return [
        LINE
        % {"customer": customer, "subscription": subscription, "day": day, "currency": currency}
        for day in range(first, first + n)
    ]


@pytest.fixture
def graph(httpserver: HTTPServer):
    fake = FakeGraph(base_url=httpserver.url_for("").rstrip("/"))
    httpserver.expect_request(re.compile(".*")).respond_with_handler(fake)
    return fake


def _client(graph, sleeps=None):
    return graph_billing.GraphBilling(
        f"{graph.base_url}/v1.0", TOKEN, sleep=[].append if sleeps is None else sleeps.append
    )


def test_unbilled_usage_export_follows_microsofts_flow_to_the_blobs(graph):
    graph.blobs = {
        "part-00000-b016029b.c000.json.gz": gzip_json_lines(_lines(3)),
        "part-00001-b016029b.c000.json.gz": gzip_json_lines(_lines(2, first=4)),
    }
    sleeps, progress = [], graph_billing.Progress()
    client = _client(graph, sleeps)

    lines = list(
        client.lines(
            graph_billing.UNBILLED_USAGE, graph_billing.unbilled_usage_body("EUR"), progress
        )
    )

    assert [line["UsageDate"][:10] for line in lines] == [f"2026-09-0{d}" for d in range(1, 6)]
    assert lines[0]["BillingPreTaxTotal"] == Decimal("0.490235765325545")
    assert lines[0]["BenefitOrderID"] == ""
    assert sleeps == [2.0]  # the Retry-After of the running operation
    assert (progress.state, progress.polls, progress.blobs_done, progress.etag) == (
        "done",
        2,
        2,
        "WYjLro78HdMg6vUWR",
    )
    methods = [(method, path.rsplit("/", 1)[-1]) for method, path, _, _ in graph.seen]
    assert methods[:4] == [
        ("POST", "export"),
        ("GET", graph.seen[1][1].rsplit("/", 1)[-1]),
        ("GET", graph.seen[2][1].rsplit("/", 1)[-1]),
        ("GET", "6fe687d7-1e0f-4bd6-9091-4672691f64bc"),
    ]
    blob_requests = [s for s in graph.seen if s[1].endswith(".json.gz")]
    # the SAS token as Microsoft encoded it, and no bearer token sent to storage
    assert [(query, auth) for _, _, query, auth in blob_requests] == [(SAS, None), (SAS, None)]


def test_a_manifest_inline_and_status_completed_are_accepted(graph):
    graph.inline_manifest, graph.running_polls = True, 0
    graph.blobs = {"part-00000.c000.json.gz": gzip_json_lines(_lines(1))}
    lines = list(
        _client(graph).lines(graph_billing.BILLED_USAGE, graph_billing.invoice_body("G016907411"))
    )
    assert len(lines) == 1 and lines[0]["InvoiceNumber"] == ""


def test_a_failed_export_says_microsofts_code_and_message(graph):
    graph.fail = True
    with pytest.raises(graph_billing.ExportFailed, match="5000 No data available"):
        list(
            _client(graph).lines(
                graph_billing.BILLED_RECONCILIATION, graph_billing.invoice_body("G016907411")
            )
        )


def test_a_wrong_token_is_an_error_naming_graphs_code(graph):
    client = graph_billing.GraphBilling(f"{graph.base_url}/v1.0", "wrong", sleep=lambda s: None)
    with pytest.raises(GatewayError, match="401 InvalidAuthenticationToken"):
        client.start(graph_billing.UNBILLED_USAGE, graph_billing.unbilled_usage_body("USD"))


def test_a_blob_is_read_line_by_line_as_its_chunks_arrive():
    data = gzip.compress(
        b"".join(
            json.dumps({"n": n, "BillingPreTaxTotal": 0.1}).encode() + b"\n" for n in range(1000)
        )
    )
    chunks_read = []

    def chunks():
        for i in range(0, len(data), 64):
            chunks_read.append(i)
            yield data[i : i + 64]

    lines = graph_billing.json_lines(chunks())
    first = next(lines)
    assert first == {"n": 0, "BillingPreTaxTotal": Decimal("0.1")}
    assert len(chunks_read) < len(data) // 64  # the rest is not read yet
    assert [line["n"] for line in lines] == list(range(1, 1000))


@pytest.mark.django_db
def test_sandbox_serves_the_same_manifest_and_gzip_json_lines_blobs():
    sandbox = graph_billing.SandboxGraphBilling()
    manifest = sandbox.manifest(graph_billing.unbilled_usage_body("USD"))
    assert manifest.data_format == "compressedJSON" and manifest.blobs
    assert manifest.blob_url(manifest.blobs[0]).endswith(
        f"{manifest.blobs[0].name}?sv=sandbox&sr=d&sp=rl"
    )
    assert list(sandbox.blob_lines(manifest, manifest.blobs[0])) == []  # no customers yet


# --- the daily pull into the usage table ----------------------------------------------------


@pytest.fixture
def azure_subs(db):
    from tests.factories import SubscriptionFactory

    return [SubscriptionFactory(customer__currency="EUR") for _ in range(2)]


@pytest.mark.django_db
def test_daily_pull_imports_graphs_unbilled_usage_and_a_re_pull_adds_nothing(
    graph, azure_subs, settings, django_capture_on_commit_callbacks, client
):
    from billing.usage import services
    from billing.usage.models import UsageImport, UsageLine

    settings.PARTNER_CENTER_GATEWAY = "http"
    settings.GRAPH_BILLING_URL, settings.GRAPH_BILLING_TOKEN = f"{graph.base_url}/v1.0", TOKEN
    graph.retry_after = "0"
    with scopes_disabled():
        subs = [(str(s.customer.tenant_id), s.partner_center_id) for s in azure_subs]
    graph.blobs = {
        f"part-0000{i}.c000.json.gz": gzip_json_lines(_lines(4, customer=tenant, subscription=sub))
        for i, (tenant, sub) in enumerate(subs)
    }

    def pull():
        graph.running_polls = 1
        with django_capture_on_commit_callbacks(execute=True):
            [imp] = services.usage_graph_pull(today=date(2026, 10, 15))
        with scopes_disabled():
            return UsageImport.objects.get(pk=imp.pk)

    first = pull()
    assert (first.status, first.imported_lines, first.errors) == ("done", 8, [])
    assert first.export["progress"]["blobs_done"] == 2
    with scopes_disabled():
        line = UsageLine.objects.filter(subscription=azure_subs[0]).first()
        assert line.billing_pre_tax_total == Decimal("0.4902357653")  # 15 decimals kept to 10
        assert line.unit_price == Decimal("0.0209951014286867")
        assert line.unit_of_measure == "1 GB/Month"
    again = pull()
    assert (again.status, again.imported_lines, again.skipped_duplicates) == ("done", 0, 8)
    with scopes_disabled():
        assert UsageLine.objects.count() == 8
    # operations see the last pull's progress and result
    from tests.factories import UserFactory

    settings.STAFF_MFA_REQUIRED = False
    client.force_login(UserFactory(is_staff=True))
    shown = " ".join(client.get("/ops/billing/usage/").content.decode().split())
    assert "export done: 2 poll(s), 2 of 2 file(s) read; 0 new line(s), 8 already imported" in (
        shown
    )


def _pull(graph, settings, capture, today=date(2026, 10, 15)):
    from billing.usage import services
    from billing.usage.models import UsageImport

    settings.PARTNER_CENTER_GATEWAY = "http"
    settings.GRAPH_BILLING_URL, settings.GRAPH_BILLING_TOKEN = f"{graph.base_url}/v1.0", TOKEN
    graph.retry_after, graph.running_polls = "0", 1
    with capture(execute=True):
        [imp] = services.usage_graph_pull(today=today)
    with scopes_disabled():
        return UsageImport.objects.get(pk=imp.pk)


def _revised(line: str, quantity: str, total: str) -> str:
    """A line of LINE as Microsoft re-rates it: another Quantity and BillingPreTaxTotal."""
    return line.replace('"Quantity": 23.350007', f'"Quantity": {quantity}').replace(
        '"BillingPreTaxTotal": 0.490235765325545', f'"BillingPreTaxTotal": {total}'
    )


@pytest.mark.django_db
def test_an_unbilled_re_pull_takes_microsofts_revisions_and_withdrawals(
    graph, azure_subs, settings, django_capture_on_commit_callbacks
):
    """Microsoft rates unbilled usage again until the invoice is out: the latest export of a
    period replaces the lines of the earlier ones (a revised line updated, a withdrawn one
    gone), and a re-pull of the same data still adds nothing."""
    from billing.usage.models import UsageLine, UsageSummary

    with scopes_disabled():
        tenant, sub = str(azure_subs[0].customer.tenant_id), azure_subs[0].partner_center_id
    lines = _lines(4, customer=tenant, subscription=sub)  # 1–4 September
    graph.blobs = {"part-00000.c000.json.gz": gzip_json_lines(lines)}
    first = _pull(graph, settings, django_capture_on_commit_callbacks)
    assert (first.status, first.imported_lines) == ("done", 4)

    # before its invoice, Microsoft re-rates 2 September and withdraws 4 September
    graph.blobs = {
        "part-00000.c000.json.gz": gzip_json_lines(
            [lines[0], _revised(lines[1], "30", "0.62985"), lines[2]]
        )
    }
    second = _pull(graph, settings, django_capture_on_commit_callbacks)
    assert (second.status, second.imported_lines, second.skipped_duplicates) == ("done", 1, 2)
    assert "2 line(s) of the earlier exports of this period" in second.notes[-1]
    with scopes_disabled():
        stored = {
            line.usage_date.day: (line.quantity, line.billing_pre_tax_total)
            for line in UsageLine.objects.filter(subscription=azure_subs[0])
        }
        assert stored == {
            1: (Decimal("23.350007"), Decimal("0.4902357653")),
            2: (Decimal("30"), Decimal("0.62985")),
            3: (Decimal("23.350007"), Decimal("0.4902357653")),
        }
        [month] = UsageSummary.objects.filter(subscription=azure_subs[0])
        assert (month.lines, month.quantity, month.pre_tax_total) == (
            3,
            Decimal("76.700014"),
            Decimal("1.6103215306"),
        )

    third = _pull(graph, settings, django_capture_on_commit_callbacks)
    assert (third.imported_lines, third.skipped_duplicates) == (0, 3)
    with scopes_disabled():
        assert UsageLine.objects.filter(subscription=azure_subs[0]).count() == 3


@pytest.mark.django_db
def test_an_unbilled_pull_never_replaces_or_doubles_a_line_imported_otherwise(
    graph, azure_subs, settings, django_capture_on_commit_callbacks
):
    """A line imported from Microsoft's billed export (or a CSV) stays as it is: the unbilled
    export's line with the same key is skipped, whatever its values."""
    from billing.usage import services
    from billing.usage.models import UsageImport, UsageLine

    with scopes_disabled():
        tenant, sub = str(azure_subs[0].customer.tenant_id), azure_subs[0].partner_center_id
    lines = _lines(2, customer=tenant, subscription=sub)
    graph.blobs = {"part-00000.c000.json.gz": gzip_json_lines(lines)}
    settings.PARTNER_CENTER_GATEWAY = "http"
    settings.GRAPH_BILLING_URL, settings.GRAPH_BILLING_TOKEN = f"{graph.base_url}/v1.0", TOKEN
    graph.retry_after = "0"
    with scopes_disabled():
        billed = UsageImport.objects.create(
            source=UsageImport.Source.GRAPH,
            export={
                "path": graph_billing.BILLED_USAGE,
                "body": graph_billing.invoice_body("G031809528"),
            },
        )
    billed = services.usage_import_run(usage_import_id=billed.pk)
    assert (billed.status, billed.imported_lines) == ("done", 2)

    graph.blobs = {
        "part-00000.c000.json.gz": gzip_json_lines(
            [_revised(lines[0], "99", "2.5"), _revised(lines[1], "98", "2.4")]
        )
    }
    for _ in range(2):
        unbilled = _pull(graph, settings, django_capture_on_commit_callbacks)
        assert (unbilled.imported_lines, unbilled.skipped_duplicates) == (0, 2)
    with scopes_disabled():
        assert (
            sorted(
                UsageLine.objects.filter(subscription=azure_subs[0]).values_list(
                    "quantity", "usage_import_id"
                )
            )
            == [(Decimal("23.350007"), billed.pk)] * 2
        )
