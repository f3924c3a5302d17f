import django_filters
from django.db.models import Q

from subscriptions.catalog.models import ProductType
from subscriptions.models import Subscription


class SubscriptionFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(label="Search", method="search")
    status = django_filters.ChoiceFilter(
        choices=Subscription.Status.choices, empty_label="Any status"
    )
    product_type = django_filters.ModelChoiceFilter(
        field_name="offer__product_type",
        label="Product type",
        queryset=ProductType.objects.filter(status=ProductType.Status.SELLABLE),
        empty_label="Any product type",
    )

    class Meta:
        model = Subscription
        fields = ["q", "status", "product_type"]

    def search(self, queryset, name, value):
        value = value.strip()
        if not value:
            return queryset
        return queryset.filter(
            Q(customer__company_name__icontains=value)
            | Q(offer__name__icontains=value)
            | Q(partner_center_id__icontains=value)
        )
