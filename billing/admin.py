from django.contrib import admin

from billing.models import BillingCalendar
from portal.admin_site import AuditedModelAdmin


@admin.register(BillingCalendar)
class BillingCalendarAdmin(AuditedModelAdmin):
    list_display = ["country", "period_start_day", "note"]
    search_fields = ["country", "note"]
