import csv
import io
import re

import pytest
from django.core.management import call_command
from playwright.sync_api import expect

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_owner_filters_the_azure_plan_report_and_exports_the_rows(live_server, page, sign_in):
    call_command("seed_demo", stdout=open("/dev/null", "w"))  # noqa: SIM115

    sign_in("owner@northwind.example", "demo-portal-2026")
    page.goto(f"{live_server.url}/billing/reports/")
    page.get_by_role("link", name="Azure plan & New Commerce").click()
    expect(page.get_by_test_id("marketplace-notice")).to_contain_text(
        "Azure Marketplace one-time charges are billed on a separate invoice"
    )
    expect(page.get_by_test_id("table-usage").locator("tbody tr").first).to_be_visible()
    categories = set(
        page.get_by_test_id("table-usage").locator("tbody tr td:nth-child(3)").all_inner_texts()
    )
    assert {"Storage", "Virtual Machines"} <= categories

    page.get_by_label("Meter category").select_option("Storage")  # htmx swaps the body
    expect(page).to_have_url(re.compile(r"meter_category=Storage"))
    rows = page.get_by_test_id("table-usage").locator("tbody tr")
    expect(rows.first).to_be_visible()
    shown = rows.locator("td:nth-child(3)").all_inner_texts()
    assert shown and set(shown) == {"Storage"}
    total_rows = int(page.get_by_test_id("totals-usage").locator("tbody td").first.inner_text())
    assert total_rows == len(shown)

    with page.expect_download() as info:
        page.get_by_test_id("export-csv-usage").click()
    download = info.value
    assert download.suggested_filename.endswith(".csv")
    with open(download.path(), encoding="utf-8", newline="") as f:
        exported = list(csv.DictReader(io.StringIO(f.read(), newline="")))
    assert len(exported) == total_rows
    assert {r["Meter category"] for r in exported} == {"Storage"}
    assert {r["Customer"] for r in exported} == {"Contoso Ltd"}
    total_price = page.get_by_test_id("totals-usage").get_by_test_id("total-price").inner_text()
    assert sum(float(r["Customer price"]) for r in exported) == pytest.approx(float(total_price))


def test_owner_searches_a_customer_by_name_sees_the_chart_and_exports_its_rows(
    live_server, page, sign_in
):
    call_command("seed_demo", stdout=open("/dev/null", "w"))  # noqa: SIM115

    sign_in("owner@northwind.example", "demo-portal-2026")
    page.goto(f"{live_server.url}/billing/reports/azure-plan/")
    chart = page.get_by_test_id("chart-usage").locator("canvas")
    expect(chart).to_be_visible()
    page.wait_for_function(
        "c => window.Chart && window.Chart.getChart(c)", arg=chart.element_handle()
    )

    page.get_by_label("Customer", exact=True).fill("contoso")  # htmx swaps the body after a pause
    expect(page).to_have_url(re.compile(r"customer_name=contoso"))
    rows = page.get_by_test_id("table-usage").locator("tbody tr")
    expect(rows.first).to_be_visible()
    assert set(rows.locator("td:nth-child(1)").all_inner_texts()) == {"Contoso Ltd"}
    total_rows = int(page.get_by_test_id("totals-usage").locator("tbody td").first.inner_text())
    with page.expect_download() as info:
        page.get_by_test_id("export-csv-usage").click()
    with open(info.value.path(), encoding="utf-8", newline="") as f:
        exported = list(csv.DictReader(io.StringIO(f.read(), newline="")))
    assert len(exported) == total_rows and {r["Customer"] for r in exported} == {"Contoso Ltd"}
    # the chart was drawn again from the found customer's rows (leaving the search field
    # sends no second request: its typing already did)
    page.wait_for_function(
        "() => window.Chart && window.Chart.getChart("
        "document.querySelector('[data-testid=chart-usage] canvas'))"
    )
    expect(page).to_have_url(re.compile(r"customer_name=contoso"))

    page.get_by_label("Customer", exact=True).fill("Tailspin")  # a customer of another reseller
    expect(page).to_have_url(re.compile(r"customer_name=Tailspin"))
    expect(page.get_by_test_id("table-usage")).to_contain_text("No rows match these filters.")
    expect(page.get_by_test_id("chart-usage")).to_have_count(0)


