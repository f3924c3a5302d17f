"""Billing tasks: thin wrappers around services. Late acknowledgement and rejection on a lost
worker make a killed worker's task come back; the services are idempotent, so a redelivered
task writes nothing twice."""

from celery import shared_task
from django.utils import timezone

from billing import services
from billing.insight.services import anomalies_detect, budgets_check


@shared_task(bind=True, max_retries=0)
def run_usage_import(self, *, usage_import_id: int) -> str:
    """Validate and load one usage import (CSV upload or Partner Center fetch)."""
    try:
        return services.usage_import_run(usage_import_id=usage_import_id).status
    except Exception as e:
        services.usage_import_fail(usage_import_id=usage_import_id,
                                   message=f"The import stopped unexpectedly ({type(e).__name__})"
                                           "; nothing was written.")
        raise


RELIABLE = {"acks_late": True, "reject_on_worker_lost": True}


@shared_task(**RELIABLE)
def pull_unbilled_usage() -> int:
    """Daily: Microsoft's unbilled usage through Microsoft Graph (one import per currency)."""
    return len(services.usage_graph_pull())


@shared_task(**RELIABLE)
def billing_runs_fan_out(run_ids: list[int]) -> int:
    """One compute task per batch of runs (`services.billing_run_batches`): a batch is billed
    with the queries of one run, and the batches spread over the workers."""
    batches = services.billing_run_batches(run_ids)
    for batch in batches:
        billing_runs_compute.delay(batch)
    return len(batches)


@shared_task(**RELIABLE)
def billing_runs_compute(run_ids: list[int]) -> int:
    """Compute a batch of runs' ledgers and draft invoices, then one PDF task per invoice."""
    try:
        services.billing_runs_compute(run_ids=run_ids)
    except Exception as exc:
        from billing.models import BillingRun
        from portal.upkeep import reason_of, record_failure

        for run_id in run_ids:
            services.billing_run_fail(run_id=run_id, error=f"{type(exc).__name__}: {exc}")
            record_failure("billing.run", BillingRun, run_id, reason_of(exc))
        raise
    invoice_ids = services.run_invoice_ids(run_ids)
    for invoice_id in invoice_ids:
        render_pdf.delay("invoice", invoice_id)
    return len(invoice_ids)


@shared_task(**RELIABLE)
def render_pdf(kind: str, document_id: int) -> None:
    services.document_render_pdf(kind=kind, document_id=document_id)


@shared_task(**RELIABLE)
def render_statement_pdf(statement_id: int) -> None:
    """One customer statement PDF (queued when its run is finalized)."""
    from billing import statements

    statements.statement_render_pdf(statement_id=statement_id)


@shared_task
def start_due_billing_runs() -> int:
    from django.utils import timezone

    return len(services.billing_runs_start_due(today=timezone.now().date()))


@shared_task(**RELIABLE)
def detect_cost_anomalies() -> int:
    """Daily (beat): anomaly alerts on the last days' Azure cost; idempotent."""
    return len(anomalies_detect(today=timezone.now().date()))


@shared_task(**RELIABLE)
def check_budgets() -> int:
    """Daily (beat): budget alerts (80 %, 100 %, forecast) for the month so far; idempotent."""
    return len(budgets_check(today=timezone.now().date()))
