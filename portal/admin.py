from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin

from portal.admin_site import AuditedModelAdmin, ReadOnlyAdminMixin
from portal.models import AuditEvent, Invitation, Membership, Notification, Reseller, User


@admin.register(User)
class UserAdmin(AuditedModelAdmin, BaseUserAdmin):
    ordering = ["email"]
    list_display = ["email", "first_name", "last_name", "is_staff", "is_active", "last_login"]
    list_filter = ["is_staff", "is_superuser", "is_active"]
    search_fields = ["email", "first_name", "last_name"]
    fieldsets = [
        (None, {"fields": ["email", "password"]}),
        ("Personal info", {"fields": ["first_name", "last_name"]}),
        (
            "Permissions",
            {"fields": ["is_active", "is_staff", "is_superuser", "groups", "user_permissions"]},
        ),
        ("Important dates", {"fields": ["last_login", "date_joined"]}),
    ]
    add_fieldsets = [(None, {"classes": ["wide"], "fields": ["email", "password1", "password2"]})]


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 0
    autocomplete_fields = ["user"]


@admin.register(Reseller)
class ResellerAdmin(AuditedModelAdmin):
    list_display = [
        "name",
        "country",
        "region",
        "currency",
        "partner_id",
        "partner_id_verified_at",
        "mpa_accepted_on",
        "created_at",
    ]
    list_filter = ["country", "currency"]
    readonly_fields = ["partner_id_verified_at", "partner_id_verified_by"]
    search_fields = ["name", "partner_id", "support_email"]
    inlines = [MembershipInline]

    def save_model(self, request, obj, form, change):
        # a changed MPN/Partner ID is a new claim: operations verify it again (as when the
        # reseller changes it on its profile, services.reseller_update_profile)
        if change and "partner_id" in form.changed_data:
            obj.partner_id_verified_at = obj.partner_id_verified_by = None
        super().save_model(request, obj, form, change)


@admin.register(Membership)
class MembershipAdmin(AuditedModelAdmin):
    list_display = ["user", "reseller", "role", "created_at"]
    list_filter = ["role", "reseller__country"]
    search_fields = ["user__email", "reseller__name"]
    list_select_related = ["user", "reseller"]
    autocomplete_fields = ["user", "reseller"]


@admin.register(Invitation)
class InvitationAdmin(AuditedModelAdmin):
    list_display = ["email", "reseller", "role", "state", "created_at", "expires_at"]
    list_filter = ["state", "role"]
    search_fields = ["email", "reseller__name"]
    list_select_related = ["reseller"]
    readonly_fields = ["token", "created_at", "decided_at", "invited_by"]


@admin.register(AuditEvent)
class AuditEventAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """Read-only: the audit trail is append-only, written by services."""

    list_display = ["at", "action", "reseller", "actor", "object_repr"]
    list_filter = ["action", "reseller"]
    search_fields = ["action", "object_repr", "object_id", "actor__email"]
    list_select_related = ["actor", "reseller"]
    date_hierarchy = "at"


@admin.register(Notification)
class NotificationAdmin(admin.ModelAdmin):
    list_display = ["title", "user", "reseller", "created_at", "read_at"]
    list_filter = ["reseller"]
    search_fields = ["title", "user__email"]
    list_select_related = ["user", "reseller"]
