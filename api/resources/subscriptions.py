"""Subscriptions and seat assignments: the same selectors and services as the pages."""

import hashlib

from django.http import Http404
from django.shortcuts import get_object_or_404
from django_filters import rest_framework as filters
from drf_spectacular.utils import extend_schema, extend_schema_view, inline_serializer
from rest_framework import mixins, serializers, status
from rest_framework.decorators import action
from rest_framework.filters import OrderingFilter
from rest_framework.response import Response

from api.base import IDEMPOTENCY_HEADER, RESELLER_PARAMETER, ApiViewSet
from customers import selectors as customer_selectors
from portal.permissions import require
from portal.roles import role_can
from subscriptions import selectors, services
from subscriptions.catalog.models import BillingFrequency, Term
from subscriptions.filters import SubscriptionFilter
from subscriptions.models import ScheduledChange, SeatAssignment, Subscription


class SubscriptionApiFilter(SubscriptionFilter):
    """The subscription list's filters, plus the customer."""

    customer = filters.NumberFilter(field_name="customer_id")


class SubscriptionSerializer(serializers.ModelSerializer):
    offer_sku = serializers.CharField(source="offer.sku")
    offer_name = serializers.CharField(source="offer.name")
    product_type = serializers.CharField(source="offer.product_type.code")
    assigned_seats = serializers.IntegerField(source="assigned", default=None)
    unit_cost = serializers.SerializerMethodField(
        help_text="Cost per unit and cycle; null for roles that may not see money."
    )

    class Meta:
        model = Subscription
        fields = [
            "id",
            "customer",
            "offer",
            "offer_sku",
            "offer_name",
            "product_type",
            "partner_center_id",
            "provisioning",
            "provisioning_error",
            "term",
            "billing_frequency",
            "quantity",
            "assigned_seats",
            "auto_renew",
            "status",
            "purchased_at",
            "term_start",
            "term_end",
            "currency",
            "unit_price",
            "unit_cost",
            "ended_at",
        ]
        read_only_fields = fields

    def get_unit_cost(self, sub) -> str | None:
        member = self.context.get("member")
        if member is None or not role_can(member.role, "billing.view_money"):
            return None
        return f"{sub.unit_cost:f}"


class PurchaseSerializer(serializers.Serializer):
    customer = serializers.IntegerField(min_value=1)
    offer = serializers.IntegerField(min_value=1)
    term = serializers.ChoiceField(choices=Term.choices)
    billing_frequency = serializers.ChoiceField(choices=BillingFrequency.choices)
    quantity = serializers.IntegerField(min_value=1, max_value=1_000_000)
    auto_renew = serializers.BooleanField(default=True)


class SeatsSerializer(serializers.Serializer):
    quantity = serializers.IntegerField(min_value=0, max_value=1_000_000)
    schedule = serializers.BooleanField(
        default=False, help_text="Schedule a decrease that cannot happen now for the renewal."
    )


class AutoRenewSerializer(serializers.Serializer):
    auto_renew = serializers.BooleanField()


class TermSerializer(serializers.Serializer):
    term = serializers.ChoiceField(choices=Term.choices, help_text="A longer term than now.")
    billing_frequency = serializers.ChoiceField(choices=BillingFrequency.choices)


class ScheduledChangeSerializer(serializers.ModelSerializer):
    class Meta:
        model = ScheduledChange
        fields = ["quantity", "effective_on", "billing_frequency", "frequency_from", "created_at"]
        read_only_fields = fields


class ScheduleSerializer(serializers.Serializer):
    quantity = serializers.IntegerField(
        min_value=0,
        max_value=1_000_000,
        required=False,
        help_text="Seats from the renewal on (a decrease; one that can happen now, within "
        "168 hours of the seats being added, happens now, as on the subscription page).",
    )
    billing_frequency = serializers.ChoiceField(
        choices=BillingFrequency.choices,
        required=False,
        help_text="Bill at this frequency from the next cycle Microsoft allows (mid-term "
        "only for P3Y monthly ↔ annual, otherwise from the renewal).",
    )

    def validate(self, attrs):
        if not attrs:
            raise serializers.ValidationError("Give the quantity, the billing frequency or both.")
        return attrs


