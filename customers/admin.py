from django.contrib import admin

from customers.models import Customer
from portal.admin_site import AuditedModelAdmin


@admin.register(Customer)
class CustomerAdmin(AuditedModelAdmin):
    list_display = ["company_name", "reseller", "country", "currency", "primary_domain",
                    "tenant_id", "created_at"]
    list_filter = ["country", "currency", "reseller"]
    search_fields = ["company_name", "primary_domain", "contact_email", "tenant_id"]
    list_select_related = ["reseller"]
    autocomplete_fields = ["reseller"]
