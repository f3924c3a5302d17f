"""A URLconf with a page that fails: errors must reach Sentry (test_logging_and_sentry)."""

from django.urls import include, path


def failing_page(request):
    raise RuntimeError("billing run failed")


urlpatterns = [
    path("fail/", failing_page, name="fail"),
    path("", include("portal.urls")),
]
