from django.conf import settings
from django.contrib import admin
from django.urls import include, path

from portal import observability, views

ops_patterns = [
    path("", views.ops_home, name="home"),
    path("upkeep-failures/", views.ops_upkeep_failures, name="upkeep_failures"),
    path(
        "resellers/<int:reseller_id>/verify-partner-id/",
        views.ops_verify_partner_id,
        name="verify_partner_id",
    ),
]

urlpatterns = [
    path("", views.home, name="home"),
    path("dashboard/", views.dashboard, name="dashboard"),
    path("register/", views.reseller_register, name="reseller_register"),
    path("partner/profile/", views.profile, name="profile"),
    path("partner/members/", views.members, name="members"),
    path("partner/members/invite/", views.member_invite, name="member_invite"),
    path(
        "partner/members/<int:membership_id>/role/",
        views.member_change_role,
        name="member_change_role",
    ),
    path("partner/members/<int:membership_id>/remove/", views.member_remove, name="member_remove"),
    path(
        "partner/invitations/<int:invitation_id>/revoke/",
        views.invitation_revoke,
        name="invitation_revoke",
    ),
    path("partner/activity/", views.activity, name="activity"),
    path("invitations/<uuid:token>/", views.invitation, name="invitation"),
    path("switch/", views.switch_reseller, name="switch_reseller"),
    path("notifications/", views.notifications, name="notifications"),
    path("notifications/read/", views.notifications_read_all, name="notifications_read_all"),
    path("notifications/<int:notification_id>/", views.notification_open, name="notification_open"),
    path("help/", views.help_page, name="help"),
    path("metrics", observability.metrics, name="metrics"),
    # each app's own pages (reseller, customer portal, operations), by dotted string
    path("", include("webhooks.urls")),
    path("", include("programs.urls")),
    path("", include("customers.urls")),
    path("", include("subscriptions.urls")),
    path("", include("support.urls")),
    path("", include("billing.urls")),
    path("", include("partner_center.urls")),
    path("", include("api.urls")),
    path("ops/", include((ops_patterns, "ops"))),
    path("accounts/", include("allauth.urls")),
    path(settings.ADMIN_URL, admin.site.urls),
]

if settings.DEBUG:
    from pathlib import Path

    from django.conf.urls.static import static

    # Development serves the public logos only: invoices, statements, usage files and
    # attachments are served by views that check the member's reseller, with DEBUG too.
    urlpatterns += static(
        f"{settings.MEDIA_URL}branding/", document_root=Path(settings.MEDIA_ROOT) / "branding"
    )

handler400 = "portal.errors.bad_request"
handler404 = "portal.errors.not_found"
handler403 = "portal.errors.forbidden"
handler500 = "portal.errors.server_error"

if settings.BENCH_HELLO:  # bench/pages_p95.py's floor, never on in production
    urlpatterns.append(path("bench/hello/", views.bench_hello, name="bench_hello"))
