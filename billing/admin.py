from django.contrib import admin

from billing.models import BillingCalendar, UsageImport
from portal.admin_site import AuditedModelAdmin


@admin.register(BillingCalendar)
class BillingCalendarAdmin(AuditedModelAdmin):
    list_display = ["country", "period_start_day", "note"]
    search_fields = ["country", "note"]


@admin.register(UsageImport)
class UsageImportAdmin(AuditedModelAdmin):
    list_display = ["id", "reseller", "source", "file_name", "status", "total_lines",
                    "imported_lines", "skipped_duplicates", "marketplace_lines", "created_at"]
    list_filter = ["status", "source"]
    search_fields = ["file_name", "sha256", "reseller__name"]
    readonly_fields = [f.name for f in UsageImport._meta.fields]

    def has_add_permission(self, request):
        return False
