"""Webhook endpoints of the reseller (owners and admins), their deliveries and redelivery: the
same services and selectors as the Webhooks page."""

import json

from drf_spectacular.utils import extend_schema, extend_schema_view, inline_serializer
from rest_framework import mixins, serializers, status
from rest_framework.decorators import action
from rest_framework.response import Response

from api.base import IDEMPOTENCY_HEADER, RESELLER_PARAMETER, ApiViewSet
from portal.permissions import require
from webhooks import selectors, services
from webhooks.catalog import EVENT_TYPES
from webhooks.models import WebhookAttempt, WebhookDelivery, WebhookEndpoint


class EndpointSerializer(serializers.ModelSerializer):
    events = serializers.ListField(child=serializers.ChoiceField(choices=list(EVENT_TYPES)))

    class Meta:
        model = WebhookEndpoint
        fields = [
            "id",
            "url",
            "description",
            "events",
            "enabled",
            "disabled_at",
            "disabled_reason",
            "failing_since",
            "created_at",
        ]
        read_only_fields = fields


class EndpointWriteSerializer(serializers.Serializer):
    url = serializers.URLField(max_length=500)
    description = serializers.CharField(max_length=200, required=False, allow_blank=True)
    events = serializers.ListField(
        child=serializers.ChoiceField(choices=list(EVENT_TYPES)), min_length=1
    )
    enabled = serializers.BooleanField(required=False, default=True)


class EndpointPatchSerializer(EndpointWriteSerializer):
    url = serializers.URLField(max_length=500, required=False)
    events = serializers.ListField(
        child=serializers.ChoiceField(choices=list(EVENT_TYPES)), min_length=1, required=False
    )
    enabled = serializers.BooleanField(required=False)


class EndpointCreatedSerializer(EndpointSerializer):
    secret = serializers.CharField(
        required=False,
        help_text="The signing secret (whsec_…): shown in this answer only. A replay of the "
        "request (same Idempotency-Key) answers without it.",
    )

    class Meta(EndpointSerializer.Meta):
        fields = [*EndpointSerializer.Meta.fields, "secret"]
        read_only_fields = fields


class AttemptSerializer(serializers.ModelSerializer):
    class Meta:
        model = WebhookAttempt
        fields = ["at", "status_code", "duration_ms", "error", "manual"]
        read_only_fields = fields


class DeliverySerializer(serializers.ModelSerializer):
    event_id = serializers.CharField(source="event.event_id")
    event_type = serializers.CharField(source="event.type")
    payload = serializers.SerializerMethodField(help_text="The event as sent (the body).")
    log = AttemptSerializer(many=True, help_text="Every attempt, oldest first.")

    class Meta:
        model = WebhookDelivery
        fields = [
            "id",
            "endpoint",
            "event_id",
            "event_type",
            "status",
            "attempts",
            "next_attempt_at",
            "last_status_code",
            "last_error",
            "created_at",
            "finished_at",
            "payload",
            "log",
        ]
        read_only_fields = fields

    def get_payload(self, delivery) -> dict:
        return json.loads(delivery.event.body)


EVENT_TYPE_LIST = inline_serializer(
    "WebhookEventType",
    {"type": serializers.CharField(), "description": serializers.CharField()},
    many=True,
)


class _Managed(ApiViewSet):
    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)
        require(self.member, "webhooks.manage")


