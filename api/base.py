"""The API's base views: bearer-key authentication in the key's reseller scope, one rate limit
per key, and `Idempotency-Key` on every POST (the first answer is stored and replayed)."""

import hashlib
import json
from contextlib import ExitStack

from django.db import DataError, transaction
from django_scopes import scopes_disabled
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter
from rest_framework import permissions, viewsets
from rest_framework.response import Response

from api.authentication import BearerKeyAuthentication
from api.errors import ApiProblem
from api.models import IdempotentRequest
from api.throttling import KeyRateThrottle

IDEMPOTENCY_HEADER = OpenApiParameter(
    "Idempotency-Key",
    OpenApiTypes.STR,
    OpenApiParameter.HEADER,
    required=True,
    description="A unique string per intended write (e.g. a UUID). Sending the same request "
    "again with the same key returns the first answer; another request with the "
    "same key is refused with 409.",
)
RESELLER_PARAMETER = OpenApiParameter(
    "reseller",
    OpenApiTypes.INT,
    OpenApiParameter.QUERY,
    required=False,
    description="Operations keys only: the reseller to read.",
)


class HasMembership(permissions.BasePermission):
    """A key of a reseller (or an operations key that chose one with ?reseller=)."""

    message = "Operations keys choose a reseller with ?reseller=ID."

    def has_permission(self, request, view):
        if request.auth is None:
            return False
        return getattr(request, "membership", None) is not None


def fingerprint(request) -> str:
    body = request.data if isinstance(request.data, dict | list) else {}
    text = json.dumps([request.method, request.path, body], sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()


class ApiMixin:
    # fields of an answer never stored for a replay (a secret is shown once)
    unreplayable_fields: tuple[str, ...] = ()
    authentication_classes = [BearerKeyAuthentication]
    permission_classes = [permissions.IsAuthenticated, HasMembership]
    throttle_classes = [KeyRateThrottle]

    @property
    def member(self):
        return self.request.membership

    def dispatch(self, request, *args, **kwargs):
        # As APIView.dispatch, inside the scope that authentication enters for the key.
        self.args, self.kwargs = args, kwargs
        with ExitStack() as stack:
            request.scope_stack = stack
            request = self.initialize_request(request, *args, **kwargs)
            self.request = request
            self.headers = self.default_response_headers
            try:
                self.initial(request, *args, **kwargs)
                handler = getattr(self, request.method.lower(), None)
                if request.method.lower() not in self.http_method_names or handler is None:
                    handler = self.http_method_not_allowed
                if request.method == "POST":
                    response = self._idempotent(handler, request, *args, **kwargs)
                else:
                    response = handler(request, *args, **kwargs)
            except Exception as exc:
                response = self.handle_exception(exc)
            self.response = self.finalize_response(request, response, *args, **kwargs)
            return self.response

    def _idempotent(self, handler, request, *args, **kwargs):
        key = request.headers.get("Idempotency-Key", "").strip()
        if not key or len(key) > 255:
            raise ApiProblem(
                "Send an Idempotency-Key header (at most 255 characters) with every POST.",
                code="idempotency_key_required",
            )
        reseller = self.member.reseller
        fp = fingerprint(request)
        with transaction.atomic():
            # a concurrent request with the same key waits here for the first to finish
            record, created = IdempotentRequest.objects.get_or_create(
                reseller=reseller, key=key, defaults={"fingerprint": fp}
            )
            if not created:
                if record.fingerprint != fp or record.status_code is None:
                    raise ApiProblem(
                        "This Idempotency-Key was used for another request.",
                        code="idempotency_key_reused",
                        status_code=409,
                    )
                return Response(
                    record.body,
                    status=record.status_code,
                    headers={"Idempotent-Replayed": "true"},
                    content_type="application/problem+json" if record.status_code >= 400 else None,
                )
            try:
                response = handler(request, *args, **kwargs)
            except Exception as exc:
                response = self.handle_exception(exc)
            if response.status_code >= 500 or not isinstance(response.data, dict | list):
                transaction.set_rollback(True)  # not stored: the client may retry
                return response
            body = response.data
            if isinstance(body, dict) and self.unreplayable_fields:
                body = {k: v for k, v in body.items() if k not in self.unreplayable_fields}
            record.status_code, record.body = response.status_code, body
            try:
                with transaction.atomic():
                    record.save(update_fields=["status_code", "body"])
            except DataError:
                # PostgreSQL's jsonb holds no NUL character: a refusal that echoes one (a
                # value that is not a choice) is answered unstored; nothing else was written,
                # and a replay is refused the same way
                if response.status_code < 400:
                    raise
                transaction.set_rollback(True)
            return response


class ApiViewSet(ApiMixin, viewsets.GenericViewSet):
    """A resource of the member's reseller: `rows()` is the selector's queryset; `get_object`
    answers 404 alike for a missing and for another reseller's object (the selectors do)."""

    model = None
    lookup_value_regex = r"[0-9]+"

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # schema generation: the model only
            with scopes_disabled():
                return self.model.objects.none()
        return self.rows()

    def rows(self):
        raise NotImplementedError
