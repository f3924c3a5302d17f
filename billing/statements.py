"""Customer statement PDFs (services): what the reseller charges each end customer for a
finalized period, at price-book prices, under the reseller's branding.

Finalizing a run creates one `Statement` per customer in its ledger and queues one PDF task per
statement after the commit (`statement_pdf_task`, acks_late). A statement is
rendered once: the ledger of a finalized run never changes, and a redelivered task finds the
PDF stored and writes nothing.
"""

from celery import shared_task
from django.core.files.base import ContentFile
from django.db import transaction
from django_scopes import scope, scopes_disabled

from billing import selectors
from billing.models import BillingLine, BillingRun, Statement
from portal.tasking import ResellerTask
from webhooks.events import emit


def run_statements_queue(run: BillingRun) -> list[int]:
    """One statement per customer billed in `run` (existing ones kept), each rendered by its
    own task once the caller's transaction commits. Call inside the run's scope."""
    customer_ids = (
        BillingLine.objects.filter(reseller=run.reseller, period_start=run.period_start)
        .order_by("customer_id")
        .values_list("customer_id", flat=True)
        .distinct()
    )
    Statement.objects.bulk_create(
        [
            Statement(
                reseller=run.reseller,
                run=run,
                customer_id=customer_id,
                period_start=run.period_start,
                period_end=run.period_end,
            )
            for customer_id in customer_ids
        ],
        ignore_conflicts=True,
    )
    ids = list(Statement.objects.filter(run=run).order_by("pk").values_list("pk", flat=True))
    for statement_id in ids:
        statement_pdf_task.delay_on_commit(statement_id, reseller_id=run.reseller_id)
    return ids


def statement_render_pdf(*, statement_id: int) -> Statement:
    """Render the statement and store it in the default storage, unless it already is."""
    from billing.pdf import render_statement

    with scopes_disabled():
        reseller = Statement.objects.select_related("reseller").get(pk=statement_id).reseller
    with scope(reseller=reseller), transaction.atomic():
        # lock the statement only (not its reseller and customer rows) while rendering
        statement = (
            Statement.objects.select_for_update(of=("self",))
            .select_related("reseller", "customer")
            .get(pk=statement_id)
        )
        if statement.pdf:
            return statement
        lines = list(
            selectors.ledger_lines(reseller, statement.period_start).filter(
                customer_id=statement.customer_id
            )
        )
        content = render_statement(statement=statement, lines=lines)
        statement.pdf.save(f"{statement.reference}.pdf", ContentFile(content), save=False)
        statement.save(update_fields=["pdf"])
        emit("statement.ready", statement)
    return statement


@shared_task(acks_late=True, reject_on_worker_lost=True, base=ResellerTask)
def statement_pdf_task(statement_id: int) -> None:
    """One customer statement PDF (queued when its run is finalized)."""
    statement_render_pdf(statement_id=statement_id)
