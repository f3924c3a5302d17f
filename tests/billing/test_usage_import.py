import csv
from datetime import date
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.urls import reverse
from django_scopes import scopes_disabled

from billing.usage.models import UsageImport, UsageLine
from portal.roles import Role
from tests.billing.usage_helpers import mirror_in_sandbox, rows_for, to_csv, upload
from tests.factories import SubscriptionFactory, UsageImportFactory

START = date(2026, 9, 1)


@pytest.fixture
def subs_a(reseller_a):
    return [SubscriptionFactory(reseller=reseller_a) for _ in range(3)]


@pytest.fixture
def billing_a(reseller_a, member_of):
    return member_of(reseller_a, Role.BILLING)


@pytest.fixture
def post_usage(client_for, django_capture_on_commit_callbacks):
    """post_usage(member, data) -> (UsageImport, detail page response): uploads through the
    page, runs the (eager) Celery task, and opens the page the upload redirects to."""

    def post(member, data: bytes, name="usage.csv"):
        client = client_for(member)
        with django_capture_on_commit_callbacks(execute=True):
            response = client.post(reverse("billing:usage_imports"), {"file": upload(data, name)})
        assert response.status_code == 302, response.content.decode()[:500]
        page = client.get(response["Location"])
        assert page.status_code == 200
        with scopes_disabled():
            return UsageImport.objects.get(pk=page.context["imp"].pk), page

    return post


def usage_lines(unscoped):
    with unscoped():
        return UsageLine.objects.count()


@pytest.mark.django_db
def test_sandbox_file_imports_every_line_to_the_tenth_decimal(
    subs_a, billing_a, post_usage, unscoped, tmp_path
):
    mirror_in_sandbox(subs_a, since=START)
    path = tmp_path / "usage.csv"
    call_command(
        "sandbox_usage_csv", "--start=2026-09-01", "--end=2026-09-30", f"--out={path}", "--seed=3"
    )
    data = path.read_bytes()
    expected_lines = 3 * 30 * 5

    imp, page = post_usage(billing_a, data)

    assert imp.status == "done"
    assert (imp.total_lines, imp.imported_lines, imp.skipped_duplicates, imp.marketplace_lines) == (
        expected_lines,
        expected_lines,
        0,
        0,
    )
    body = page.content.decode()
    assert "Done" in body and f'data-testid="imported-lines">{expected_lines}<' in body
    import csv
    import io

    rows = list(csv.DictReader(io.StringIO(data.decode())))
    expected_total = sum(Decimal(r["BillingPreTaxTotal"]) for r in rows)
    with unscoped():
        lines = UsageLine.objects.filter(usage_import=imp)
        assert lines.count() == expected_lines
        # summed here, not by the database: SQLite sums decimals as floats
        assert sum(lines.values_list("billing_pre_tax_total", flat=True)) == expected_total
        # one line, field by field, exactly as sent
        r = rows[17]
        line = lines.get(
            subscription__partner_center_id=r["SubscriptionId"],
            usage_date=r["UsageDate"],
            meter_id=r["MeterId"],
        )
        assert line.billing_pre_tax_total == Decimal(r["BillingPreTaxTotal"])
        assert str(line.billing_pre_tax_total) == str(
            Decimal(r["BillingPreTaxTotal"]).quantize(Decimal("0.0000000001"))
        )
        assert line.quantity == Decimal(r["Quantity"])
        assert line.unit_price == Decimal(r["UnitPrice"])
        assert (line.tags, line.resource_uri, line.currency) == (r["Tags"], r["ResourceURI"], "USD")
        assert line.reseller_id == subs_a[0].reseller_id and not line.is_marketplace


