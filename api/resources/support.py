"""Support tickets and their public messages (internal notes of operations are left out)."""

from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins, serializers, status
from rest_framework.decorators import action
from rest_framework.filters import OrderingFilter
from rest_framework.response import Response

from api.base import IDEMPOTENCY_HEADER, RESELLER_PARAMETER, ApiViewSet
from customers import selectors as customer_selectors
from portal.permissions import require
from support import selectors, services
from support.models import Ticket, TicketMessage


class TicketSerializer(serializers.ModelSerializer):
    class Meta:
        model = Ticket
        fields = [
            "id",
            "subject",
            "category",
            "priority",
            "status",
            "customer",
            "opened_at",
            "first_response_due_at",
            "first_response_at",
            "resolved_at",
            "updated_at",
        ]
        read_only_fields = fields


class TicketOpenSerializer(serializers.Serializer):
    subject = serializers.CharField(max_length=200)
    category = serializers.ChoiceField(choices=Ticket.Category.choices)
    priority = serializers.ChoiceField(
        choices=Ticket.Priority.choices, default=Ticket.Priority.NORMAL
    )
    description = serializers.CharField(max_length=20000)
    customer = serializers.IntegerField(min_value=1, required=False, allow_null=True)


class MessageSerializer(serializers.ModelSerializer):
    author = serializers.SerializerMethodField()

    class Meta:
        model = TicketMessage
        fields = ["id", "author", "from_operations", "body", "created_at"]
        read_only_fields = fields

    def get_author(self, message) -> str:
        if message.from_operations:
            return "Operations"
        return message.author.email if message.author else ""


class ReplySerializer(serializers.Serializer):
    body = serializers.CharField(max_length=20000)


@extend_schema_view(
    list=extend_schema(summary="List support tickets", parameters=[RESELLER_PARAMETER]),
    retrieve=extend_schema(summary="Get a support ticket", parameters=[RESELLER_PARAMETER]),
)
class TicketViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, ApiViewSet):
    serializer_class = TicketSerializer
    model = Ticket
    filter_backends = [OrderingFilter]
    ordering_fields = ["id", "opened_at", "updated_at"]
    ordering = ["id"]

    def rows(self):
        require(self.member, "tickets.view")
        return selectors.tickets_of(self.member.reseller)

    def get_object(self):
        return selectors.ticket_get(member=self.member, ticket_id=self.kwargs["pk"])

    @extend_schema(
        summary="Open a support ticket",
        request=TicketOpenSerializer,
        responses={201: TicketSerializer},
        parameters=[IDEMPOTENCY_HEADER],
    )
    def create(self, request):
        require(self.member, "tickets.open")
        form = TicketOpenSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        data = dict(form.validated_data)
        customer_id = data.pop("customer", None)
        customer = (
            customer_selectors.customer_get(member=self.member, customer_id=customer_id)
            if customer_id
            else None
        )
        ticket = services.ticket_open(member=self.member, customer=customer, **data)
        return Response(TicketSerializer(ticket).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        summary="Messages of a ticket",
        responses=MessageSerializer(many=True),
        parameters=[RESELLER_PARAMETER],
    )
    @action(detail=True, methods=["get"], pagination_class=None, filter_backends=[])
    def messages(self, request, pk=None):
        ticket = self.get_object()
        return Response(MessageSerializer(selectors.public_thread(ticket), many=True).data)

    @extend_schema(
        summary="Reply to a ticket",
        request=ReplySerializer,
        responses={201: MessageSerializer},
        parameters=[IDEMPOTENCY_HEADER],
    )
    @messages.mapping.post
    def reply(self, request, pk=None):
        ticket = self.get_object()
        require(self.member, "tickets.open")
        form = ReplySerializer(data=request.data)
        form.is_valid(raise_exception=True)
        message = services.ticket_reply(
            member=self.member, ticket=ticket, body=form.validated_data["body"]
        )
        return Response(MessageSerializer(message).data, status=status.HTTP_201_CREATED)
