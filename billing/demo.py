"""Demo billing for `seed_demo` (call after subscriptions and their charge events are seeded):
each reseller's previous period is billed and finalized (with its invoice and customer
statement PDFs), the current one left as a draft preview. Safe to run again: finalized runs
are kept, drafts are recomputed."""

from datetime import timedelta

from django.utils import timezone
from django_scopes import scope, scopes_disabled

from billing import selectors, services, statements
from billing.models import BillingRun
from billing.usage import services as usage_services
from portal.models import Reseller, User


def seed_billing(*, today=None) -> list[BillingRun]:
    today = today or timezone.now().date()
    ops = User.objects.filter(is_staff=True, is_active=True).order_by("pk").first()
    overrides = selectors.calendar_overrides()
    runs = []
    with scopes_disabled():
        resellers = list(Reseller.objects.order_by("pk"))
    for reseller in resellers:
        current = selectors.reseller_period(reseller, today, overrides=overrides)
        for period, finalize in ((current.previous(), True), (current, False)):
            with scopes_disabled():
                run, _ = BillingRun.objects.get_or_create(
                    reseller=reseller,
                    period_start=period.start,
                    defaults={"period_end": period.end, "started_by": ops},
                )
            if run.is_draft:
                run = services.billing_run_compute(run_id=run.pk)
                for invoice_id, _ in services.run_invoices([run.pk]):
                    services.document_render_pdf(kind="invoice", document_id=invoice_id)
                if finalize and ops is not None:
                    for invoice in services.billing_run_finalize(user=ops, run=run):
                        services.document_render_pdf(kind="invoice", document_id=invoice.pk)
                    run.refresh_from_db()
            if not run.is_draft:
                _render_statements(run)
            runs.append(run)
    return runs


def _render_statements(run: BillingRun) -> None:
    """Customer statement PDFs of a finalized run, now (seed_demo runs in one transaction, so
    the tasks finalizing queued would only run at its end)."""
    with scope(reseller=run.reseller):
        ids = statements.run_statements_queue(run)
    for statement_id in ids:
        statements.statement_render_pdf(statement_id=statement_id)


def seed_usage(*, today=None, days: int = 75) -> int:
    """Azure plan usage of the demo subscriptions for the last `days` days, fetched from the
    sandbox Partner Center and imported like operations do (once: skipped when usage exists)."""
    from billing.usage.models import UsageLine

    today = today or timezone.now().date()
    with scopes_disabled():
        if UsageLine.objects.exists():
            return 0
    ops = User.objects.filter(is_staff=True, is_active=True).order_by("pk").first()
    usage_import = usage_services.usage_fetch_start(
        user=ops, start=today - timedelta(days=days), end=today - timedelta(days=1)
    )
    return usage_services.usage_import_run(usage_import_id=usage_import.pk).imported_lines


def seed(*, ops_user) -> None:
    seed_usage()
    seed_billing()