@pytest.mark.django_db
def test_same_file_again_adds_nothing_and_overlapping_days_add_only_new_days(
    subs_a, billing_a, post_usage, unscoped
):
    first_ten = to_csv(rows_for(subs_a, START, 10))
    first, _ = post_usage(billing_a, first_ten)
    assert first.imported_lines == 150

    again, page = post_usage(billing_a, first_ten)
    assert (again.status, again.imported_lines, again.skipped_duplicates) == ("done", 0, 150)
    assert 'data-testid="skipped-duplicates">150<' in page.content.decode()

    overlap, _ = post_usage(billing_a, to_csv(rows_for(subs_a, date(2026, 9, 6), 10)))
    assert (overlap.imported_lines, overlap.skipped_duplicates) == (75, 75)  # days 11–15 new
    with unscoped():
        assert UsageLine.objects.count() == 225
        assert UsageLine.objects.dates("usage_date", "day").count() == 15


@pytest.mark.django_db
def test_bom_is_fine(subs_a, billing_a, post_usage):
    imp, _ = post_usage(billing_a, to_csv(rows_for(subs_a[:1], START, 2), bom=True))
    assert (imp.status, imp.imported_lines) == ("done", 10)


def _bad(rows, index, **changes):
    rows[index] = {**rows[index], **changes}
    return to_csv(rows)


BAD_CASES = {
    # name: (make file bytes from good rows and reseller B's subscription, expected texts)
    "unknown header": (
        lambda rows, other: to_csv(
            [{("Qty" if k == "Quantity" else k): v for k, v in r.items()} for r in rows],
            headers=[("Qty" if h == "Quantity" else h) for h in rows[0]],
        ),
        ["Unknown column “Qty”", "Missing required column(s): Quantity"],
    ),
    "not utf-8": (
        lambda rows, other: _bad(rows, 1, CustomerName="Café Münster").decode().encode("cp1252"),
        ["not UTF-8 text", "line 3"],
    ),
    "bad date": (
        lambda rows, other: _bad(rows, 2, UsageDate="2026-02-30"),
        ["4", "UsageDate “2026-02-30” is not a date"],
    ),
    "negative quantity": (
        lambda rows, other: _bad(rows, 0, Quantity="-1.5"),
        ["2", "Quantity -1.5 is negative"],
    ),
    "non-numeric quantity": (
        lambda rows, other: _bad(rows, 3, Quantity="twelve"),
        ["5", "Quantity “twelve” is not a number"],
    ),
    "mixed currencies": (
        lambda rows, other: _bad(rows, 4, BillingCurrency="CAD"),
        ["6", "BillingCurrency CAD differs from", "currency USD"],
    ),
    "not a currency": (
        lambda rows, other: _bad(rows, 4, BillingCurrency="XYZ"),
        ["6", "BillingCurrency “XYZ” is not one of the currencies"],
    ),
    "unknown customer": (
        lambda rows, other: _bad(rows, 1, CustomerId="0b1e7c0e-6d3a-4b8e-9f5e-1c2d3e4f5a6b"),
        ["3", "CustomerId 0b1e7c0e-6d3a-4b8e-9f5e-1c2d3e4f5a6b is not a customer of yours"],
    ),
    "customer of another reseller": (
        lambda rows, other: _bad(
            rows,
            1,
            CustomerId=str(other.customer.tenant_id),
            SubscriptionId=other.partner_center_id,
        ),
        ["3", "is not a customer of yours"],
    ),
    "subscription of another reseller": (
        lambda rows, other: _bad(rows, 1, SubscriptionId=other.partner_center_id),
        ["3", "SubscriptionId “", "is not a subscription of"],
    ),
    "duplicate line": (lambda rows, other: to_csv(rows + [rows[1]]), ["12", "Duplicate of line 3"]),
    "formula cell": (
        lambda rows, other: _bad(rows, 2, MeterName='=HYPERLINK("http://x")'),
        ["4", "MeterName", "starts with “=”", "formula"],
    ),
    "formula in resource group": (
        lambda rows, other: _bad(rows, 2, ResourceGroup="@SUM(1)"),
        ["4", "starts with “@”"],
    ),
    "too many decimals": (
        lambda rows, other: _bad(rows, 0, BillingPreTaxTotal="1.00000000001"),
        ["2", "more than 10 decimals"],
    ),
}


