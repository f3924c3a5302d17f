"""Three-way reconciliation of a billing period: service, operations page, reseller page."""

import csv
import datetime as dt
import io
from decimal import Decimal as D

import openpyxl
import pytest
import time_machine
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from django_scopes import scopes_disabled

from billing import services
from billing.models import BillingLine, InvoiceLine, Statement
from billing.reconciliation import services as reconciliation
from billing.reconciliation.models import Difference
from billing.usage import summary
from billing.usage.models import UsageLine
from portal.models import AuditEvent
from portal.roles import Role
from tests.factories import ResellerFactory

JUNE = dt.date(2026, 6, 1)
MAY_3 = dt.date(2026, 5, 3)


def _azure(sub):
    from subscriptions.catalog.models import ProductType

    with scopes_disabled():
        sub.offer.product_type = ProductType.objects.get(code="azure-plan")
        sub.offer.save()
    return sub


def _run(ops, reseller):
    [run] = services.billing_run_start(user=ops, on_date=JUNE, reseller=reseller)
    return services.billing_run_compute(run_id=run.pk)


def _found(run=None, **filters):
    with scopes_disabled():
        rows = Difference.objects.filter(**filters)
        return sorted((d.leg, d.reason, d.subscription_id or d.customer_id, d.amount) for d in rows)


@pytest.fixture
def period(ops, us_reseller, charge_factory, usage_factory):
    """A US reseller's June run with May's Azure usage of four subscriptions."""
    subs = [_azure(charge_factory(us_reseller, cost="10.00").subscription) for _ in range(4)]
    usage_factory(subs[0], on=MAY_3, cost="10.00", quantity="4")
    usage_factory(subs[1], on=MAY_3, cost="20.00", quantity="2")
    usage_factory(subs[2], on=MAY_3, cost="7.50", quantity="3")
    return subs, _run(ops, us_reseller)


@pytest.mark.django_db
def test_microsoft_against_the_ledger_finds_each_difference_to_the_cent_and_a_fix_clears_it(
    ops, us_reseller, period, usage_factory
):
    subs, run = period
    clean = reconciliation.reconciliation_run(user=ops, period_start=JUNE)
    assert _found() == []
    assert clean.microsoft_lines == 3

    # Microsoft's data changes after the run was computed:
    usage_factory(subs[0], on=dt.date(2026, 5, 4), cost="2.50", quantity="1")  # one more unit
    usage_factory(subs[3], on=MAY_3, cost="5.00")  # usage the portal never billed
    with scopes_disabled():  # Microsoft no longer has subs[2]'s usage
        UsageLine.objects.filter(subscription=subs[2]).delete()
        summary.refresh({(us_reseller.pk, dt.date(2026, 5, 1))})
    usage_factory(subs[1], on=dt.date(2026, 5, 5), cost="0.005", quantity="0")  # sub-cent

    reconciliation.reconciliation_run(user=ops, period_start=JUNE)
    expected = [
        ("microsoft", "missing_at_microsoft", subs[2].pk, D("7.50")),
        ("microsoft", "missing_in_portal", subs[3].pk, D("-5.00")),
        ("microsoft", "quantity", subs[0].pk, D("-2.50")),
        ("microsoft", "rounding", subs[1].pk, D("-0.01")),
    ]
    assert _found() == expected
    with scopes_disabled():
        d = Difference.objects.get(reason="quantity")
        assert (d.left_quantity, d.left_amount, d.right_quantity, d.right_amount) == (
            D(5),
            D("12.50"),
            D(4),
            D("10.00"),
        )
        assert d.billing_line == BillingLine.objects.get(subscription=subs[0], kind="usage")
        assert d.usage_month == dt.date(2026, 5, 1) and d.product_type == "Microsoft Azure plan"
    # the same again: the same result, not twice as many
    reconciliation.reconciliation_run(user=ops, period_start=JUNE)
    assert _found() == expected

    # the draft is recomputed from Microsoft's data: what was fixed is gone; the sub-cent
    # rounding of 20.005 (the ledger rounds half up) stays, listed apart
    services.billing_run_compute(run_id=run.pk)
    reconciliation.reconciliation_run(user=ops, period_start=JUNE)
    assert _found() == [("microsoft", "rounding", subs[1].pk, D("0.01"))]
    with scopes_disabled():
        assert AuditEvent.objects.filter(action="billing.reconciliation.run").count() == 4


