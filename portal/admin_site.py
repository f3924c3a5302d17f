from django.contrib import admin, messages
from django.contrib.auth.views import redirect_to_login
from django.shortcuts import redirect
from django.urls import reverse

from portal.decorators import staff_mfa_missing


class PortalAdminSite(admin.AdminSite):
    """Django admin for operations staff: sign-in goes through allauth (rate limits, MFA),
    and with STAFF_MFA_REQUIRED a staff member without MFA is sent to turn it on."""

    site_header = "Reseller portal operations"
    site_title = "Operations"
    index_title = "Administration"

    def has_permission(self, request):
        user = request.user
        return user.is_active and user.is_staff and not staff_mfa_missing(user)

    def login(self, request, extra_context=None):
        user = request.user
        if user.is_authenticated and user.is_staff and staff_mfa_missing(user):
            messages.warning(request, "Operations staff must turn on two-factor authentication "
                                      "before using the admin.")
            return redirect("mfa_activate_totp")
        next_url = request.GET.get("next") or reverse("admin:index")
        return redirect_to_login(next_url, login_url=reverse("account_login"))
