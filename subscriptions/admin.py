from django.contrib import admin

from portal.admin_site import AuditedModelAdmin, ReadOnlyAdminMixin
from subscriptions.catalog.models import (
    Offer,
    OfferPrice,
    PriceBook,
    PriceRule,
    ProductType,
    SeatCapGroup,
)
from subscriptions.models import ChargeEvent, SeatAssignment, Subscription


@admin.register(ProductType)
class ProductTypeAdmin(AuditedModelAdmin):
    list_display = ["name", "code", "status", "billing", "sort_order"]
    list_filter = ["status", "billing"]
    search_fields = ["name", "code"]


@admin.register(SeatCapGroup)
class SeatCapGroupAdmin(AuditedModelAdmin):
    list_display = ["name", "code", "max_seats"]


class OfferPriceInline(admin.TabularInline):
    model = OfferPrice
    extra = 1


@admin.register(Offer)
class OfferAdmin(AuditedModelAdmin):
    list_display = [
        "name",
        "sku",
        "product_type",
        "terms",
        "billing_frequencies",
        "min_quantity",
        "max_quantity",
        "cap_group",
        "is_active",
    ]
    list_filter = ["product_type", "is_active", "cap_group"]
    search_fields = ["name", "sku"]
    list_select_related = ["product_type", "cap_group"]
    inlines = [OfferPriceInline]


@admin.register(OfferPrice)
class OfferPriceAdmin(AuditedModelAdmin):
    list_display = ["offer", "term", "currency", "cost", "effective_from"]
    list_filter = ["term", "currency"]
    search_fields = ["offer__name", "offer__sku"]
    list_select_related = ["offer"]


class PriceRuleInline(admin.TabularInline):
    model = PriceRule
    extra = 0
    autocomplete_fields = ["offer"]


@admin.register(PriceBook)
class PriceBookAdmin(AuditedModelAdmin):
    list_display = ["name", "reseller", "customer"]
    list_filter = ["reseller"]
    search_fields = ["name", "reseller__name", "customer__company_name"]
    list_select_related = ["reseller", "customer"]
    inlines = [PriceRuleInline]


@admin.register(PriceRule)
class PriceRuleAdmin(AuditedModelAdmin):
    list_display = [
        "book",
        "kind",
        "offer",
        "product_type",
        "percent",
        "fixed_price",
        "effective_from",
    ]
    list_filter = ["kind", "reseller"]
    list_select_related = ["book", "offer", "product_type"]


class SeatAssignmentInline(admin.TabularInline):
    model = SeatAssignment
    extra = 0
    readonly_fields = ["display_name", "user_principal_name", "assigned_at"]
    can_delete = False


@admin.register(Subscription)
class SubscriptionAdmin(AuditedModelAdmin):
    """Read-only: subscriptions change through the portal's services and Partner Center."""

    list_display = [
        "offer",
        "customer",
        "reseller",
        "quantity",
        "term",
        "billing_frequency",
        "status",
        "term_end",
        "auto_renew",
    ]
    list_filter = ["status", "term", "billing_frequency", "reseller"]
    search_fields = ["partner_center_id", "customer__company_name", "offer__name"]
    list_select_related = ["offer", "customer", "reseller"]
    inlines = [SeatAssignmentInline]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(ChargeEvent)
class ChargeEventAdmin(ReadOnlyAdminMixin, AuditedModelAdmin):
    """The ledger is append-only: corrections are new events or credit notes."""

    list_display = [
        "charge_date",
        "kind",
        "subscription",
        "quantity",
        "price_amount",
        "cost_amount",
        "currency",
        "reseller",
    ]
    list_filter = ["kind", "currency", "reseller"]
    list_select_related = ["subscription__offer", "subscription__customer", "reseller"]
    date_hierarchy = "charge_date"
