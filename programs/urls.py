from django.urls import include, path

from programs import views

reseller_patterns = [
    path("", views.program_list, name="list"),
    path("request/", views.program_request, name="request"),
    path("links/", views.country_links, name="links"),
]

ops_patterns = [
    path("", views.ops_queue, name="queue"),
    path("<int:program_request_id>/decide/", views.ops_decide, name="decide"),
    path("<int:program_request_id>/revoke/", views.ops_revoke, name="revoke"),
]

urlpatterns = [
    path("partner/programs/", include((reseller_patterns, "programs"))),
    path("ops/programs/", include((ops_patterns, "programs_ops"))),
]
