"""URLs of customers: reseller pages, the customer portal (signed links, no account) and the
operations queue."""

from django.urls import include, path

from customers import views
from customers.gdap import views as gdap_views

reseller_patterns = [
    path("", views.customer_list, name="list"),
    path("new/", views.customer_create, name="create"),
    path("<int:customer_id>/", views.customer_detail, name="detail"),
    path("<int:customer_id>/edit/", views.customer_edit, name="edit"),
    path("<int:customer_id>/mca/send/", views.mca_send, name="mca_send"),
    path("<int:customer_id>/mca/revoke/", views.mca_revoke, name="mca_revoke"),
    path("<int:customer_id>/tenant/", views.create_tenant, name="create_tenant"),
    path("<int:customer_id>/admin-account/", views.admin_account, name="admin_account"),
    path("<int:customer_id>/tenant/link/", views.link_tenant, name="link_tenant"),
    path("<int:customer_id>/portal-link/", views.portal_link, name="portal_link"),
    # GDAP (customers/gdap)
    path("<int:customer_id>/gdap/new/", gdap_views.relationship_request, name="gdap_request"),
    path(
        "<int:customer_id>/gdap/<int:relationship_id>/auto-extend/",
        gdap_views.relationship_auto_extend,
        name="gdap_auto_extend",
    ),
    path(
        "<int:customer_id>/gdap/<int:relationship_id>/end/",
        gdap_views.relationship_terminate,
        name="gdap_terminate",
    ),
    path(
        "<int:customer_id>/gdap/<int:relationship_id>/refresh/",
        gdap_views.relationship_refresh,
        name="gdap_refresh",
    ),
    path(
        "<int:customer_id>/gdap/<int:relationship_id>/sandbox-approve/",
        gdap_views.relationship_sandbox_approve,
        name="gdap_sandbox_approve",
    ),
]

portal_patterns = [
    path("mca/<str:token>/", views.mca_click_through, name="mca"),
    path("<str:token>/", views.portal_home, name="home"),
]

ops_patterns = [
    path("<int:customer_id>/tenant/", views.ops_tenant_relink, name="tenant_relink"),
    path("mca/", views.ops_mca_queue, name="mca_queue"),
    path("mca/<int:acceptance_id>/logged/", views.ops_mca_mark_logged, name="mca_mark_logged"),
    path(
        "mca/<int:acceptance_id>/gateway/",
        views.ops_mca_log_with_gateway,
        name="mca_log_with_gateway",
    ),
]

urlpatterns = [
    path("customers/", include((reseller_patterns, "customers"))),
    path("c/", include((portal_patterns, "customer_portal"))),
    path("ops/customers/", include((ops_patterns, "customers_ops"))),
]