class UpgradeOptionSerializer(serializers.Serializer):
    offer = serializers.IntegerField(
        source="offer.pk", help_text="The catalog offer to upgrade to."
    )
    offer_sku = serializers.CharField(source="offer.sku")
    offer_name = serializers.CharField(source="offer.name")
    catalog_item_id = serializers.CharField(
        source="option.catalog_item_id", help_text="Partner Center's product:sku:availability."
    )
    transition_types = serializers.ListField(
        source="option.transition_types", child=serializers.CharField()
    )


class UpgradeOptionsSerializer(serializers.Serializer):
    options = UpgradeOptionSerializer(many=True, help_text="The eligible upgrades now.")
    reason = serializers.CharField(
        help_text="Why there is none, when Partner Center gives one (the page's words)."
    )


class UpgradeSerializer(serializers.Serializer):
    offer = serializers.IntegerField(min_value=1, help_text="One of the eligible offers.")
    quantity = serializers.IntegerField(
        min_value=1, max_value=1_000_000, help_text="All seats: a full upgrade; fewer: partial."
    )


class AssignmentSerializer(serializers.ModelSerializer):
    class Meta:
        model = SeatAssignment
        fields = ["id", "subscription", "display_name", "user_principal_name", "assigned_at"]
        read_only_fields = ["id", "subscription", "assigned_at"]
        validators = []


ACTION_RESULT = inline_serializer(
    "SubscriptionActionResult",
    {
        "detail": serializers.CharField(help_text="What happened, in the page's words."),
        "subscription": SubscriptionSerializer(),
    },
)


SCHEDULE_RESULT = inline_serializer(
    "ScheduleResult",
    {
        "detail": serializers.CharField(help_text="What happened, in the page's words."),
        "subscription": SubscriptionSerializer(),
        "scheduled_change": ScheduledChangeSerializer(allow_null=True),
    },
)


def order_key(request, length: int = 64) -> str:
    """The service's idempotency key, derived from the request's Idempotency-Key (`length`
    hex digits: a service that prefixes it must stay within its 64-character column)."""
    return hashlib.sha256(request.headers["Idempotency-Key"].encode()).hexdigest()[:length]


