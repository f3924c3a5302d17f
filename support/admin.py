from django.contrib import admin

from portal.admin_site import AuditedModelAdmin
from support.models import (
    DistributorSupport,
    PlanAssignment,
    SupportPlan,
    Ticket,
    TicketAttachment,
    TicketMessage,
)


@admin.register(SupportPlan)
class SupportPlanAdmin(AuditedModelAdmin):
    list_display = ["name", "reseller", "email", "phone", "hours"]
    list_filter = ["reseller"]
    search_fields = ["name", "reseller__name", "email"]
    list_select_related = ["reseller"]


@admin.register(PlanAssignment)
class PlanAssignmentAdmin(AuditedModelAdmin):
    list_display = ["customer", "plan", "reseller", "started_at", "ended_at"]
    list_filter = ["reseller"]
    search_fields = ["customer__company_name", "plan__name"]
    list_select_related = ["customer", "plan", "reseller"]


class TicketMessageInline(admin.StackedInline):
    model = TicketMessage
    extra = 0
    fields = ["author", "from_operations", "internal", "body", "created_at"]
    readonly_fields = fields


@admin.register(Ticket)
class TicketAdmin(AuditedModelAdmin):
    list_display = [
        "id",
        "subject",
        "reseller",
        "priority",
        "status",
        "first_response_due_at",
        "first_response_at",
        "assigned_to",
    ]
    list_filter = ["status", "priority", "category", "reseller"]
    search_fields = ["subject", "reseller__name", "opened_by__email"]
    list_select_related = ["reseller", "assigned_to"]
    inlines = [TicketMessageInline]


@admin.register(TicketAttachment)
class TicketAttachmentAdmin(admin.ModelAdmin):
    list_display = ["original_name", "size", "reseller", "message"]
    search_fields = ["original_name"]
    list_select_related = ["reseller", "message"]


@admin.register(DistributorSupport)
class DistributorSupportAdmin(AuditedModelAdmin):
    """The distributor's support contacts: one row, edited, never added twice or deleted."""

    list_display = ["name", "chat_url", "email", "phone", "hours", "updated_at"]

    def has_add_permission(self, request):
        return not DistributorSupport.objects.exists()

    def has_delete_permission(self, request, obj=None):
        return False
