from django.urls import include, path

from billing import report_urls, views

app_name = "billing"

urlpatterns = [
    path("", views.home, name="home"),
    path("invoices/<int:invoice_id>/", views.invoice_detail, name="invoice"),
    path("invoices/<int:invoice_id>/pdf/", views.invoice_pdf, name="invoice_pdf"),
    path("credit-notes/<int:credit_note_id>/pdf/", views.credit_note_pdf,
         name="credit_note_pdf"),
    path("statements/", views.statements, name="statements"),
    path("statements/<int:customer_id>/", views.statement, name="statement"),
    path("statements/<int:customer_id>/pdf/", views.statement_pdf, name="statement_pdf"),
    path("usage/", views.usage_imports, name="usage_imports"),
    path("usage/<int:usage_import_id>/", views.usage_import, name="usage_import"),
    path("usage/<int:usage_import_id>/status/", views.usage_import_status,
         name="usage_import_status"),
    path("reports/", include(report_urls.urlpatterns)),
]
