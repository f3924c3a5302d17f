"""Customers: the same selectors and services as the customer pages."""

from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins, serializers, status
from rest_framework.decorators import action
from rest_framework.filters import OrderingFilter
from rest_framework.response import Response

from api.base import IDEMPOTENCY_HEADER, RESELLER_PARAMETER, ApiViewSet
from customers import selectors, services
from customers.filters import CustomerFilter
from customers.models import Customer, McaInvitation
from portal.permissions import require

WRITE_FIELDS = [
    "company_name",
    "primary_domain",
    "tenant_id",
    "country",
    "currency",
    "address_line1",
    "address_line2",
    "city",
    "region",
    "postal_code",
    "contact_first_name",
    "contact_last_name",
    "contact_email",
    "contact_phone",
]


class CustomerSerializer(serializers.ModelSerializer):
    class Meta:
        model = Customer
        fields = ["id", *WRITE_FIELDS, "mca_status", "created_at"]
        read_only_fields = fields


class CustomerWriteSerializer(serializers.ModelSerializer):
    """The fields a reseller may set (the customer form's); rules are the service's."""

    class Meta:
        model = Customer
        fields = WRITE_FIELDS
        validators = []  # uniqueness per reseller is checked by the service

    def get_fields(self):
        fields = super().get_fields()
        for field in fields.values():
            field.validators = [
                v for v in field.validators if type(v).__name__ != "UniqueValidator"
            ]
        return fields


class CustomerPatchSerializer(CustomerWriteSerializer):
    class Meta(CustomerWriteSerializer.Meta):
        extra_kwargs = {name: {"required": False} for name in WRITE_FIELDS}


class McaLinkSerializer(serializers.ModelSerializer):
    class Meta:
        model = McaInvitation
        fields = ["id", "state", "sent_to", "sent_at", "expires_at", "closed_at"]
        read_only_fields = fields


class McaAcceptanceSerializer(serializers.Serializer):
    first_name = serializers.CharField()
    last_name = serializers.CharField()
    email = serializers.EmailField()
    date_agreed = serializers.DateTimeField()
    template_id = serializers.CharField()
    template_version = serializers.CharField()
    logged_at = serializers.DateTimeField(allow_null=True)


class McaStatusSerializer(serializers.Serializer):
    customer = serializers.IntegerField()
    mca_status = serializers.CharField()
    acceptance = McaAcceptanceSerializer(allow_null=True)
    active_link = McaLinkSerializer(allow_null=True)


@extend_schema_view(
    list=extend_schema(summary="List customers", parameters=[RESELLER_PARAMETER]),
    retrieve=extend_schema(summary="Get a customer", parameters=[RESELLER_PARAMETER]),
    create=extend_schema(
        summary="Create a customer",
        request=CustomerWriteSerializer,
        responses={201: CustomerSerializer},
        parameters=[IDEMPOTENCY_HEADER],
    ),
    partial_update=extend_schema(
        summary="Update a customer", request=CustomerPatchSerializer, responses=CustomerSerializer
    ),
)
class CustomerViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, ApiViewSet):
    serializer_class = CustomerSerializer
    filter_backends = [DjangoFilterBackend, OrderingFilter]
    filterset_class = CustomerFilter
    ordering_fields = ["id", "company_name", "created_at"]
    ordering = ["id"]
    http_method_names = ["get", "post", "patch"]
    model = Customer

    def rows(self):
        require(self.member, "customers.view")
        return selectors.customers_of(self.member.reseller)

    def get_object(self):
        require(self.member, "customers.view")
        return selectors.customer_get(member=self.member, customer_id=self.kwargs["pk"])

    def create(self, request):
        require(self.member, "customers.edit")  # as the page: refused before the form
        data = self._valid(CustomerWriteSerializer, request.data)
        customer = services.customer_create(member=self.member, **data)
        return Response(CustomerSerializer(customer).data, status=status.HTTP_201_CREATED)

    def partial_update(self, request, pk=None):
        customer = self.get_object()
        require(self.member, "customers.edit")
        data = self._valid(CustomerPatchSerializer, request.data, partial=True)
        customer = services.customer_update(member=self.member, customer=customer, **data)
        return Response(CustomerSerializer(customer).data)

    @staticmethod
    def _valid(serializer_class, data, **kwargs) -> dict:
        serializer = serializer_class(data=data, **kwargs)
        serializer.is_valid(raise_exception=True)
        return serializer.validated_data

    @extend_schema(
        summary="Send the MCA click-through link",
        request=None,
        responses={201: McaLinkSerializer},
        parameters=[IDEMPOTENCY_HEADER],
    )
    @action(detail=True, methods=["post"], url_path="mca-link")
    def mca_link(self, request, pk=None):
        invitation = services.mca_send(member=self.member, customer=self.get_object())
        return Response(McaLinkSerializer(invitation).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        summary="MCA status of a customer",
        responses=McaStatusSerializer,
        parameters=[RESELLER_PARAMETER],
    )
    @action(detail=True, methods=["get"], url_path="mca")
    def mca(self, request, pk=None):
        customer = self.get_object()
        timeline = selectors.mca_timeline(customer)
        return Response(
            McaStatusSerializer(
                {
                    "customer": customer.pk,
                    "mca_status": customer.mca_status,
                    "acceptance": timeline["acceptance"],
                    "active_link": timeline["active_link"],
                }
            ).data
        )
