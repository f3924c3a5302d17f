"""URLs of billing: reseller pages under billing/, operations under ops/billing/. A report page
is fixed by its URL (`REPORT_PAGES`)."""

from django.urls import include, path

from billing import views
from billing.reconciliation import views as reconciliation_views
from billing.reports import views as report_views
from billing.usage import views as usage_views

REPORT_PAGES = [
    ("azure-legacy/", "azure_legacy"),
    ("azure-plan/", "azure_plan"),
    ("azure-plan/daily/", "daily"),
    ("modern-workplace/", "seats"),
]


def _report_pages(view):
    return [path(route, view, {"key": key}, name=f"report_{key}") for route, key in REPORT_PAGES]


report_patterns = [
    path("", report_views.report_index, name="reports"),
    *_report_pages(report_views.report),
]
ops_report_patterns = [
    path("", report_views.ops_report_index, name="reports"),
    *_report_pages(report_views.ops_report),
]

reseller_patterns = [
    path("", views.home, name="home"),
    path("figures/", report_views.dashboard_figures, name="figures"),
    path("invoices/<int:invoice_id>/", views.invoice_detail, name="invoice"),
    path("invoices/<int:invoice_id>/pdf/", views.invoice_pdf, name="invoice_pdf"),
    *(
        path(
            f"invoices/<int:invoice_id>/lines.{extension}",
            views.invoice_lines,
            {"extension": extension},
            name=f"invoice_lines_{extension}",
        )
        for extension in ("csv", "xlsx")
    ),
    path(
        "invoices/<int:invoice_id>/lines.pdf",
        views.invoice_detail_pdf,
        name="invoice_detail_pdf",
    ),
    path("credit-notes/<int:credit_note_id>/pdf/", views.credit_note_pdf, name="credit_note_pdf"),
    path("statements/", views.statements, name="statements"),
    path("statements/<int:customer_id>/", views.statement, name="statement"),
    path("statements/<int:customer_id>/pdf/", views.statement_pdf, name="statement_pdf"),
    path("usage/", usage_views.usage_imports, name="usage_imports"),
    path("usage/<int:usage_import_id>/", usage_views.usage_import, name="usage_import"),
    path(
        "usage/<int:usage_import_id>/status/",
        usage_views.usage_import_status,
        name="usage_import_status",
    ),
    path("reports/", include(report_patterns)),
    path("reconciliation/", reconciliation_views.reconciliation, name="reconciliation"),
]

ops_patterns = [
    path("usage/", usage_views.ops_usage_imports, name="usage_imports"),
    path("usage/<int:usage_import_id>/", usage_views.ops_usage_import, name="usage_import"),
    path(
        "usage/<int:usage_import_id>/status/",
        usage_views.ops_usage_import_status,
        name="usage_import_status",
    ),
    path("reports/", include(ops_report_patterns)),
    path("reconciliation/", reconciliation_views.ops_reconciliation, name="reconciliation"),
]

run_ops_patterns = [
    path("", views.ops_runs, name="runs"),
    path("<int:run_id>/", views.ops_run, name="run"),
    path("<int:run_id>/finalize/", views.ops_run_finalize, name="finalize"),
    path("invoices/<int:invoice_id>/credit/", views.ops_invoice_credit, name="credit"),
    path("invoices/<int:invoice_id>/pdf/", views.ops_invoice_pdf, name="invoice_pdf"),
]

urlpatterns = [
    path("billing/", include((reseller_patterns, "billing"))),
    path("billing/insight/", include(("billing.insight.urls", "billing_insight"))),
    path("ops/billing/runs/", include((run_ops_patterns, "billing_runs_ops"))),
    path("ops/billing/", include((ops_patterns, "billing_ops"))),
]
