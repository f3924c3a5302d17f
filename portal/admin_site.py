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
            messages.warning(
                request,
                "Operations staff must turn on two-factor authentication before using the admin.",
            )
            return redirect("mfa_activate_totp")
        next_url = request.GET.get("next") or reverse("admin:index")
        return redirect_to_login(next_url, login_url=reverse("account_login"))


class AuditedModelAdmin(admin.ModelAdmin):
    """Admin edits by operations staff land in the audit trail like service calls do."""

    def _audit(self, request, obj, verb, data=None):
        from portal.audit import audit
        from portal.models import Reseller

        reseller = obj if isinstance(obj, Reseller) else getattr(obj, "reseller", None)
        audit(
            actor=request.user,
            reseller=reseller,
            action=f"admin.{obj._meta.model_name}.{verb}",
            obj=obj,
            data=data or {},
        )

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        self._audit(
            request, obj, "changed" if change else "created", {"fields": list(form.changed_data)}
        )

    def delete_model(self, request, obj):
        self._audit(request, obj, "deleted")
        super().delete_model(request, obj)

    def delete_queryset(self, request, queryset):
        for obj in queryset:
            self._audit(request, obj, "deleted")
        super().delete_queryset(request, queryset)


class ReadOnlyAdminMixin:
    """For rows that change only through services (ledger, documents, audit, acceptances): the
    admin shows them; adding, editing and deleting (and so "delete selected") are not offered."""

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