@extend_schema_view(
    list=extend_schema(summary="List subscriptions", parameters=[RESELLER_PARAMETER]),
    retrieve=extend_schema(summary="Get a subscription", parameters=[RESELLER_PARAMETER]),
)
class SubscriptionViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, ApiViewSet):
    serializer_class = SubscriptionSerializer
    filter_backends = [filters.DjangoFilterBackend, OrderingFilter]
    filterset_class = SubscriptionApiFilter
    ordering_fields = ["id", "purchased_at", "term_end"]
    ordering = ["id"]
    model = Subscription

    def rows(self):
        require(self.member, "customers.view")
        return selectors.subscriptions_of(self.member.reseller)

    def get_object(self):
        return selectors.subscription_get(member=self.member, subscription_id=self.kwargs["pk"])

    def get_serializer_context(self):
        return {**super().get_serializer_context(), "member": self.member}

    def _valid(self, serializer_class):
        serializer = serializer_class(data=self.request.data)
        serializer.is_valid(raise_exception=True)
        return serializer.validated_data

    def _result(self, detail: str, sub, code=status.HTTP_200_OK):
        sub = self.get_object() if sub is None else sub
        return Response(
            {"detail": detail, "subscription": self.get_serializer(sub).data}, status=code
        )

    @extend_schema(
        summary="Buy a subscription for a customer",
        request=PurchaseSerializer,
        responses={201: SubscriptionSerializer},
        parameters=[IDEMPOTENCY_HEADER],
    )
    def create(self, request):
        require(self.member, "orders.place")
        data = self._valid(PurchaseSerializer)
        customer = customer_selectors.customer_get(member=self.member, customer_id=data["customer"])
        offer = get_object_or_404(selectors.catalog_offers(), pk=data["offer"])
        sub = services.subscription_purchase(
            member=self.member,
            customer=customer,
            offer=offer,
            term=data["term"],
            billing_frequency=data["billing_frequency"],
            quantity=data["quantity"],
            auto_renew=data["auto_renew"],
            idempotency_key=order_key(request),
        )
        sub = selectors.subscription_get(member=self.member, subscription_id=sub.pk)
        return Response(self.get_serializer(sub).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        summary="Change the number of seats",
        request=SeatsSerializer,
        responses=ACTION_RESULT,
        parameters=[IDEMPOTENCY_HEADER],
    )
    @action(detail=True, methods=["post"])
    def seats(self, request, pk=None):
        sub = self.get_object()
        data = self._valid(SeatsSerializer)
        done = services.subscription_change_seats(
            member=self.member,
            subscription=sub,
            quantity=data["quantity"],
            schedule=data["schedule"],
            idempotency_key=order_key(request),
        )
        return self._result(done, None)

    @extend_schema(
        summary="Cancel a subscription",
        request=None,
        responses=ACTION_RESULT,
        parameters=[IDEMPOTENCY_HEADER],
    )
    @action(detail=True, methods=["post"])
    def cancel(self, request, pk=None):
        done = services.subscription_cancel(
            member=self.member, subscription=self.get_object(), idempotency_key=order_key(request)
        )
        return self._result(done, None)

    @extend_schema(
        summary="Turn auto-renew on or off",
        request=AutoRenewSerializer,
        responses=ACTION_RESULT,
        parameters=[IDEMPOTENCY_HEADER],
    )
    @action(detail=True, methods=["post"], url_path="auto-renew")
    def auto_renew(self, request, pk=None):
        sub = self.get_object()
        data = self._valid(AutoRenewSerializer)
        done = services.subscription_set_auto_renew(
            member=self.member, subscription=sub, auto_renew=data["auto_renew"]
        )
        return self._result(done, None)

    @extend_schema(
        summary="Lengthen the term now",
        description="As the subscription page: the rest of the current cycle is credited at "
        "the old prices and the new term starts today.",
        request=TermSerializer,
        responses=ACTION_RESULT,
        parameters=[IDEMPOTENCY_HEADER],
    )
    @action(detail=True, methods=["post"])
    def term(self, request, pk=None):
        sub = self.get_object()
        data = self._valid(TermSerializer)
        done = services.subscription_change_term(
            member=self.member,
            subscription=sub,
            term=data["term"],
            billing_frequency=data["billing_frequency"],
            idempotency_key=order_key(request),
        )
        return self._result(done, None)

    @extend_schema(
        summary="The change scheduled for renewal",
        description="Seats from the renewal and/or a billing frequency from a later cycle; "
        "404 when nothing is scheduled.",
        responses=ScheduledChangeSerializer,
        parameters=[RESELLER_PARAMETER],
    )
    @action(detail=True, methods=["get"], url_path="scheduled-change", pagination_class=None)
    def scheduled_change(self, request, pk=None):
        change = selectors.scheduled_change_of(self.get_object())
        if change is None:
            raise Http404("Nothing is scheduled for this subscription.")
        return Response(ScheduledChangeSerializer(change).data)

    @extend_schema(
        summary="Schedule a change at renewal",
        description="The subscription page's scheduled changes: fewer seats from the renewal "
        "(`quantity`) and/or another billing frequency (`billing_frequency`).",
        request=ScheduleSerializer,
        responses=SCHEDULE_RESULT,
        parameters=[IDEMPOTENCY_HEADER],
    )
    @scheduled_change.mapping.post
    def schedule_change(self, request, pk=None):
        sub = self.get_object()
        data = self._valid(ScheduleSerializer)
        done = []
        if "quantity" in data:
            done.append(
                services.subscription_change_seats(
                    member=self.member,
                    subscription=sub,
                    quantity=data["quantity"],
                    schedule=True,
                    idempotency_key=order_key(request),
                )
            )
        if "billing_frequency" in data:
            done.append(
                services.subscription_schedule_frequency(
                    member=self.member,
                    subscription=self.get_object(),
                    billing_frequency=data["billing_frequency"],
                )
            )
        sub = self.get_object()
        change = selectors.scheduled_change_of(sub)
        return Response(
            {
                "detail": " ".join(done),
                "subscription": self.get_serializer(sub).data,
                "scheduled_change": ScheduledChangeSerializer(change).data if change else None,
            }
        )

    @extend_schema(
        summary="Remove the scheduled change",
        request=None,
        responses=ACTION_RESULT,
    )
    @scheduled_change.mapping.delete
    def unschedule_change(self, request, pk=None):
        sub = self.get_object()
        services.scheduled_change_cancel(member=self.member, subscription=sub)
        return self._result("The scheduled change was removed.", None)

    @extend_schema(
        summary="Upgrade eligibility",
        description="The offers Partner Center lets this subscription be upgraded to now "
        "(its transition eligibilities), as the subscription page lists them.",
        responses=UpgradeOptionsSerializer,
        parameters=[RESELLER_PARAMETER],
    )
    @action(detail=True, methods=["get"], pagination_class=None, filter_backends=[])
    def upgrades(self, request, pk=None):
        options, reason = services.upgrade_options(self.get_object())
        return Response(
            UpgradeOptionsSerializer(
                {
                    "options": [{"offer": o, "option": opt} for o, opt in options],
                    "reason": reason,
                }
            ).data
        )

    @extend_schema(
        summary="Upgrade seats to another offer",
        description="Partner Center's transition of all (full) or some (partial) seats; the "
        "answer is the new subscription.",
        request=UpgradeSerializer,
        responses={201: SubscriptionSerializer},
        parameters=[IDEMPOTENCY_HEADER],
    )
    @upgrades.mapping.post
    def upgrade(self, request, pk=None):
        sub = self.get_object()
        data = self._valid(UpgradeSerializer)
        offer = get_object_or_404(selectors.catalog_offers(), pk=data["offer"])
        new = services.subscription_upgrade(
            member=self.member,
            subscription=sub,
            to_offer=offer,
            quantity=data["quantity"],
            idempotency_key=order_key(request, 48),  # stored as "upgrade:<key>"
        )
        new = selectors.subscription_get(member=self.member, subscription_id=new.pk)
        return Response(self.get_serializer(new).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        summary="Seat assignments of a subscription",
        responses=AssignmentSerializer(many=True),
        parameters=[RESELLER_PARAMETER],
    )
    @action(detail=True, methods=["get"], pagination_class=None, filter_backends=[])
    def assignments(self, request, pk=None):
        sub = self.get_object()
        return Response(AssignmentSerializer(sub.assignments.all(), many=True).data)

    @extend_schema(
        summary="Assign a user to a seat",
        request=AssignmentSerializer,
        responses={201: AssignmentSerializer},
        parameters=[IDEMPOTENCY_HEADER],
    )
    @assignments.mapping.post
    def assign(self, request, pk=None):
        sub = self.get_object()
        require(self.member, "orders.place")
        data = self._valid(AssignmentSerializer)
        assignment = services.seat_assign(member=self.member, subscription=sub, **data)
        return Response(AssignmentSerializer(assignment).data, status=status.HTTP_201_CREATED)


@extend_schema_view(destroy=extend_schema(summary="Unassign a user from a seat"))
class AssignmentViewSet(mixins.DestroyModelMixin, ApiViewSet):
    serializer_class = AssignmentSerializer
    model = SeatAssignment

    def get_object(self):
        return selectors.assignment_get(member=self.member, assignment_id=self.kwargs["pk"])

    def perform_destroy(self, instance):
        services.seat_unassign(member=self.member, assignment=instance)
