from django.urls import path

from subscriptions import views

app_name = "provisioning_ops"

urlpatterns = [
    path("", views.ops_provisioning, name="list"),
    path("<int:subscription_id>/retry/", views.ops_provisioning_retry, name="retry"),
]