def htmx_requests(page, path):
    """The htmx requests the page sends to `path` (the report body swaps)."""
    sent = []
    page.on(
        "request",
        lambda r: sent.append(r.url) if r.headers.get("hx-request") and path in r.url else None,
    )
    return sent


def test_live_filters_send_one_request_each_and_keep_the_state_in_the_address_bar(
    live_server, page, sign_in
):
    call_command("seed_demo", stdout=open("/dev/null", "w"))  # noqa: SIM115
    sign_in("owner@northwind.example", "demo-portal-2026")
    page.goto(f"{live_server.url}/billing/reports/azure-plan/")
    sent = htmx_requests(page, "/billing/reports/azure-plan/")

    page.get_by_label("Customer", exact=True).press_sequentially("contoso", delay=30)
    expect(page).to_have_url(re.compile(r"customer_name=contoso"))
    page.wait_for_load_state("networkidle")
    assert len(sent) == 1  # typing sent one request, after the pause
    page.get_by_label("Meter category").focus()  # leaving the field sends nothing more
    page.get_by_label("Meter category").select_option("Storage")
    expect(page).to_have_url(re.compile(r"meter_category=Storage"))
    page.wait_for_load_state("networkidle")
    assert len(sent) == 2
    page.get_by_role("button", name="Filter").click()
    page.wait_for_load_state("networkidle")
    assert len(sent) == 3

    # sorting is in the address bar, and filtering again keeps it
    page.get_by_test_id("table-usage").get_by_role("link", name="Customer price").click()
    expect(page).to_have_url(re.compile(r"u-sort=price"))
    page.get_by_label("Meter category").select_option("")
    expect(page).not_to_have_url(re.compile(r"meter_category=Storage"))
    expect(page).to_have_url(re.compile(r"u-sort=price"))
    shared = page.url
    prices = page.get_by_test_id("table-usage").locator("tbody tr td.num").all_inner_texts()
    page.goto(shared)  # a shared link shows the same report
    assert page.get_by_test_id("table-usage").locator("tbody tr td.num").all_inner_texts() == prices
    assert page.get_by_label("Customer", exact=True).input_value() == "contoso"


def test_the_dashboard_fits_a_phone_while_its_figures_load(live_server, page, sign_in):
    """The figures load after the page (the other dashboard test sees them come): meanwhile
    the page says so, shows the filters and fits 390 px."""
    call_command("seed_demo", stdout=open("/dev/null", "w"))  # noqa: SIM115
    page.set_viewport_size({"width": 390, "height": 844})
    sign_in("owner@northwind.example", "demo-portal-2026")
    page.route("**/billing/figures/", lambda route: route.abort())  # still loading
    page.goto(f"{live_server.url}/dashboard/")
    expect(page.get_by_text("Loading the figures of billing period")).to_be_visible()
    expect(page.get_by_label("Customer")).to_be_visible()
    assert page.evaluate("document.scrollingElement.scrollWidth") <= 390


def test_the_dashboard_customer_field_updates_the_figures_while_typing(live_server, page, sign_in):
    call_command("seed_demo", stdout=open("/dev/null", "w"))  # noqa: SIM115
    sign_in("owner@northwind.example", "demo-portal-2026")
    page.goto(f"{live_server.url}/dashboard/")
    # the figures load once the page shows (their own request)
    expect(page.get_by_role("heading", name="Top customers")).to_be_visible()
    expect(page.locator("#figures")).not_to_have_attribute("aria-busy", "true")
    sent = htmx_requests(page, "/billing/figures/")  # the figures alone, the address kept
    page.get_by_label("Customer").press_sequentially("contoso", delay=30)
    expect(page).to_have_url(re.compile(r"/dashboard/\?.*customer=contoso"))  # no blur needed
    page.wait_for_load_state("networkidle")
    page.get_by_label("Product type").focus()
    page.wait_for_load_state("networkidle")
    assert len(sent) == 1
