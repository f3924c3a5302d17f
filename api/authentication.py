"""`Authorization: Bearer <key>`: the key's reseller, acting with the key's role.

The request gets `membership`, an unsaved Membership (user = the key's creator, reseller, role)
that the services and selectors take like a signed-in member's, and the django-scopes scope of
that reseller is entered for the rest of the request. An operations key (staff, no reseller)
acts in the reseller named by `?reseller=ID`, or in none.
"""

from datetime import timedelta

from django.http import Http404
from django.utils import timezone
from django_scopes import scope, scopes_disabled
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import authentication, exceptions

from api.models import ApiKey, key_digest
from portal.models import Membership, Reseller

# last_used_at is written at most this often per key (not on every request)
LAST_USED_RESOLUTION = timedelta(minutes=1)


class BearerKeyAuthentication(authentication.BaseAuthentication):
    keyword = "Bearer"

    def authenticate(self, request):
        header = request.headers.get("Authorization", "")
        scheme, _, key = header.partition(" ")
        if scheme.lower() != self.keyword.lower() or not key.strip():
            return None
        with scopes_disabled():
            api_key = (
                ApiKey.objects.select_related("user", "reseller")
                .filter(key_hash=key_digest(key.strip()))
                .first()
            )
        now = timezone.now()
        if api_key is None or not api_key.is_usable(now) or not api_key.user.is_active:
            raise exceptions.AuthenticationFailed("The API key is unknown, revoked or expired.")
        if api_key.is_operations and not api_key.user.is_staff:
            raise exceptions.AuthenticationFailed("The API key is unknown, revoked or expired.")
        if api_key.last_used_at is None or now - api_key.last_used_at > LAST_USED_RESOLUTION:
            with scopes_disabled():
                ApiKey.objects.filter(pk=api_key.pk).update(last_used_at=now)
        reseller = api_key.reseller or self._chosen_reseller(request)
        request.membership = (
            Membership(user=api_key.user, reseller=reseller, role=api_key.role)
            if reseller
            else None
        )
        # the scope of the key's reseller (an empty list: no reseller at all)
        request.scope_stack.enter_context(scope(reseller=reseller or []))
        return api_key.user, api_key

    @staticmethod
    def _chosen_reseller(request):
        wanted = request.query_params.get("reseller")
        if not wanted:
            return None
        if not wanted.isdigit():
            raise Http404("No such reseller.")
        reseller = Reseller.objects.filter(pk=int(wanted)).first()
        if reseller is None:
            raise Http404("No such reseller.")
        return reseller

    def authenticate_header(self, request):
        return self.keyword


class BearerKeyScheme(OpenApiAuthenticationExtension):
    target_class = "api.authentication.BearerKeyAuthentication"
    name = "apiKey"

    def get_security_definition(self, auto_schema):
        return {
            "type": "http",
            "scheme": "bearer",
            "description": "An API key created on the API keys page (or by "
            "`manage.py api_key_create`).",
        }
