"""Report URLs, included under billing/reports/ (namespace `billing`) and
ops/billing/reports/ (namespace `billing_ops`)."""

from django.urls import path

from billing import report_views as v

urlpatterns = [
    path("", v.report_index, name="reports"),
    path("azure-legacy/", v.report_azure_legacy, name="report_azure_legacy"),
    path("azure-plan/", v.report_azure_plan, name="report_azure_plan"),
    path("azure-plan/daily/", v.report_daily, name="report_daily"),
    path("modern-workplace/", v.report_seats, name="report_seats"),
]

ops_urlpatterns = [
    path("", v.ops_report_index, name="reports"),
    path("azure-legacy/", v.ops_report_azure_legacy, name="report_azure_legacy"),
    path("azure-plan/", v.ops_report_azure_plan, name="report_azure_plan"),
    path("azure-plan/daily/", v.ops_report_daily, name="report_daily"),
    path("modern-workplace/", v.ops_report_seats, name="report_seats"),
]
