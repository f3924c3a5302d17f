from django.contrib import admin

from customers.models import Customer


@admin.register(Customer)
class CustomerAdmin(admin.ModelAdmin):
    list_display = ["company_name", "reseller", "country", "currency", "primary_domain",
                    "tenant_id", "created_at"]
    list_filter = ["country", "currency", "reseller"]
    search_fields = ["company_name", "primary_domain", "contact_email", "tenant_id"]
    list_select_related = ["reseller"]
    autocomplete_fields = ["reseller"]
