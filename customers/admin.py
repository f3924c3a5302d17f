from django.contrib import admin
from django.urls import reverse
from django.utils.html import format_html

from customers.models import Customer, McaAcceptance, McaInvitation
from portal.admin_site import AuditedModelAdmin, ReadOnlyAdminMixin


@admin.register(Customer)
class CustomerAdmin(AuditedModelAdmin):
    list_display = [
        "company_name",
        "reseller",
        "country",
        "currency",
        "primary_domain",
        "tenant_id",
        "mca_status",
        "created_at",
    ]
    list_filter = ["mca_status", "country", "currency", "reseller"]
    search_fields = ["company_name", "primary_domain", "contact_email", "tenant_id"]
    list_select_related = ["reseller"]
    autocomplete_fields = ["reseller"]
    readonly_fields = ["tenant"]

    @admin.display(description="Microsoft tenant")
    def tenant(self, obj):
        if obj.pk is None:
            return "—"
        return format_html(
            '{} · <a href="{}">relink (operations, with a reason)</a>',
            obj.tenant_id or "none",
            reverse("customers_ops:tenant_relink", args=[obj.pk]),
        )


@admin.register(McaInvitation)
class McaInvitationAdmin(AuditedModelAdmin):
    list_display = ["customer", "reseller", "sent_to", "sent_at", "expires_at", "state"]
    list_filter = ["state", "reseller"]
    list_select_related = ["customer", "reseller"]
    readonly_fields = [
        "reseller",
        "customer",
        "nonce",
        "sent_to",
        "sent_by",
        "sent_at",
        "expires_at",
        "state",
        "closed_at",
    ]

    def has_add_permission(self, request):
        return False


@admin.register(McaAcceptance)
class McaAcceptanceAdmin(ReadOnlyAdminMixin, AuditedModelAdmin):
    """Acceptances are evidence: read-only here; logging goes through the operations queue."""

    list_display = [
        "customer",
        "reseller",
        "first_name",
        "last_name",
        "date_agreed",
        "logged_at",
        "logged_via",
        "partner_center_reference",
    ]
    list_filter = ["logged_via", "reseller"]
    list_select_related = ["customer", "reseller"]
    search_fields = ["customer__company_name", "email", "last_name"]
