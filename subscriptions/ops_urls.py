from django.urls import path

from subscriptions import views

app_name = "subscriptions_ops"

urlpatterns = [
    path("import/", views.ops_catalog_import, name="catalog_import"),
]
