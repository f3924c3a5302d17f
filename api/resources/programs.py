"""Programs with the reseller's state of each, and program access requests."""

from django.shortcuts import get_object_or_404
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.response import Response

from api.base import IDEMPOTENCY_HEADER, RESELLER_PARAMETER, ApiViewSet
from portal.permissions import require
from programs import selectors, services
from programs.models import Program, ProgramRequest


class ProgramRequestSerializer(serializers.ModelSerializer):
    class Meta:
        model = ProgramRequest
        fields = [
            "id",
            "program",
            "state",
            "requested_at",
            "decided_at",
            "reason",
            "terms_version",
            "terms_accepted_at",
        ]
        read_only_fields = fields


class ProgramStateSerializer(serializers.Serializer):
    id = serializers.IntegerField(source="program.pk")
    name = serializers.CharField(source="program.name")
    terms = serializers.CharField(source="program.terms")
    terms_version = serializers.CharField(source="program.terms_version")
    state = serializers.CharField(
        help_text="available, pending, approved, rejected, sunset or unsupported"
    )
    state_label = serializers.CharField()
    request = ProgramRequestSerializer(allow_null=True)
    refusal = serializers.CharField(
        allow_null=True, help_text="Why it cannot be requested now, if so."
    )


class RequestCreateSerializer(serializers.Serializer):
    program = serializers.IntegerField(min_value=1)
    accepted_terms_version = serializers.CharField(
        max_length=40,
        help_text="The version of the program's terms (the program terms and "
        "the 24x365 customer-support obligation) the caller accepts; "
        "it must be the current one.",
    )


class ProgramViewSet(ApiViewSet):
    model = Program
    serializer_class = ProgramStateSerializer
    pagination_class = None

    @extend_schema(
        summary="Programs and this reseller's state of each",
        responses=ProgramStateSerializer(many=True),
        parameters=[RESELLER_PARAMETER],
    )
    def list(self, request):
        require(self.member, "reseller.view")
        return Response(
            ProgramStateSerializer(selectors.program_rows(self.member.reseller), many=True).data
        )

    @extend_schema(
        summary="Request access to a program",
        request=RequestCreateSerializer,
        responses={201: ProgramRequestSerializer},
        parameters=[IDEMPOTENCY_HEADER],
    )
    def create(self, request):
        require(self.member, "programs.request")
        data = RequestCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        program = get_object_or_404(Program.objects.all(), pk=data.validated_data["program"])
        created = services.program_request_create(
            member=self.member,
            program=program,
            accepted_terms_version=data.validated_data["accepted_terms_version"],
        )
        return Response(ProgramRequestSerializer(created).data, status=status.HTTP_201_CREATED)
