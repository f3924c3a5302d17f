"""Catalog offers with the reseller's cost and, per customer, price (the catalog and purchase
pages' selectors)."""

from django.db.models import Prefetch
from django.shortcuts import get_object_or_404
from django.utils import timezone
from django_filters import rest_framework as filters
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
    extend_schema,
    extend_schema_field,
    extend_schema_view,
)
from rest_framework import mixins, serializers
from rest_framework.decorators import action
from rest_framework.response import Response

from api.base import RESELLER_PARAMETER, ApiViewSet
from api.errors import ApiProblem
from customers import selectors as customer_selectors
from portal.permissions import require
from portal.roles import role_can
from subscriptions import selectors
from subscriptions.catalog.models import BillingFrequency, Offer, PriceBook, PriceRule, Term


class TermCostSerializer(serializers.Serializer):
    term = serializers.CharField()
    currency = serializers.CharField()
    cost = serializers.DecimalField(
        max_digits=20,
        decimal_places=6,
        help_text="Cost of one unit for the whole term's base price.",
    )
    effective_from = serializers.DateField()


class OfferSerializer(serializers.ModelSerializer):
    product_type = serializers.CharField(source="product_type.code")
    product_type_name = serializers.CharField(source="product_type.name")
    sellable = serializers.SerializerMethodField()
    terms = serializers.ListField(source="term_list", child=serializers.CharField())
    billing_frequencies = serializers.ListField(
        source="frequency_list", child=serializers.CharField()
    )
    costs = serializers.SerializerMethodField(
        help_text="The reseller's cost per term today, in its currency (roles that may see "
        "money only; empty otherwise)."
    )

    class Meta:
        model = Offer
        fields = [
            "id",
            "sku",
            "name",
            "product_type",
            "product_type_name",
            "sellable",
            "terms",
            "billing_frequencies",
            "min_quantity",
            "max_quantity",
            "costs",
        ]
        read_only_fields = fields

    def get_sellable(self, offer) -> bool:
        return offer.product_type.status == offer.product_type.Status.SELLABLE

    @extend_schema_field(TermCostSerializer(many=True))
    def get_costs(self, offer) -> list[dict]:
        member = self.context["member"]
        if not role_can(member.role, "billing.view_money"):
            return []
        today = timezone.now().date()
        rows = [
            selectors.cost_on(offer, term, member.reseller.currency, today)
            for term in offer.term_list
        ]
        return TermCostSerializer([r for r in rows if r], many=True).data


class PriceSerializer(serializers.Serializer):
    offer = serializers.IntegerField()
    customer = serializers.IntegerField()
    term = serializers.CharField()
    billing_frequency = serializers.CharField()
    currency = serializers.CharField()
    price = serializers.DecimalField(
        max_digits=20, decimal_places=6, help_text="The customer's price of one unit per cycle."
    )
    cost = serializers.DecimalField(
        max_digits=20,
        decimal_places=6,
        allow_null=True,
        help_text="The reseller's cost of one unit per cycle "
        "(null for roles that may not see money).",
    )
    source = serializers.CharField(help_text="Which price book and rule set the price.")


class PriceQuerySerializer(serializers.Serializer):
    customer = serializers.IntegerField(min_value=1)
    term = serializers.ChoiceField(choices=Term.choices)
    billing_frequency = serializers.ChoiceField(choices=BillingFrequency.choices)


