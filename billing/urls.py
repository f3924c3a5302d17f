from django.urls import include, path

from billing import report_urls, views

app_name = "billing"

urlpatterns = [
    path("usage/", views.usage_imports, name="usage_imports"),
    path("usage/<int:usage_import_id>/", views.usage_import, name="usage_import"),
    path("usage/<int:usage_import_id>/status/", views.usage_import_status,
         name="usage_import_status"),
    path("reports/", include(report_urls.urlpatterns)),
]
