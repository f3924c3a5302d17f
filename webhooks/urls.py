from django.urls import path

from webhooks import views

app_name = "webhooks"

urlpatterns = [
    path("partner/webhooks/", views.endpoints, name="endpoints"),
    path("partner/webhooks/<int:endpoint_id>/", views.endpoint, name="endpoint"),
    path("partner/webhooks/<int:endpoint_id>/rotate/", views.endpoint_rotate, name="rotate"),
    path("partner/webhooks/<int:endpoint_id>/delete/", views.endpoint_delete, name="delete"),
    path(
        "partner/webhooks/<int:endpoint_id>/deliveries/<int:delivery_id>/redeliver/",
        views.delivery_redeliver,
        name="redeliver",
    ),
]
