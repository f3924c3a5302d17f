"""Invoices, credit notes, customer statements (with their PDFs) and usage summaries: the
billing pages' selectors and permission (money needs billing.view_money)."""

from django.shortcuts import get_object_or_404
from django_filters import rest_framework as filters
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import mixins, serializers
from rest_framework.decorators import action
from rest_framework.filters import OrderingFilter
from rest_framework.pagination import PageNumberPagination

from api.base import RESELLER_PARAMETER, ApiViewSet
from billing import selectors
from billing.models import CreditNote, Invoice, Statement
from billing.usage import selectors as usage_selectors
from billing.usage.models import UsageSummary
from billing.views import pdf_response
from customers import selectors as customer_selectors
from portal.permissions import require
from subscriptions import selectors as subscription_selectors

DOCUMENT_FIELDS = [
    "id",
    "number",
    "status",
    "period_start",
    "period_end",
    "currency",
    "issued_on",
    "subtotal",
    "tax_rate",
    "tax_amount",
    "total",
    "finalized_at",
    "pdf_ready",
]
PDF_RESPONSES = {
    (200, "application/pdf"): OpenApiResponse(OpenApiTypes.BINARY, description="The PDF document.")
}


class InvoiceSerializer(serializers.ModelSerializer):
    pdf_ready = serializers.SerializerMethodField()

    class Meta:
        model = Invoice
        fields = DOCUMENT_FIELDS
        read_only_fields = fields

    def get_pdf_ready(self, doc) -> bool:
        return bool(doc.pdf)


class CreditNoteSerializer(InvoiceSerializer):
    class Meta:
        model = CreditNote
        fields = [*DOCUMENT_FIELDS, "invoice", "reason"]
        read_only_fields = fields


class StatementSerializer(serializers.ModelSerializer):
    pdf_ready = serializers.SerializerMethodField()

    class Meta:
        model = Statement
        fields = ["id", "customer", "period_start", "period_end", "created_at", "pdf_ready"]
        read_only_fields = fields

    def get_pdf_ready(self, doc) -> bool:
        return bool(doc.pdf)


class UsageSummarySerializer(serializers.ModelSerializer):
    product_type = serializers.CharField(source="product_type.code")

    class Meta:
        model = UsageSummary
        fields = [
            "id",
            "customer",
            "subscription",
            "product_type",
            "month",
            "meter_id",
            "meter_category",
            "meter_sub_category",
            "meter_name",
            "unit_of_measure",
            "currency",
            "quantity",
            "pre_tax_total",
            "lines",
        ]
        read_only_fields = fields


class DailyUsageSerializer(serializers.Serializer):
    customer = serializers.IntegerField(source="customer_id")
    subscription = serializers.IntegerField(source="subscription_id")
    usage_date = serializers.DateField()
    currency = serializers.CharField()
    quantity = serializers.DecimalField(max_digits=None, decimal_places=None)
    pre_tax_total = serializers.DecimalField(
        max_digits=None, decimal_places=None, help_text="Microsoft's pre-tax total: your cost."
    )
    lines = serializers.IntegerField(help_text="Daily rated lines summed.")


MAX_DAILY_SPAN = 92  # days of one daily-usage request


class DailyQuerySerializer(serializers.Serializer):
    customer = serializers.IntegerField(min_value=1, required=False)
    subscription = serializers.IntegerField(min_value=1, required=False)
    date_from = serializers.DateField()
    date_to = serializers.DateField()

    def validate(self, attrs):
        if not attrs.get("customer") and not attrs.get("subscription"):
            raise serializers.ValidationError("Choose a customer or a subscription.")
        span = (attrs["date_to"] - attrs["date_from"]).days
        if not 0 <= span < MAX_DAILY_SPAN:
            raise serializers.ValidationError(
                f"date_to must be on or after date_from, at most {MAX_DAILY_SPAN} days in all."
            )
        return attrs


class DailyPage(PageNumberPagination):
    page_size = 100
    page_size_query_param = "page_size"
    max_page_size = 500


class DocumentFilter(filters.FilterSet):
    status = filters.ChoiceFilter(choices=Invoice.Status.choices)
    currency = filters.CharFilter()
    period_start = filters.DateFilter()


class CreditNoteFilter(DocumentFilter):
    invoice = filters.NumberFilter(field_name="invoice_id")


class StatementFilter(filters.FilterSet):
    customer = filters.NumberFilter(field_name="customer_id")
    period_start = filters.DateFilter()


