from django.urls import path

from support import views

app_name = "support_ops"

urlpatterns = [
    path("", views.ops_queue, name="queue"),
    path("tickets/<int:ticket_id>/", views.ops_ticket, name="ticket"),
    path("attachments/<int:attachment_id>/", views.ops_attachment, name="attachment"),
]
