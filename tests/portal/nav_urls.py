"""The portal's URLconf under a prefix: the navigation follows a changed URL configuration
(test_dashboard)."""

from django.urls import include, path

urlpatterns = [path("p/", include("portal.urls"))]
