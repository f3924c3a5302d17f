from django.contrib import admin
from django.urls import reverse
from django.utils.html import format_html

from billing.models import (
    BillingCalendar,
    BillingLine,
    BillingRun,
    CreditNote,
    Invoice,
    InvoiceLine,
    Statement,
    TaxExemption,
    TaxRate,
)
from billing.statements import statement_pdf_task
from billing.usage.models import UsageImport
from portal.admin_site import AuditedModelAdmin, ReadOnlyAdminMixin


@admin.register(BillingCalendar)
class BillingCalendarAdmin(AuditedModelAdmin):
    list_display = ["country", "period_start_day", "note"]
    search_fields = ["country", "note"]


@admin.register(TaxRate)
class TaxRateAdmin(AuditedModelAdmin):
    """Tax rates per country and region, effective-dated: a new rate is a new row, the old
    one ends the day before (billing/tax.py combines them)."""

    list_display = [
        "country",
        "region",
        "name",
        "rate",
        "includes_country_tax",
        "effective_from",
        "effective_to",
    ]
    list_filter = ["country", "name"]
    search_fields = ["region", "name"]


@admin.register(TaxExemption)
class TaxExemptionAdmin(AuditedModelAdmin):
    """A reseller's resale certificate: its invoices carry no tax while it is valid."""

    list_display = ["reseller", "certificate_number", "region", "expires_on", "note"]
    list_select_related = ["reseller"]
    search_fields = ["reseller__name", "certificate_number"]
    autocomplete_fields = ["reseller"]


@admin.register(UsageImport)
class UsageImportAdmin(AuditedModelAdmin):
    list_display = [
        "id",
        "reseller",
        "source",
        "file_name",
        "status",
        "total_lines",
        "imported_lines",
        "skipped_duplicates",
        "marketplace_lines",
        "created_at",
    ]
    list_filter = ["status", "source"]
    search_fields = ["file_name", "sha256", "reseller__name"]
    readonly_fields = [f.name for f in UsageImport._meta.fields]

    def has_add_permission(self, request):
        return False


class ReadOnlyAdmin(ReadOnlyAdminMixin, AuditedModelAdmin):
    """Billing documents and the ledger change only through services (runs, finalize, credit
    notes): the admin shows them read-only."""


class InvoiceLineInline(admin.TabularInline):
    model = InvoiceLine
    fields = ["position", "product_type", "customer_name", "description", "quantity", "amount"]
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(BillingRun)
class BillingRunAdmin(ReadOnlyAdmin):
    list_display = ["reseller", "period_start", "period_end", "status", "finished_at"]
    list_filter = ["status", "period_start"]
    search_fields = ["reseller__name"]


@admin.register(BillingLine)
class BillingLineAdmin(ReadOnlyAdmin):
    list_display = [
        "reseller",
        "period_start",
        "customer",
        "kind",
        "description",
        "cost_amount",
        "price_amount",
        "currency",
    ]
    list_filter = ["kind", "currency", "period_start"]
    list_select_related = ["reseller", "customer"]


@admin.register(Invoice)
class InvoiceAdmin(ReadOnlyAdmin):
    list_display = ["__str__", "reseller", "period_start", "currency", "total", "status"]
    list_filter = ["status", "currency"]
    search_fields = ["number", "reseller__name"]
    inlines = [InvoiceLineInline]
    readonly_fields = ["lines_of_a_draft"]

    @admin.display(description="Lines")
    def lines_of_a_draft(self, invoice):
        """A draft stores no lines (it shows its run's ledger until finalized)."""
        if invoice.is_finalized:
            return "Below."
        url = reverse("billing_runs_ops:run", kwargs={"run_id": invoice.run_id})
        return format_html(
            "Draft: its lines are the run's ledger until it is finalized; "
            'see <a href="{}">the billing run</a>.',
            url,
        )


@admin.register(CreditNote)
class CreditNoteAdmin(ReadOnlyAdmin):
    list_display = ["__str__", "invoice", "reseller", "currency", "total", "status"]
    search_fields = ["number", "invoice__number", "reseller__name"]


@admin.register(Statement)
class StatementAdmin(ReadOnlyAdmin):
    list_display = ["__str__", "customer", "reseller", "period_start", "pdf"]
    list_filter = ["period_start"]
    list_select_related = ["customer", "reseller"]
    search_fields = ["customer__company_name", "reseller__name"]
    actions = ["render_missing_pdfs"]

    @admin.action(description="Render the selected statements' missing PDFs")
    def render_missing_pdfs(self, request, queryset):
        """For a render task that failed for good; statements with a PDF are left alone."""
        missing = list(queryset.filter(pdf="").values_list("pk", "reseller_id"))
        for statement_id, reseller_id in missing:
            statement_pdf_task.delay_on_commit(statement_id, reseller_id=reseller_id)
        self.message_user(
            request,
            f"{len(missing)} statement PDF(s) queued; "
            f"{queryset.count() - len(missing)} already had one.",
        )
