import datetime as dt

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST
from django_scopes import scopes_disabled

from billing import ledger, selectors, services
from billing.forms import CreditNoteForm, RunStartForm
from billing.models import BillingRun, Invoice
from portal.decorators import member_required, staff_required
from portal.numbers import money
from portal.permissions import require
from portal.roles import role_can

# Reseller side


# Operations side (staff, all resellers)


def _money(request) -> bool:
    return role_can(request.membership.role, "billing.view_money")


def _period_param(request, reseller):
    """?period=YYYY-MM-DD (any date in it) → that period; default the latest billed one."""
    raw = request.GET.get("period")
    if raw:
        try:
            return selectors.reseller_period(reseller, dt.date.fromisoformat(raw))
        except ValueError:
            raise Http404("Not a valid period date.") from None
    billed = selectors.billed_periods(reseller)
    return billed[0] if billed else selectors.current_period(reseller)


def pdf_response(doc, filename: str = ""):
    if not doc.pdf:
        raise Http404("The PDF is not ready yet.")
    response = FileResponse(
        doc.pdf.open("rb"),
        as_attachment=True,
        filename=filename or f"{doc.number or f'draft-{doc.pk}'}.pdf",
        content_type="application/pdf",
    )
    response["Content-Security-Policy"] = "sandbox; default-src 'none'"
    return response


# Reseller side


@member_required
def home(request):
    reseller = request.reseller
    can_money = _money(request)
    invoices = list(selectors.invoices_of(reseller)) if can_money else []
    return render(
        request,
        "billing/home.html",
        {
            "period": selectors.current_period(reseller),
            "invoices": invoices,
            "can_money": can_money,
            "periods": selectors.billed_periods(reseller),
        },
    )


@member_required
def invoice_detail(request, invoice_id):
    invoice = selectors.invoice_get(member=request.membership, invoice_id=invoice_id)
    require(request.membership, "billing.view_money")
    from billing.pdf import document_context

    return render(
        request,
        "billing/invoice_detail.html",
        {**document_context(invoice), "credit_notes": invoice.credit_notes.all()},
    )


@member_required
def invoice_pdf(request, invoice_id):
    invoice = selectors.invoice_get(member=request.membership, invoice_id=invoice_id)
    require(request.membership, "billing.view_money")
    return pdf_response(invoice)


@member_required
def invoice_lines(request, invoice_id, extension):
    """The invoice's lines as a CSV or XLSX download (what its PDF carries attached)."""
    from billing.invoice_files import CONTENT_TYPES, detail_name, lines_csv, lines_xlsx

    invoice = selectors.invoice_get(member=request.membership, invoice_id=invoice_id)
    require(request.membership, "billing.view_money")
    write = {"csv": lines_csv, "xlsx": lines_xlsx}[extension]
    response = HttpResponse(
        write(invoice, selectors.document_lines(invoice)), content_type=CONTENT_TYPES[extension]
    )
    response["Content-Disposition"] = f'attachment; filename="{detail_name(invoice, extension)}"'
    return response


@member_required
def invoice_detail_pdf(request, invoice_id):
    """GET: the PDF of every line once it is ready. POST: ask for it (rendered by a task); the
    invoice page (or, with htmx, its link block) says when it is ready."""
    invoice = selectors.invoice_get(member=request.membership, invoice_id=invoice_id)
    require(request.membership, "billing.view_money")
    if request.method == "POST":
        invoice = services.invoice_detail_pdf_request(member=request.membership, invoice=invoice)
        if request.htmx:
            return render(request, "billing/_invoice_detail_pdf.html", {"doc": invoice})
        messages.info(request, "The PDF of every line is being prepared; its link appears here.")
        return redirect("billing:invoice", invoice_id=invoice.pk)
    if request.htmx:  # the link block, polled while the PDF is prepared
        return render(request, "billing/_invoice_detail_pdf.html", {"doc": invoice})
    if not invoice.detail_pdf:
        raise Http404("The PDF of every line is not ready yet.")
    response = FileResponse(
        invoice.detail_pdf.open("rb"),
        as_attachment=True,
        filename=f"{invoice.number or f'draft-{invoice.pk}'}-lines.pdf",
        content_type="application/pdf",
    )
    response["Content-Security-Policy"] = "sandbox; default-src 'none'"
    return response