class UsageSummaryFilter(filters.FilterSet):
    customer = filters.NumberFilter(field_name="customer_id")
    subscription = filters.NumberFilter(field_name="subscription_id")
    month = filters.DateFilter(help_text="First day of the usage month.")


class _MoneyViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, ApiViewSet):
    selector = None
    ordering = ["-id"]
    filter_backends = [filters.DjangoFilterBackend, OrderingFilter]
    ordering_fields = ["id", "period_start"]

    def rows(self):
        require(self.member, "billing.view_money")
        return type(self).selector(self.member.reseller)

    def get_object(self):
        return get_object_or_404(self.rows(), pk=self.kwargs["pk"])

    @extend_schema(
        summary="Download the PDF", responses=PDF_RESPONSES, parameters=[RESELLER_PARAMETER]
    )
    @action(detail=True, methods=["get"])
    def pdf(self, request, pk=None):
        doc = self.get_object()
        return pdf_response(doc, f"{doc.reference}.pdf" if isinstance(doc, Statement) else "")


@extend_schema_view(
    list=extend_schema(summary="List invoices", parameters=[RESELLER_PARAMETER]),
    retrieve=extend_schema(summary="Get an invoice", parameters=[RESELLER_PARAMETER]),
)
class InvoiceViewSet(_MoneyViewSet):
    serializer_class = InvoiceSerializer
    model = Invoice
    selector = staticmethod(selectors.invoices_of)
    filterset_class = DocumentFilter


@extend_schema_view(
    list=extend_schema(summary="List credit notes", parameters=[RESELLER_PARAMETER]),
    retrieve=extend_schema(summary="Get a credit note", parameters=[RESELLER_PARAMETER]),
)
class CreditNoteViewSet(_MoneyViewSet):
    serializer_class = CreditNoteSerializer
    model = CreditNote
    selector = staticmethod(selectors.credit_notes_of)
    filterset_class = CreditNoteFilter


@extend_schema_view(
    list=extend_schema(summary="List customer statements", parameters=[RESELLER_PARAMETER]),
    retrieve=extend_schema(summary="Get a customer statement", parameters=[RESELLER_PARAMETER]),
)
class StatementViewSet(_MoneyViewSet):
    serializer_class = StatementSerializer
    model = Statement
    selector = staticmethod(selectors.statements_of)
    filterset_class = StatementFilter


@extend_schema_view(
    list=extend_schema(summary="List monthly usage summaries", parameters=[RESELLER_PARAMETER]),
    retrieve=extend_schema(summary="Get a usage summary", parameters=[RESELLER_PARAMETER]),
)
class UsageSummaryViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, ApiViewSet):
    serializer_class = UsageSummarySerializer
    model = UsageSummary
    filter_backends = [filters.DjangoFilterBackend, OrderingFilter]
    filterset_class = UsageSummaryFilter
    ordering_fields = ["id", "month"]
    ordering = ["id"]

    def rows(self):
        require(self.member, "billing.view_money")
        return selectors.usage_summaries_of(self.member.reseller)

    def get_object(self):
        return get_object_or_404(self.rows(), pk=self.kwargs["pk"])

    @extend_schema(
        summary="Daily usage per customer, subscription and day",
        description="The daily rated lines (Azure usage; marketplace charges aside) summed per "
        "subscription, day and currency, of one customer or one subscription, over at most "
        f"{MAX_DAILY_SPAN} days.",
        parameters=[RESELLER_PARAMETER, DailyQuerySerializer],
        responses=DailyUsageSerializer(many=True),
    )
    @action(
        detail=False,
        methods=["get"],
        url_path="daily",
        filter_backends=[],
        pagination_class=DailyPage,
        serializer_class=DailyUsageSerializer,
    )
    def daily(self, request):
        require(self.member, "billing.view_money")
        query = DailyQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        data = query.validated_data
        customer = subscription = None
        if data.get("customer"):  # another reseller's id: 404 as everywhere
            customer = customer_selectors.customer_get(
                member=self.member, customer_id=data["customer"]
            )
        if data.get("subscription"):
            subscription = subscription_selectors.subscription_get(
                member=self.member, subscription_id=data["subscription"]
            )
        rows = usage_selectors.daily_usage(
            self.member.reseller,
            start=data["date_from"],
            end=data["date_to"],
            customer_id=customer.pk if customer else None,
            subscription_id=subscription.pk if subscription else None,
        )
        page = self.paginate_queryset(rows)
        return self.get_paginated_response(DailyUsageSerializer(page, many=True).data)
