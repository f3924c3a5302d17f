from django.urls import include, path

from partner_center import views

ops_patterns = [
    path("", views.ops_connection, name="connection"),
    path("connect/", views.ops_connection_start, name="start"),
    path("connected/", views.ops_connection_callback, name="callback"),
]

urlpatterns = [
    path("ops/partner-center/", include((ops_patterns, "partner_center_ops"))),
]
