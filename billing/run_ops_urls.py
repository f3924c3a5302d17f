from django.urls import path

from billing import views

app_name = "billing_runs_ops"

urlpatterns = [
    path("", views.ops_runs, name="runs"),
    path("<int:run_id>/", views.ops_run, name="run"),
    path("<int:run_id>/finalize/", views.ops_run_finalize, name="finalize"),
    path("invoices/<int:invoice_id>/credit/", views.ops_invoice_credit, name="credit"),
    path("invoices/<int:invoice_id>/pdf/", views.ops_invoice_pdf, name="invoice_pdf"),
]
