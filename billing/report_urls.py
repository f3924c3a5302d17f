"""Report URLs, included under billing/reports/ (namespace `billing`) and
ops/billing/reports/ (namespace `billing_ops`). The report a page shows is fixed by its URL."""

from django.urls import path

from billing import report_views as v

PAGES = [
    ("azure-legacy/", "azure_legacy"),
    ("azure-plan/", "azure_plan"),
    ("azure-plan/daily/", "daily"),
    ("modern-workplace/", "seats"),
]


def _pages(view):
    return [path(route, view, {"key": key}, name=f"report_{key}") for route, key in PAGES]


urlpatterns = [path("", v.report_index, name="reports"), *_pages(v.report)]
ops_urlpatterns = [path("", v.ops_report_index, name="reports"), *_pages(v.ops_report)]
