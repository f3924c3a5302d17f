from django.urls import include, path

from support import views

reseller_patterns = [
    path("", views.home, name="home"),
    path("tickets/new/", views.ticket_create, name="ticket_create"),
    path("contact/", views.contact, name="contact"),
    path("tickets/<int:ticket_id>/", views.ticket, name="ticket"),
    path("tickets/<int:ticket_id>/resolve/", views.ticket_resolve, name="ticket_resolve"),
    path("tickets/<int:ticket_id>/reopen/", views.ticket_reopen, name="ticket_reopen"),
    path("attachments/<int:attachment_id>/", views.attachment, name="attachment"),
    path("plans/", views.plans, name="plans"),
    path("plans/<int:support_plan_id>/", views.plan_edit, name="plan_edit"),
    path("customers/<int:customer_id>/plan/", views.customer_plan, name="customer_plan"),
]

ops_patterns = [
    path("", views.ops_queue, name="queue"),
    path("tickets/<int:ticket_id>/", views.ops_ticket, name="ticket"),
    path("attachments/<int:attachment_id>/", views.ops_attachment, name="attachment"),
]

urlpatterns = [
    path("support/", include((reseller_patterns, "support"))),
    path("ops/support/", include((ops_patterns, "support_ops"))),
]
