from django.urls import path

from customers import views

app_name = "customers"

urlpatterns = [
    path("", views.customer_list, name="list"),
    path("new/", views.customer_create, name="create"),
    path("<int:customer_id>/", views.customer_detail, name="detail"),
    path("<int:customer_id>/edit/", views.customer_edit, name="edit"),
    path("<int:customer_id>/mca/send/", views.mca_send, name="mca_send"),
    path("<int:customer_id>/mca/revoke/", views.mca_revoke, name="mca_revoke"),
    path("<int:customer_id>/tenant/", views.create_tenant, name="create_tenant"),
    path("<int:customer_id>/portal-link/", views.portal_link, name="portal_link"),
]
