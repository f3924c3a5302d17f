from django.urls import include, path

from billing import report_urls, views

app_name = "billing_ops"

urlpatterns = [
    path("usage/", views.ops_usage_imports, name="usage_imports"),
    path("usage/<int:usage_import_id>/", views.ops_usage_import, name="usage_import"),
    path("usage/<int:usage_import_id>/status/", views.ops_usage_import_status,
         name="usage_import_status"),
    path("reports/", include(report_urls.ops_urlpatterns)),
]
