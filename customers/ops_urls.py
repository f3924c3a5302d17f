from django.urls import path

from customers import views

app_name = "customers_ops"

urlpatterns = [
    path("mca/", views.ops_mca_queue, name="mca_queue"),
    path("mca/<int:acceptance_id>/logged/", views.ops_mca_mark_logged, name="mca_mark_logged"),
    path("mca/<int:acceptance_id>/gateway/", views.ops_mca_log_with_gateway,
         name="mca_log_with_gateway"),
]