@pytest.mark.django_db
def test_a_charge_billed_in_the_wrong_period_is_reported_as_such(
    ops, us_reseller, period, usage_factory
):
    subs, run = period
    with scopes_disabled():  # Microsoft dated subs[0]'s usage in April: billed in May
        UsageLine.objects.filter(subscription=subs[0]).update(usage_date=dt.date(2026, 4, 30))
        summary.refresh(
            {(us_reseller.pk, dt.date(2026, 5, 1)), (us_reseller.pk, dt.date(2026, 4, 1))}
        )
    reconciliation.reconciliation_run(user=ops, period_start=JUNE)
    with scopes_disabled():
        (d,) = Difference.objects.all()
    assert (d.reason, d.subscription_id, d.amount) == ("period", subs[0].pk, D("0.00"))
    assert (d.left_period, d.right_period) == (dt.date(2026, 4, 1), dt.date(2026, 5, 1))


@pytest.mark.django_db
def test_finalized_invoice_and_statements_against_the_ledger(ops, us_reseller, period):
    subs, run = period
    with time_machine.travel(dt.datetime(2026, 7, 2, 9, tzinfo=dt.UTC), tick=False):
        [invoice] = services.billing_run_finalize(user=ops, run=run)
    with scopes_disabled():
        customers = sorted({s.customer_id for s in subs})
        for customer_id in customers:
            Statement.objects.get_or_create(
                reseller=us_reseller,
                run=run,
                customer_id=customer_id,
                period_start=JUNE,
                defaults={"period_end": run.period_end},
            )
    reconciliation.reconciliation_run(user=ops, period_start=JUNE)
    assert _found() == []

    with scopes_disabled():  # lost on the way: one invoice line, one statement
        lost = InvoiceLine.objects.filter(invoice=invoice).order_by("position").first()
        InvoiceLine.objects.filter(pk=lost.pk).delete()
        Statement.objects.filter(customer_id=customers[0]).delete()
        price = sum(
            BillingLine.objects.filter(run=run, customer_id=customers[0]).values_list(
                "price_amount", flat=True
            )
        )
    reconciliation.reconciliation_run(user=ops, period_start=JUNE)
    assert _found() == sorted(
        [
            ("invoice", "missing_on_invoice", lost.billing_line.subscription_id, -lost.amount),
            ("statement", "missing_on_statement", customers[0], -price),
        ]
    )


@pytest.mark.django_db
def test_only_operations_reconcile_and_a_period_needs_a_billing_run(ops, us_reseller, member_of):
    with pytest.raises(PermissionDenied):
        reconciliation.reconciliation_run(
            user=member_of(us_reseller, Role.OWNER).user, period_start=JUNE
        )
    with pytest.raises(ValidationError, match="No billing run has a period starting on"):
        reconciliation.reconciliation_run(user=ops, period_start=JUNE)


def _rows(response) -> list[dict]:
    return list(csv.DictReader(io.StringIO(response.content.decode())))


@pytest.mark.django_db
def test_operations_page_filters_totals_and_exports(
    ops, us_reseller, period, client, settings, usage_factory
):
    subs, run = period
    usage_factory(subs[3], on=MAY_3, cost="5.00")
    usage_factory(subs[0], on=dt.date(2026, 5, 4), cost="2.50", quantity="1")
    settings.STAFF_MFA_REQUIRED = False
    client.force_login(ops)
    url = reverse("billing_ops:reconciliation")
    response = client.post(url, {"period": "2026-06-01"})
    assert response.status_code == 302
    page = client.get(response["Location"]).content.decode()
    assert "Missing in the portal" in page and "Quantity differs" in page
    assert "-5.00 USD" in page and "-2.50 USD" in page

    only = client.get(url, {"period": "2026-06-01", "reason": "missing_in_portal"})
    assert only.context["page"].paginator.count == 1
    assert [t["label"] for t in only.context["totals"]] == ["Missing in the portal"]
    other = ResellerFactory()
    assert (
        client.get(url, {"period": "2026-06-01", "reseller": other.pk})
        .context["page"]
        .paginator.count
        == 0
    )
    assert (
        client.get(url, {"period": "2026-06-01", "product_type": "Microsoft Azure plan"})
        .context["page"]
        .paginator.count
        == 2
    )

    rows = _rows(client.get(url, {"period": "2026-06-01", "export": "csv"}))
    assert sorted((r["Reason"], r["Difference"]) for r in rows) == [
        ("Missing in the portal", "-5.00"),
        ("Quantity differs", "-2.50"),
    ]
    xlsx = client.get(url, {"period": "2026-06-01", "export": "xlsx"})
    sheet = openpyxl.load_workbook(io.BytesIO(xlsx.content)).active
    assert sheet.max_row == 3 and sheet.cell(1, 2).value == "Reason"