@pytest.mark.django_db
@pytest.mark.parametrize("case", list(BAD_CASES))
def test_bad_file_is_rejected_with_line_and_reason_and_writes_nothing(
    case, reseller_b, billing_a, post_usage, unscoped, subs_a
):
    other = SubscriptionFactory(reseller=reseller_b, customer__currency="USD")
    make, expected = BAD_CASES[case]
    rows = rows_for(subs_a[:2], START, 1)  # 10 lines: file lines 2–11
    # a good first import, so "writes nothing" is checked against existing lines
    good, _ = post_usage(billing_a, to_csv(rows_for(subs_a[2:], START, 1)))
    assert good.imported_lines == 5

    imp, page = post_usage(billing_a, make(rows, other))

    assert imp.status == "rejected"
    assert usage_lines(unscoped) == 5
    assert imp.imported_lines == 0
    body = page.content.decode()
    assert "The file was rejected; no usage line was imported." in body
    shown = " ".join(f"{e['line']} {e['field']} {e['message']}" for e in imp.errors)
    for text in expected:
        assert text in shown
        assert text.replace("“", "&ldquo;").replace("”", "&rdquo;") in body or text in body


@pytest.mark.django_db
def test_every_bad_line_is_reported_not_only_the_first(subs_a, billing_a, post_usage):
    rows = rows_for(subs_a[:1], START, 2)
    rows[0]["Quantity"] = "x"
    rows[5]["UsageDate"] = "yesterday"
    imp, _ = post_usage(billing_a, to_csv(rows))
    assert [(e["line"], e["field"]) for e in imp.errors] == [(2, "Quantity"), (7, "UsageDate")]


@pytest.mark.django_db
def test_too_large_file_is_rejected_with_the_limit(
    settings, subs_a, billing_a, post_usage, unscoped
):
    settings.USAGE_IMPORT_MAX_BYTES = 2 * 1024 * 1024
    data = to_csv(rows_for(subs_a, START, 30))
    data += b"\n" * (3 * 1024 * 1024 - len(data))
    imp, page = post_usage(billing_a, data)
    assert imp.status == "rejected"
    assert (
        "The file is 3.0 MB; usage files may be at most 2.0 MB. Split it by date range"
        in imp.errors[0]["message"]
    )
    assert "usage files may be at most 2.0 MB" in page.content.decode()
    assert not imp.file and usage_lines(unscoped) == 0


@pytest.mark.django_db
def test_marketplace_one_time_charges_are_flagged_separate_invoice(
    subs_a, billing_a, post_usage, unscoped
):
    rows = rows_for(subs_a[:1], START, 1)
    rows[0] = {
        **rows[0],
        "ChargeType": "Purchase",
        "MeterCategory": "Marketplace",
        "MeterName": "Contoso Firewall (monthly)",
        "BillingPreTaxTotal": "149.0000000000",
    }
    imp, page = post_usage(billing_a, to_csv(rows))
    assert (imp.status, imp.imported_lines, imp.marketplace_lines) == ("done", 5, 1)
    with unscoped():
        flagged = UsageLine.objects.get(is_marketplace=True)
        assert UsageLine.objects.filter(is_marketplace=False).count() == 4
    assert flagged.meter_name == "Contoso Firewall (monthly)"
    body = page.content.decode()
    assert "separate invoice" in body and "Contoso Firewall (monthly)" in body
    assert "149.0000000000 USD" in body


@pytest.mark.django_db
@pytest.mark.parametrize("role", [Role.SALES, Role.VIEWER])
def test_roles_without_usage_import_cannot_upload(
    role, reseller_a, member_of, client_for, subs_a, unscoped
):
    client = client_for(member_of(reseller_a, role))
    response = client.post(
        reverse("billing:usage_imports"), {"file": upload(to_csv(rows_for(subs_a, START, 1)))}
    )
    assert response.status_code == 403
    with unscoped():
        assert UsageImport.objects.count() == 0


