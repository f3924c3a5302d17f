from django.urls import path

from programs import views

app_name = "programs_ops"

urlpatterns = [
    path("", views.ops_queue, name="queue"),
    path("<int:program_request_id>/decide/", views.ops_decide, name="decide"),
]