@pytest.mark.django_db
def test_reseller_sees_its_own_share_only(
    ops, us_reseller, period, client_for, member_of, charge_factory, usage_factory
):
    subs, run = period
    with time_machine.travel(dt.datetime(2026, 7, 2, 9, tzinfo=dt.UTC), tick=False):
        services.billing_run_finalize(user=ops, run=run)
    other = ResellerFactory(name="Other Cloud", country="US", currency="USD")
    charge_factory(other, cost="3.00")
    [other_run] = services.billing_run_start(user=ops, on_date=JUNE, reseller=other)
    services.billing_run_compute(run_id=other_run.pk)
    with time_machine.travel(dt.datetime(2026, 7, 2, 9, tzinfo=dt.UTC), tick=False):
        services.billing_run_finalize(user=ops, run=other_run)
    usage_factory(subs[3], on=MAY_3, cost="5.00")  # Microsoft ↔ ledger: not the reseller's
    with scopes_disabled():  # each reseller misses one customer statement
        for reseller in (us_reseller, other):
            Statement.objects.filter(
                pk=Statement.objects.filter(reseller=reseller).order_by("pk").values("pk")[:1]
            ).delete()
    reconciliation.reconciliation_run(user=ops, period_start=JUNE)
    assert len(_found(reason="missing_on_statement")) == 2

    client = client_for(member_of(us_reseller, Role.BILLING))
    page = client.get(reverse("billing:reconciliation"), {"period": "2026-06-01"})
    assert page.status_code == 200
    shown = list(page.context["page"])
    assert len(shown) == 1 and shown[0].reseller_id == us_reseller.pk
    assert {d.reason for d in shown} == {"missing_on_statement"}
    assert "Missing in the portal" not in page.content.decode()
    assert (
        client.get(reverse("billing:reconciliation"), {"period": "2026-03-01"}).status_code == 404
    )
    viewer = client_for(member_of(us_reseller, Role.VIEWER))
    assert viewer.get(reverse("billing:reconciliation")).status_code == 403


@pytest.mark.django_db
def test_canadian_usage_is_compared_by_its_20th_to_19th_period(
    ops, ca_reseller, charge_factory, usage_factory
):
    sub = _azure(charge_factory(ca_reseller, on=dt.date(2026, 6, 25)).subscription)
    usage_factory(sub, on=dt.date(2026, 5, 25), cost="4.00")  # both in May 20 – Jun 19
    usage_factory(sub, on=dt.date(2026, 6, 10), cost="6.00")
    usage_factory(sub, on=dt.date(2026, 6, 22), cost="50.00")  # the next period's usage
    [run] = services.billing_run_start(user=ops, on_date=dt.date(2026, 6, 25), reseller=ca_reseller)
    run = services.billing_run_compute(run_id=run.pk)
    assert run.period_start == dt.date(2026, 6, 20)
    reconciliation.reconciliation_run(user=ops, period_start=run.period_start)
    assert _found() == []
    usage_factory(sub, on=dt.date(2026, 6, 19), cost="1.00", quantity="2")  # arrives late
    reconciliation.reconciliation_run(user=ops, period_start=run.period_start)
    with scopes_disabled():
        (d,) = Difference.objects.all()
    assert (d.reason, d.amount, d.usage_month) == ("quantity", D("-1.00"), dt.date(2026, 5, 20))