@pytest.mark.django_db
def test_status_partial_polls_until_finished(billing_a, client_for):
    running = UsageImportFactory(
        reseller=billing_a.reseller, status="validating", total_lines=50000
    )
    client = client_for(billing_a)
    partial = client.get(
        reverse("billing:usage_import_status", kwargs={"usage_import_id": running.pk})
    )
    body = partial.content.decode()
    assert 'hx-trigger="every 2s"' in body and "Validating" in body and ">50000<" in body
    assert "<html" not in body
    done = UsageImportFactory(reseller=billing_a.reseller, status="done")
    body = client.get(
        reverse("billing:usage_import_status", kwargs={"usage_import_id": done.pk})
    ).content.decode()
    assert "hx-trigger" not in body


@pytest.mark.django_db
def test_operations_imports_never_show_to_resellers(owner_a, client_for):
    ops_import = UsageImportFactory(reseller=None, file_name="all-resellers-secret.csv")
    client = client_for(owner_a)
    assert (
        "all-resellers-secret.csv"
        not in client.get(reverse("billing:usage_imports")).content.decode()
    )
    for name in ("billing:usage_import", "billing:usage_import_status"):
        assert (
            client.get(reverse(name, kwargs={"usage_import_id": ops_import.pk})).status_code == 404
        )


@pytest.mark.django_db
def test_list_page_query_count_is_bounded(billing_a, client_for, django_assert_max_num_queries):
    for _ in range(30):
        UsageImportFactory(reseller=billing_a.reseller, uploaded_by=billing_a.user)
    client = client_for(billing_a)
    with django_assert_max_num_queries(12):
        response = client.get(reverse("billing:usage_imports"))
    assert response.content.decode().count('href="/billing/usage/') == 25


@pytest.mark.django_db
def test_text_is_stored_exactly_as_sent(subs_a, billing_a, post_usage, unscoped):
    rows = rows_for(subs_a[:1], START, 1)
    rows[0] = {
        **rows[0],
        "MeterName": 'D2s v5, "spot"\twith tab\nand a new line \\N',
        "MeterRegion": "",
        "Tags": '{"cost-center": "4711", "owner": "ops\\\\team"}',
    }
    imp, _ = post_usage(billing_a, to_csv(rows))
    assert imp.status == "done", imp.errors
    with unscoped():
        line = UsageLine.objects.get(meter_id=rows[0]["MeterId"], usage_date=START)
    assert line.meter_name == rows[0]["MeterName"]
    assert line.meter_region == "" and line.tags == rows[0]["Tags"]


@pytest.mark.django_db
@pytest.mark.parametrize("provisioning", ["pending", "failed"])
def test_an_order_without_a_partner_center_id_does_not_break_the_import(
    provisioning, reseller_a, subs_a, billing_a, post_usage, unscoped
):
    # an order Partner Center has not created (pending) or refused (failed) has no id yet
    SubscriptionFactory(reseller=reseller_a, partner_center_id=None, provisioning=provisioning)
    imp, page = post_usage(billing_a, to_csv(rows_for(subs_a[:1], START, 1)))
    assert (imp.status, imp.imported_lines) == ("done", 5)
    assert usage_lines(unscoped) == 5


@pytest.mark.django_db
def test_azure_usage_naming_a_licence_subscription_is_refused_with_its_line(
    reseller_a, subs_a, billing_a, post_usage, unscoped
):
    from tests.factories import SeatSubscriptionFactory

    seats = SeatSubscriptionFactory(reseller=reseller_a, customer=subs_a[0].customer)
    rows = rows_for(subs_a[:1], START, 1) + rows_for([seats], START, 1)  # lines 2–6, 7–11
    imp, page = post_usage(billing_a, to_csv(rows))
    assert imp.status == "rejected"
    assert usage_lines(unscoped) == 0
    assert imp.errors[0] == {
        "line": 7,
        "field": "SubscriptionId",
        "message": f"SubscriptionId “{seats.partner_center_id}” is the licence-based "
        f"subscription {seats.offer.name}, not an Azure plan: it has no usage.",
    }
    assert "licence-based" in page.content.decode()


