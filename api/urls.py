from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from api import views
from api.resources.me import MeView
from api.resources.reports import VIEWS as REPORT_VIEWS
from api.routes import router

app_name = "api"

urlpatterns = [
    path("api/v1/schema/", SpectacularAPIView.as_view(), name="schema"),
    path(
        "api/v1/docs/",
        SpectacularSwaggerSplitView.as_view(
            url_name="api:schema", template_name="api/swagger_ui.html"
        ),
        name="docs",
    ),
    path("api/v1/me/", MeView.as_view(), name="me"),
    path("api/v1/", include(router.urls)),
    *(path(f"api/v1/{route}", view) for route, view in REPORT_VIEWS.items()),
    path("partner/api-keys/", views.api_keys, name="keys"),
    path("partner/api-keys/<int:api_key_id>/revoke/", views.api_key_revoke, name="key_revoke"),
]
