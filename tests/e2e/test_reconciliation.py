import csv
import io

import pytest
from django.core.management import call_command
from django.utils import timezone
from django_scopes import scopes_disabled
from playwright.sync_api import expect

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_operations_reconcile_a_period_filter_by_reason_and_export(live_server, page, sign_in):
    from billing import selectors
    from billing.models import BillingLine
    from billing.usage.models import UsageLine
    from portal.models import Reseller

    call_command("seed_demo", stdout=open("/dev/null", "w"))  # noqa: SIM115
    with scopes_disabled():
        northwind = Reseller.objects.get(name="Northwind Cloud Partners")
        period = selectors.reseller_period(northwind, timezone.now().date()).previous()
        # Microsoft no longer has the usage of one subscription the finalized period billed
        billed = (
            BillingLine.objects.filter(reseller=northwind, period_start=period.start, kind="usage")
            .order_by("pk")
            .first()
        )
        UsageLine.objects.filter(subscription_id=billed.subscription_id).delete()

    sign_in("ops@example.com", "demo-portal-2026")
    page.goto(f"{live_server.url}/ops/")
    page.get_by_role("link", name="Reconciliation").click()
    page.get_by_label("Period").select_option(period.start.isoformat())
    page.get_by_role("button", name="Show").click()
    expect(page.get_by_test_id("reconciliation-run")).to_contain_text("not been reconciled")
    page.get_by_test_id("reconcile").click()

    totals = page.get_by_test_id("reconciliation-totals")
    expect(totals).to_contain_text("Missing at Microsoft")
    page.get_by_label("Reason").select_option("missing_at_microsoft")
    page.get_by_role("button", name="Show").click()
    rows = page.get_by_test_id("reconciliation-differences").locator("tbody tr")
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text(f"{billed.cost_amount} {billed.currency}")
    expect(rows.first).to_contain_text(billed.description)

    with page.expect_download() as info:
        page.get_by_test_id("export-csv").click()
    with open(info.value.path(), encoding="utf-8", newline="") as f:
        exported = list(csv.DictReader(io.StringIO(f.read(), newline="")))
    assert [(r["Reason"], r["Difference"], r["Reseller"]) for r in exported] == [
        ("Missing at Microsoft", str(billed.cost_amount), "Northwind Cloud Partners")
    ]