@pytest.mark.django_db
def test_usage_of_a_subscription_keeps_its_currency_after_operations_change_the_customers(
    reseller_a, subs_a, billing_a, post_usage, ops, unscoped
):
    from customers.services import customer_change_currency

    customer = subs_a[0].customer
    customer_change_currency(
        user=ops,
        customer=customer,
        currency="CAD",
        reason="Microsoft changed the customer's billing currency",
    )
    imp, _ = post_usage(billing_a, to_csv(rows_for(subs_a[:1], START, 1)))  # still USD
    assert (imp.status, imp.imported_lines) == ("done", 5)


# Partner Center's daily rated usage reconciliation file, all 55 columns in the order and
# spelling of Microsoft's field table ("Learn how to read daily rated usage reconciliation files
# in Partner Center", https://learn.microsoft.com/partner-center/billing/daily-rated-usage-recon-
# files; Benefit* columns from Graph's attributeSet, https://learn.microsoft.com/graph/api/
# resources/partners-billing-attributeset). The values the portal does not read are those of
# Microsoft's first example line on that page; dates as it prints them (M/D/YYYY), and a unit
# price with 16 decimals like its second example line.
MICROSOFT_HEADER = (
    "PartnerId,PartnerName,CustomerId,CustomerName,CustomerDomainName,CustomerCountry,MpnId,"
    "Tier2MpnId,InvoiceNumber,ProductId,SkuId,AvailabilityId,SkuName,ProductName,PublisherName,"
    "PublisherId,SubscriptionDescription,SubscriptionId,ChargeStartDate,ChargeEndDate,UsageDate,"
    "MeterType,MeterCategory,MeterId,MeterSubCategory,MeterName,MeterRegion,Unit,"
    "ResourceLocation,ConsumedService,ResourceGroup,ResourceURI,ChargeType,UnitPrice,Quantity,"
    "UnitType,BillingPreTaxTotal,BillingCurrency,PricingPreTaxTotal,PricingCurrency,ServiceInfo1,"
    "ServiceInfo2,Tags,AdditionalInfo,EffectiveUnitPrice,PCToBCExchangeRate,"
    "PCToBCExchangeRateDate,EntitlementId,EntitlementDescription,PartnerEarnedCreditPercentage,"
    "CreditPercentage,CreditType,BenefitOrderId,BenefitId,BenefitType"
)
MICROSOFT_FULL_LAYOUT = next(csv.reader([MICROSOFT_HEADER]))
MICROSOFT_EXAMPLE = {
    "PartnerId": "0e195b37-4574-4539-bc42-0e539b9684c0",
    "PartnerName": "Contoso CSP Ltd",
    "CustomerDomainName": "testcustomerdomain.onmicrosoft.com",
    "CustomerCountry": "DE",
    "MpnId": "6034453",
    "Tier2MpnId": "6048879",
    "InvoiceNumber": "G002297372",
    "SkuName": "Tables - LRS",
    "ProductName": "Tables",
    "PublisherName": "Microsoft",
    "PublisherId": "",
    "SubscriptionDescription": "Azure plan",
    "ChargeStartDate": "9/1/2026",
    "ChargeEndDate": "9/30/2026",
    "MeterType": "1 GB/Month",
    "ResourceLocation": "westeurope",
    "ConsumedService": "Microsoft.Storage",
    "UnitType": "1 GB/Month",
    "PricingPreTaxTotal": "0.478125",
    "PricingCurrency": "USD",
    "ServiceInfo1": "",
    "ServiceInfo2": "",
    "AdditionalInfo": '{  "ImageType": null,  "ServiceType": "Standard_B1s"}',
    "EffectiveUnitPrice": "0.03825",
    "PCToBCExchangeRate": "0.846202666",
    "PCToBCExchangeRateDate": "9/30/2026",
    "EntitlementId": "66bada28-271e-4b7a-aaf5-c0ead6312345",
    "EntitlementDescription": "Partner Subscription",
    "PartnerEarnedCreditPercentage": "15",
    "CreditPercentage": "0",
    "CreditType": "Credit Not Applied",
    "BenefitOrderId": "",
    "BenefitId": "",
    "BenefitType": "",
}


