"""Reads of the API's own records, always within the member's reseller."""

from django.shortcuts import get_object_or_404

from api.models import ApiKey


def api_keys_of(reseller):
    return ApiKey.objects.filter(reseller=reseller).select_related("user")


def api_key_get(*, member, api_key_id: int) -> ApiKey:
    return get_object_or_404(api_keys_of(member.reseller), pk=api_key_id)
