"""The key itself: which reseller it reads and the role it acts with (a PSA checks its key)."""

from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from api.base import RESELLER_PARAMETER, ApiMixin


class MeSerializer(serializers.Serializer):
    key_name = serializers.CharField()
    key_prefix = serializers.CharField()
    role = serializers.CharField(help_text="The membership role the key acts as.")
    reseller = serializers.IntegerField()
    reseller_name = serializers.CharField()
    operations = serializers.BooleanField(help_text="An operations key (any reseller).")
    expires_at = serializers.DateTimeField(allow_null=True)


class MeView(ApiMixin, APIView):
    @extend_schema(
        summary="The key in use", responses=MeSerializer, parameters=[RESELLER_PARAMETER]
    )
    def get(self, request):
        key, member = request.auth, self.member
        return Response(
            MeSerializer(
                {
                    "key_name": key.name,
                    "key_prefix": key.prefix,
                    "role": member.role,
                    "reseller": member.reseller.pk,
                    "reseller_name": member.reseller.name,
                    "operations": key.is_operations,
                    "expires_at": key.expires_at,
                }
            ).data
        )
