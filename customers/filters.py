import django_filters

from customers.models import Customer, McaStatus
from customers.selectors import search_q
from portal.models import Country


class CustomerFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(label="Search", method="search")
    mca_status = django_filters.ChoiceFilter(
        label="MCA", choices=McaStatus.choices, empty_label="Any MCA state"
    )
    country = django_filters.ChoiceFilter(choices=Country.choices, empty_label="Any country")

    class Meta:
        model = Customer
        fields = ["q", "mca_status", "country"]

    def search(self, queryset, name, value):
        return queryset.filter(search_q(value)) if value.strip() else queryset