def _full_layout(rows: list[dict[str, str]]) -> bytes:
    full = []
    for n, row in enumerate(rows):
        day = date.fromisoformat(row["UsageDate"])
        full.append(
            MICROSOFT_EXAMPLE
            | {name: row[name] for name in row if name in MICROSOFT_FULL_LAYOUT}
            | {
                "Unit": row["UnitOfMeasure"],
                "UsageDate": f"{day.month}/{day.day}/{day.year}",
                "UnitPrice": "0.0209951014286867" if n == 0 else row["UnitPrice"],
            }
        )
    return to_csv(full, headers=MICROSOFT_FULL_LAYOUT)


@pytest.mark.django_db
def test_partner_centers_full_daily_rated_usage_file_is_imported_as_exported(
    subs_a, billing_a, post_usage, unscoped
):
    rows = rows_for(subs_a, START, 2)
    imp, page = post_usage(billing_a, _full_layout(rows))

    assert (imp.status, imp.imported_lines, imp.errors) == ("done", 30, [])
    ignored = [h for h in MICROSOFT_FULL_LAYOUT if h not in rows[0] and h != "Unit"]
    assert len(ignored) == 34
    assert imp.notes == [
        f"34 column(s) of Partner Center's export are not used by the portal "
        f"and were ignored: {', '.join(ignored)}."
    ]
    assert page.content.decode().count("not used by the portal") == 1
    with unscoped():
        first = UsageLine.objects.get(
            meter_id=rows[0]["MeterId"],
            usage_date=START,
            subscription__partner_center_id=rows[0]["SubscriptionId"],
        )
        assert first.unit_price == Decimal("0.0209951014286867")
        assert first.unit_of_measure == rows[0]["UnitOfMeasure"]
        assert first.billing_pre_tax_total == Decimal(rows[0]["BillingPreTaxTotal"])
        assert UsageLine.objects.filter(usage_date=date(2026, 9, 2)).count() == 15


@pytest.mark.django_db
def test_full_layout_line_by_line_path_reads_the_same(
    subs_a, billing_a, post_usage, unscoped, monkeypatch
):
    from billing.usage import services

    monkeypatch.setattr(services, "COLUMNAR", False)
    rows = rows_for(subs_a[:1], START, 1)
    imp, _ = post_usage(billing_a, _full_layout(rows))
    assert (imp.status, imp.imported_lines, len(imp.notes)) == ("done", 5, 1)
    with unscoped():
        assert UsageLine.objects.filter(unit_price=Decimal("0.0209951014286867")).count() == 1


@pytest.mark.django_db
def test_full_layout_with_an_unknown_customer_is_refused_whole_with_its_line(
    subs_a, billing_a, post_usage, unscoped
):
    rows = rows_for(subs_a[:1], START, 1)
    rows[2] = rows[2] | {"CustomerId": "196e2273-9651-43a3-ba7e-7cbcd918fc40"}  # Microsoft's
    imp, page = post_usage(billing_a, _full_layout(rows))
    assert imp.status == "rejected" and usage_lines(unscoped) == 0
    assert imp.errors == [
        {
            "line": 4,
            "field": "CustomerId",
            "message": "CustomerId 196e2273-9651-43a3-ba7e-7cbcd918fc40 is not a customer "
            "of yours.",
        }
    ]