@member_required
def credit_note_pdf(request, credit_note_id):
    note = selectors.credit_note_get(member=request.membership, credit_note_id=credit_note_id)
    require(request.membership, "billing.view_money")
    return pdf_response(note)


@member_required
def statements(request):
    require(request.membership, "billing.view_money")
    period = _period_param(request, request.reseller)
    return render(
        request,
        "billing/statements.html",
        {
            "period": period,
            "statements": selectors.customer_statements(request.reseller, period.start),
            "periods": selectors.billed_periods(request.reseller),
        },
    )


@member_required
def statement(request, customer_id):
    require(request.membership, "billing.view_money")
    period = _period_param(request, request.reseller)
    data = selectors.customer_statement(
        member=request.membership, customer_id=customer_id, period_start=period.start
    )
    return render(
        request, "billing/statement.html", {"period": period, **data, "reseller": request.reseller}
    )


@member_required
def statement_pdf(request, customer_id):
    period = _period_param(request, request.reseller)
    statement = selectors.statement_get(
        member=request.membership, customer_id=customer_id, period_start=period.start
    )
    require(request.membership, "billing.view_money")
    return pdf_response(statement, f"{statement.reference}.pdf")


# Operations


@staff_required
def ops_runs(request):
    form = RunStartForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            runs = services.billing_run_start(
                user=request.user,
                on_date=form.cleaned_data["on_date"],
                reseller=form.cleaned_data["reseller"],
            )
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(
                request, f"{len(runs)} billing run(s) queued; finalized runs are left alone."
            )
            return redirect("billing_runs_ops:runs")
    with scopes_disabled():
        runs = list(selectors.ops_runs()[:200])
    template = "billing/ops_runs_table.html" if request.htmx else "billing/ops_runs.html"
    return render(
        request,
        template,
        {
            "form": form,
            "runs": runs,
            "pending": sum(1 for r in runs if r.is_draft and not r.finished_at and not r.error),
        },
    )


@staff_required
def ops_run(request, run_id):
    with scopes_disabled():
        run = get_object_or_404(BillingRun.objects.select_related("reseller"), pk=run_id)
        lines = list(selectors.ledger_lines(run.reseller, run.period_start))
        invoices = list(Invoice.objects.filter(run=run).prefetch_related("credit_notes"))
    return render(
        request,
        "billing/ops_run.html",
        {"run": run, "lines": lines, "totals": ledger.totals(lines), "invoices": invoices},
    )


@staff_required
@require_POST
def ops_run_finalize(request, run_id):
    with scopes_disabled():
        run = get_object_or_404(BillingRun.objects.select_related("reseller"), pk=run_id)
    try:
        invoices = services.billing_run_finalize(user=request.user, run=run)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(
            request,
            "Finalized: "
            + (", ".join(i.number for i in invoices) or "no invoice (nothing to bill)."),
        )
    return redirect("billing_runs_ops:run", run_id=run.pk)


@staff_required
def ops_invoice_credit(request, invoice_id):
    with scopes_disabled():
        invoice = get_object_or_404(Invoice.objects.select_related("reseller"), pk=invoice_id)
        lines = list(invoice.lines.all())
    form = CreditNoteForm(request.POST or None, lines=lines)
    if request.method == "POST" and form.is_valid():
        try:
            note = services.invoice_credit(
                user=request.user,
                invoice=invoice,
                reason=form.cleaned_data["reason"],
                line_ids=[int(x) for x in form.cleaned_data["lines"]],
            )
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(
                request, f"Credit note {note.number} issued for {money(note.total, note.currency)}."
            )
            return redirect("billing_runs_ops:run", run_id=invoice.run_id)
    return render(request, "billing/ops_credit.html", {"invoice": invoice, "form": form})


@staff_required
def ops_invoice_pdf(request, invoice_id):
    with scopes_disabled():
        invoice = get_object_or_404(Invoice, pk=invoice_id)
        return pdf_response(invoice)
