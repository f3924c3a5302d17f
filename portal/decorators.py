import functools

from allauth.mfa.utils import is_mfa_enabled
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect


def member_required(view):
    """Signed in and member of a reseller; a user without one is sent to register a company."""

    @functools.wraps(view)
    def wrapper(request, *args, **kwargs):
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        if request.membership is None:
            if request.user.is_staff:
                return redirect("ops:home")
            return redirect("reseller_register")
        return view(request, *args, **kwargs)

    return wrapper


def staff_mfa_missing(user) -> bool:
    return settings.STAFF_MFA_REQUIRED and not is_mfa_enabled(user)


def staff_required(view):
    """Operations staff only; with STAFF_MFA_REQUIRED they must have turned MFA on."""

    @functools.wraps(view)
    def wrapper(request, *args, **kwargs):
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        if not request.user.is_staff:
            raise PermissionDenied("Only operations staff may open this page.")
        if staff_mfa_missing(request.user):
            messages.warning(
                request,
                "Operations staff must turn on two-factor authentication "
                "before using the operations pages.",
            )
            return redirect("mfa_activate_totp")
        return view(request, *args, **kwargs)

    return wrapper