@extend_schema_view(
    list=extend_schema(summary="List catalog offers", parameters=[RESELLER_PARAMETER]),
    retrieve=extend_schema(summary="Get a catalog offer", parameters=[RESELLER_PARAMETER]),
)
class OfferViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, ApiViewSet):
    serializer_class = OfferSerializer
    model = Offer
    ordering = "id"

    def rows(self):
        require(self.member, "customers.view")
        return selectors.catalog_offers()

    def get_object(self):
        return get_object_or_404(self.rows(), pk=self.kwargs["pk"])

    def get_serializer_context(self):
        return {**super().get_serializer_context(), "member": self.member}

    @extend_schema(
        summary="A customer's price of an offer",
        responses=PriceSerializer,
        parameters=[
            RESELLER_PARAMETER,
            OpenApiParameter("customer", OpenApiTypes.INT, required=True),
            OpenApiParameter("term", str, enum=Term.values, required=True),
            OpenApiParameter("billing_frequency", str, enum=BillingFrequency.values, required=True),
        ],
    )
    @action(detail=True, methods=["get"])
    def price(self, request, pk=None):
        offer = self.get_object()
        query = PriceQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        data = query.validated_data
        customer = customer_selectors.customer_get(member=self.member, customer_id=data["customer"])
        resolved = selectors.customer_cycle_price(
            customer=customer,
            offer=offer,
            term=data["term"],
            frequency=data["billing_frequency"],
            on=timezone.now().date(),
        )
        if resolved is None:
            raise ApiProblem(
                f"{offer.name} has no {data['term']} price in {customer.currency}.",
                code="no_price",
                status_code=422,
            )
        show_cost = role_can(self.member.role, "billing.view_money")
        return Response(
            PriceSerializer(
                {
                    "offer": offer.pk,
                    "customer": customer.pk,
                    "term": data["term"],
                    "billing_frequency": data["billing_frequency"],
                    "currency": resolved.currency,
                    "price": resolved.price,
                    "cost": resolved.cost if show_cost else None,
                    "source": resolved.source,
                }
            ).data
        )


class PriceRuleSerializer(serializers.ModelSerializer):
    product_type = serializers.CharField(source="product_type.code", allow_null=True)
    offer_sku = serializers.CharField(source="offer.sku", allow_null=True)
    label = serializers.CharField(source="__str__", help_text="The rule in the page's words.")
    term = serializers.CharField(help_text="P1M, P1Y or P3Y; empty: every term.")
    currency = serializers.CharField(help_text="A fixed price's currency; empty otherwise.")

    class Meta:
        model = PriceRule
        fields = [
            "id",
            "kind",
            "product_type",
            "offer",
            "offer_sku",
            "term",
            "percent",
            "fixed_price",
            "currency",
            "effective_from",
            "label",
        ]
        read_only_fields = fields


class PriceBookSerializer(serializers.ModelSerializer):
    is_default = serializers.SerializerMethodField(
        help_text="The reseller's default book (no customer): every customer without a book "
        "of its own is priced by it."
    )
    rules = PriceRuleSerializer(source="rule_list", many=True, read_only=True)

    class Meta:
        model = PriceBook
        fields = ["id", "name", "customer", "is_default", "created_at", "rules"]
        read_only_fields = fields

    def get_is_default(self, book) -> bool:
        return book.customer_id is None


class PriceBookFilter(filters.FilterSet):
    customer = filters.NumberFilter(field_name="customer_id")


@extend_schema_view(
    list=extend_schema(
        summary="List price books with their rules", parameters=[RESELLER_PARAMETER]
    ),
    retrieve=extend_schema(
        summary="Get a price book with its rules", parameters=[RESELLER_PARAMETER]
    ),
)
class PriceBookViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, ApiViewSet):
    """The price books page's books (members who edit prices or may see money)."""

    serializer_class = PriceBookSerializer
    model = PriceBook
    filter_backends = [filters.DjangoFilterBackend]
    filterset_class = PriceBookFilter
    ordering = "id"

    def rows(self):
        selectors.require_price_access(self.member)
        return selectors.price_books_of(self.member.reseller).prefetch_related(
            # a list per book (to_attr): no related manager and queryset made per book
            Prefetch(
                "rules",
                PriceRule.objects.select_related("offer", "product_type"),
                to_attr="rule_list",
            )
        )

    def get_object(self):
        return get_object_or_404(self.rows(), pk=self.kwargs["pk"])