@extend_schema_view(
    list=extend_schema(summary="List webhook endpoints", parameters=[RESELLER_PARAMETER]),
    retrieve=extend_schema(summary="Get a webhook endpoint", parameters=[RESELLER_PARAMETER]),
    destroy=extend_schema(summary="Delete a webhook endpoint"),
)
class WebhookEndpointViewSet(
    mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.DestroyModelMixin, _Managed
):
    serializer_class = EndpointSerializer
    model = WebhookEndpoint
    ordering = ["id"]
    unreplayable_fields = ("secret",)
    http_method_names = ["get", "post", "patch", "delete"]

    def rows(self):
        return selectors.webhook_endpoints_of(self.member.reseller)

    def get_object(self):
        return selectors.webhook_endpoint_get(member=self.member, endpoint_id=self.kwargs["pk"])

    def _valid(self, serializer_class, **kwargs) -> dict:
        serializer = serializer_class(data=self.request.data, **kwargs)
        serializer.is_valid(raise_exception=True)
        return serializer.validated_data

    @extend_schema(
        summary="Create a webhook endpoint",
        request=EndpointWriteSerializer,
        responses={201: EndpointCreatedSerializer},
        parameters=[IDEMPOTENCY_HEADER],
    )
    def create(self, request):
        data = self._valid(EndpointWriteSerializer)
        endpoint, secret = services.webhook_endpoint_create(member=self.member, **data)
        body = {**EndpointSerializer(endpoint).data, "secret": secret}
        return Response(body, status=status.HTTP_201_CREATED)

    @extend_schema(
        summary="Change a webhook endpoint",
        request=EndpointPatchSerializer,
        responses=EndpointSerializer,
    )
    def partial_update(self, request, pk=None):
        endpoint = self.get_object()
        data = self._valid(EndpointPatchSerializer, partial=True)
        endpoint = services.webhook_endpoint_update(member=self.member, endpoint=endpoint, **data)
        return Response(EndpointSerializer(endpoint).data)

    def perform_destroy(self, instance):
        services.webhook_endpoint_delete(member=self.member, endpoint=instance)

    @extend_schema(
        summary="Rotate the signing secret",
        description="A new secret, shown in this answer only; the previous one keeps signing "
        "(a second signature) for 24 hours.",
        request=None,
        responses=inline_serializer("WebhookSecret", {"secret": serializers.CharField()}),
        parameters=[IDEMPOTENCY_HEADER],
    )
    @action(detail=True, methods=["post"], url_path="rotate-secret")
    def rotate_secret(self, request, pk=None):
        secret = services.webhook_endpoint_rotate_secret(
            member=self.member, endpoint=self.get_object()
        )
        return Response({"secret": secret})

    @extend_schema(
        summary="Deliveries of a webhook endpoint",
        responses=DeliverySerializer(many=True),
        parameters=[RESELLER_PARAMETER],
    )
    @action(detail=True, methods=["get"])
    def deliveries(self, request, pk=None):
        endpoint = self.get_object()
        rows = selectors.webhook_deliveries_of(self.member.reseller, endpoint=endpoint)
        self.ordering = ["-id"]
        page = self.paginate_queryset(rows)
        return self.get_paginated_response(DeliverySerializer(page, many=True).data)

    @extend_schema(
        summary="The event types an endpoint may subscribe to",
        responses=EVENT_TYPE_LIST,
        parameters=[RESELLER_PARAMETER],
    )
    @action(detail=False, methods=["get"], url_path="event-types", pagination_class=None)
    def event_types(self, request):
        return Response([{"type": t, "description": d} for t, d in EVENT_TYPES.items()])


@extend_schema_view(
    retrieve=extend_schema(summary="Get a webhook delivery", parameters=[RESELLER_PARAMETER]),
)
class WebhookDeliveryViewSet(mixins.RetrieveModelMixin, _Managed):
    serializer_class = DeliverySerializer
    model = WebhookDelivery

    def get_object(self):
        return selectors.webhook_delivery_get(member=self.member, delivery_id=self.kwargs["pk"])

    @extend_schema(
        summary="Redeliver a webhook event now",
        request=None,
        responses={202: DeliverySerializer},
        parameters=[IDEMPOTENCY_HEADER],
    )
    @action(detail=True, methods=["post"])
    def redeliver(self, request, pk=None):
        delivery = services.webhook_delivery_redeliver(
            member=self.member, delivery=self.get_object()
        )
        return Response(DeliverySerializer(delivery).data, status=status.HTTP_202_ACCEPTED)
