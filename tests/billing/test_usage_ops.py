from datetime import date

import pytest
from django.urls import reverse
from django_scopes import scopes_disabled

from billing.usage.models import UsageImport, UsageLine
from billing.usage.services import usage_import_run
from tests.billing.usage_helpers import mirror_in_sandbox, rows_for, to_csv, upload
from tests.factories import SubscriptionFactory, UserFactory

START = date(2026, 9, 1)


@pytest.fixture
def ops_client(client, settings, db):
    settings.STAFF_MFA_REQUIRED = False
    client.force_login(UserFactory(email="duty@distributor.test", is_staff=True))
    return client


@pytest.fixture
def subs(reseller_a, reseller_b):
    return [SubscriptionFactory(reseller=reseller_a), SubscriptionFactory(reseller=reseller_b)]


def _import(response) -> UsageImport:
    assert response.status_code == 302, response.content.decode()[:400]
    with scopes_disabled():
        return UsageImport.objects.get(pk=int(response["Location"].rstrip("/").split("/")[-1]))


@pytest.mark.django_db
def test_ops_upload_spans_resellers_and_keeps_each_line_with_its_reseller(
    ops_client, subs, reseller_a, reseller_b, django_capture_on_commit_callbacks
):
    data = to_csv(rows_for(subs, START, 3))  # USD customer of A, CAD customer of B
    with django_capture_on_commit_callbacks(execute=True):
        response = ops_client.post(reverse("billing_ops:usage_imports"), {"file": upload(data)})
    imp = _import(response)
    assert (imp.status, imp.reseller, imp.imported_lines) == ("done", None, 30)
    with scopes_disabled():
        assert UsageLine.objects.filter(reseller=reseller_a, currency="USD").count() == 15
        assert UsageLine.objects.filter(reseller=reseller_b, currency="CAD").count() == 15
    page = ops_client.get(reverse("billing_ops:usage_imports")).content.decode()
    assert "All resellers (operations)" in page and "Done" in page


@pytest.mark.django_db
def test_fetch_from_partner_center_imports_through_the_same_path(
    ops_client, subs, django_capture_on_commit_callbacks, settings
):
    settings.PARTNER_CENTER_GATEWAY = "sandbox"
    mirror_in_sandbox(subs, since=START)
    form = {"start": "2026-09-01", "end": "2026-09-20"}
    with django_capture_on_commit_callbacks(execute=True):
        response = ops_client.post(reverse("billing_ops:usage_imports"), form)
    imp = _import(response)
    assert (imp.source, imp.status, imp.total_lines, imp.imported_lines) == (
        "gateway",
        "done",
        2 * 20 * 5,
        200,
    )
    assert (imp.period_start, imp.period_end) == (date(2026, 9, 1), date(2026, 9, 20))
    # overlapping fetch adds only the new days
    with django_capture_on_commit_callbacks(execute=True):
        response = ops_client.post(
            reverse("billing_ops:usage_imports"), {"start": "2026-09-11", "end": "2026-09-30"}
        )
    again = _import(response)
    assert (again.imported_lines, again.skipped_duplicates) == (100, 100)
    detail = ops_client.get(
        reverse("billing_ops:usage_import", kwargs={"usage_import_id": again.pk})
    ).content.decode()
    assert "Partner Center" in detail and 'data-testid="imported-lines">100<' in detail


@pytest.mark.django_db
def test_fetch_rejects_usage_of_subscriptions_unknown_to_the_portal(
    ops_client, subs, django_capture_on_commit_callbacks, unscoped
):
    mirror_in_sandbox(subs, since=START)
    with unscoped():
        subs[1].delete()  # Partner Center knows it, the portal does not
    with django_capture_on_commit_callbacks(execute=True):
        response = ops_client.post(
            reverse("billing_ops:usage_imports"), {"start": "2026-09-01", "end": "2026-09-02"}
        )
    imp = _import(response)
    assert imp.status == "rejected"
    assert "is not a subscription of" in imp.errors[0]["message"]
    with unscoped():
        assert UsageLine.objects.count() == 0


@pytest.mark.django_db
def test_fetch_period_is_checked(ops_client):
    response = ops_client.post(
        reverse("billing_ops:usage_imports"), {"start": "2026-09-10", "end": "2026-09-01"}
    )
    assert response.status_code == 200
    assert (
        "The period ends (2026-09-01) before it starts (2026-09-10)." in response.content.decode()
    )
    with scopes_disabled():
        assert UsageImport.objects.count() == 0


@pytest.mark.django_db
def test_ops_pages_are_staff_only(owner_a, client_for):
    client = client_for(owner_a)
    assert client.get(reverse("billing_ops:usage_imports")).status_code == 403
    assert (
        client.post(
            reverse("billing_ops:usage_imports"), {"start": "2026-09-01", "end": "2026-09-02"}
        ).status_code
        == 403
    )


@pytest.mark.django_db
def test_a_finished_import_is_not_run_twice(subs, reseller_a, unscoped):
    with unscoped():
        imp = UsageImport.objects.create(reseller=reseller_a, status="done", imported_lines=7)
    assert usage_import_run(usage_import_id=imp.pk).imported_lines == 7


@pytest.mark.django_db
def test_an_unexpected_error_marks_the_import_failed_and_writes_nothing(
    ops_client, subs, django_capture_on_commit_callbacks, monkeypatch, unscoped
):
    from billing.usage import pg, services

    load_columns = services._load_columns

    def broken_load_columns(*args):  # both paths load here: every line inserted, then the
        assert load_columns(*args) > 0  # database goes away
        raise RuntimeError("connection lost")

    monkeypatch.setattr(services, "_load_columns", broken_load_columns)
    add_to_summaries = pg._add_to_summaries

    def broken_add_to_summaries(*args):  # PostgreSQL: after the COPY of every line
        add_to_summaries(*args)
        raise RuntimeError("connection lost")

    monkeypatch.setattr(pg, "_add_to_summaries", broken_add_to_summaries)
    with pytest.raises(RuntimeError), django_capture_on_commit_callbacks(execute=True):
        ops_client.post(
            reverse("billing_ops:usage_imports"), {"file": upload(to_csv(rows_for(subs, START, 1)))}
        )
    with unscoped():
        imp = UsageImport.objects.get()
        assert imp.status == "failed" and UsageLine.objects.count() == 0
    assert "nothing was written" in imp.errors[0]["message"]
